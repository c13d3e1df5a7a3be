"""The error model: exit codes, and the exceptions that carry them to the one place that maps
them (``cli/main.py``; the action's entrypoint reports the same codes).

- 0 OK: all good.
- 1 FINDING: the input was read and something is wrong with it (invalid manifest, missing image,
  policy violation); reports say what.
- 2 USAGE: bad usage, or input that cannot be read at all (missing file, not text, unreadable
  config, unknown ref, a GitHub or cloud setup problem); one clear line on stderr.
- 3 INTERNAL: a bug; one line, a traceback only with OS_TOOLING_DEBUG=1.
"""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDING = 1
    USAGE = 2
    INTERNAL = 3


class OsToolingError(Exception):
    """Base of the errors a person acts on; ``exit_code`` says which exit it ends in."""

    exit_code = ExitCode.USAGE


class ServiceError(OsToolingError):
    """An outside service (GitHub, a git repository, a release back end) failed or refused:
    a setup problem a person fixes (``usage=True``: bad token, missing permission, unknown
    repository; exit 2) or a finding about what it holds (exit 1)."""

    def __init__(self, message: str, usage: bool = False):
        super().__init__(message)
        self.usage = usage

    @property
    def exit_code(self) -> ExitCode:  # type: ignore[override]
        return ExitCode.USAGE if self.usage else ExitCode.FINDING


class UsageError(OsToolingError):
    """Bad usage or input that cannot be read at all: exit 2, one clear line."""

    exit_code = ExitCode.USAGE
