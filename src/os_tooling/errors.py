"""Exceptions that the CLI turns into exit codes (2: usage or unreadable input)."""


class UsageError(Exception):
    """Bad usage or input that cannot be read at all: exit 2, one clear line."""
