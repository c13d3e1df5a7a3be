"""Asking several image stores at once: the one place that decides which providers share a
store call and that asks the groups concurrently (the gate and build-matrix both use it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from os_tooling.backends.base import ImageStore

T = TypeVar("T")


def share_groups(stores: Mapping[str, ImageStore]) -> list[list[str]]:
    """Providers grouped by the stores' ``share_key``: stores that say they answer alike (same
    AWS accounts and regions, e.g. capa and eks) are asked once for all their images."""
    groups: dict[object, list[str]] = {}
    for provider, store in stores.items():
        share = getattr(store, "share_key", None)
        groups.setdefault(share() if share else ("provider", provider), []).append(provider)
    return list(groups.values())


def ask_groups(groups: list[list[str]], ask: Callable[[list[str]], T]) -> list[T]:
    """``ask`` for every group, concurrently when there is more than one."""
    if len(groups) <= 1:
        return [ask(group) for group in groups]
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        return list(pool.map(ask, groups))
