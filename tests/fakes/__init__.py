"""Loopback stand-ins for the services the project talks to (moto, Azure ARM, proxies)."""

import pytest

# moto_server is also loaded as a plugin (pytest_plugins) after test modules imported it
pytest.register_assert_rewrite("tests.fakes.moto_server")
