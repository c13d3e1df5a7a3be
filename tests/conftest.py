"""Fixtures: run the CLI in-process, and make real git repos. Helpers are in tests/helpers.py."""

from __future__ import annotations

import pytest

from os_tooling.cli.main import main
from tests.helpers import EXAMPLE_MANIFEST, ROOT, GitRepo, Result, manifest_text, run_subprocess

__all__ = ["EXAMPLE_MANIFEST", "ROOT", "GitRepo", "Result", "manifest_text", "run_subprocess"]


@pytest.fixture
def cli(capsys):
    """Run ``os-tooling ARGS`` in this process (fast); returns exit code and output."""

    def run(*args: str) -> Result:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def git_repo(tmp_path) -> GitRepo:
    return GitRepo(tmp_path / "repo")
