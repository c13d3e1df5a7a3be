import pytest

from os_tooling.adapters.github_client import ClientSettings
from os_tooling.errors import UsageError


@pytest.mark.parametrize("url", ["http://github.example.com/api/v3", "ftp://x", "api.github.com"])
def test_a_token_never_goes_over_plain_http_to_another_host(url):
    with pytest.raises(UsageError, match="must start with https://"):
        ClientSettings.from_env(token="t0ken", base_url=url, env={})


@pytest.mark.parametrize("url", ["https://api.github.com", "https://ghe.example.com/api/v3",
                                 "http://127.0.0.1:8080", "http://localhost:1"])
def test_https_and_loopback_are_accepted(url):
    assert ClientSettings.from_env(token="t0ken", base_url=url, env={}).base_url == url
