"""``--token`` and ``--github-api-url``: the same two options for every command that talks to
GitHub (release, describe, diff; the gate may reuse them). Standard library only: parser
construction must not import the GitHub client (start-up time)."""

from __future__ import annotations

import argparse

DEFAULT_API_URL = "https://api.github.com"  # adapters.github_client.DEFAULT_API_URL


def add_github_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--token", metavar="TOKEN",
                        help="GitHub token (default: $INPUT_TOKEN, then $GITHUB_TOKEN; prefer the "
                             "environment: a command-line token shows in the process list)")
    parser.add_argument("--github-api-url", metavar="URL",
                        help=f"GitHub API URL (default: $GITHUB_API_URL, else {DEFAULT_API_URL}; "
                             "GitHub Enterprise: https://HOST/api/v3)")
