"""Loopback stand-ins for the services the project talks to (moto, Azure ARM, GitHub, proxies)."""

import pkgutil

import pytest

# fakes also serve as plugins (pytest_plugins = [...]) after test modules imported them: let
# pytest rewrite their asserts (registering the package itself is too late, it is imported)
pytest.register_assert_rewrite(*(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)))
