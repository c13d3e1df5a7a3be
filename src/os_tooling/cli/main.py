"""The ``os-tooling`` command line: parse arguments, dispatch, map outcomes to exit codes.

Start-up matters (the pre-commit hook and every PR pay it): this module imports only the
standard library at load time, and a run imports the one command module it runs (each command
module imports its use case and reports at its top); ``--help`` and a mistyped command import
them all.
"""

from __future__ import annotations

import sys

from os_tooling import __version__

# subcommand -> module with HELP, add_arguments(parser) and execute(args) -> Outcome (and
# optionally present(args, outcome), when it prints more than the report in --format)
COMMANDS: dict[str, str] = {
    "validate": "os_tooling.cli.validate",
    "schema": "os_tooling.cli.schema",
    "plan": "os_tooling.cli.plan",
    "image-name": "os_tooling.cli.image_name",
    "release": "os_tooling.cli.release",
    "describe": "os_tooling.cli.describe",
    "diff": "os_tooling.cli.diff",
    "gate": "os_tooling.cli.gate",
    "available": "os_tooling.cli.available",
    "bump": "os_tooling.cli.bump",
    "build-vars": "os_tooling.cli.build_vars",
    "build-matrix": "os_tooling.cli.build_matrix",
}

EXIT_USAGE = 2  # errors.ExitCode.USAGE: not imported here, --version must stay import-free
EXIT_INTERNAL = 3  # errors.ExitCode.INTERNAL
# optional dependencies (pyproject's extras) a command imports when it runs
_EXTRA_OF_MODULE = {name: "cloud" for name in ("boto3", "botocore", "s3transfer", "github",
                                                "requests", "urllib3", "jwt", "nacl")}
_EXTRA_OF_MODULE["github_action_utils"] = "action"


def _chosen_command(argv: list[str] | None) -> str | None:
    """The subcommand ``argv`` runs (the first word that is not an option), when it is one."""
    for word in argv or ():
        if word in ("-h", "--help"):  # the top-level help lists every command with its help
            return None
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(argv: list[str] | None = None):
    """The parser; given ``argv``, only its command's options are built (and its module
    imported), the other commands are names that argparse lists and refuses nothing for."""
    import argparse
    import importlib

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # one clear line instead of usage + error
            self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")

    parser = _Parser(prog="os-tooling",
                     description="Version the binaries baked into Kubernetes node images.")
    parser.add_argument("--version", action="version", version=f"os-tooling {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    chosen = _chosen_command(argv)
    for name, module_name in COMMANDS.items():
        if chosen is not None and name != chosen:
            sub.add_parser(name)  # never parsed: argv runs another command
            continue
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(execute=module.execute,
                             present=getattr(module, "present", None))
    return parser


def parse(argv: list[str]):
    """The parsed arguments, or the exit code when argparse has answered itself (--help,
    --version, a usage error: printed on stdout or stderr already)."""
    parser = build_parser(argv)
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE


def execute(args):
    """Run the parsed command once: its Outcome, never an exception (a problem becomes the
    exit code and one line for stderr)."""
    from os_tooling.report.reporter import Outcome

    try:
        return args.execute(args)
    except KeyboardInterrupt:
        return Outcome(130)
    except Exception as exc:  # never a traceback for a user; one line saying what broke
        return _problem(exc)


def _problem(exc: Exception):
    """A failed run as an Outcome: bad usage (exit 2) or an internal error (exit 3)."""
    import os

    from os_tooling.core.escape import one_line
    from os_tooling.errors import OsToolingError
    from os_tooling.report.reporter import failed

    if isinstance(exc, OsToolingError):  # the one place an error becomes its exit code
        return failed(int(exc.exit_code), f"error: {one_line(exc)}")
    extra = _EXTRA_OF_MODULE.get((getattr(exc, "name", None) or "").split(".")[0])
    if isinstance(exc, ModuleNotFoundError) and extra:
        return failed(EXIT_USAGE, f"error: this needs the '{extra}' extra (module "
                                  f"{exc.name!r} is missing): pip install 'os-tooling[{extra}]'")
    if os.environ.get("OS_TOOLING_DEBUG"):
        raise exc
    return failed(EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {one_line(exc)} "
                                 "(set OS_TOOLING_DEBUG=1 for a traceback, and please report it)")


def run(argv: list[str]):
    """Parse and execute, printing no report: ``(args or None, Outcome)``. The action calls
    this once per job and renders every format from the one Outcome."""
    from os_tooling.report.reporter import Outcome

    args = parse(argv)
    if isinstance(args, int):
        return None, Outcome(args)
    return args, execute(args)


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in == ["--version"]:  # fast path: hooks and scripts call this to probe the tool
        print(f"os-tooling {__version__}")
        return 0
    args, outcome = run(args_in)
    if args is None:
        return outcome.code
    from os_tooling.cli.common import print_outcome

    try:
        (args.present or print_outcome)(args, outcome)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a format that writes (build-vars --format github) can fail too
        problem = _problem(exc)
        print_outcome(args, problem)
        return problem.code
    return outcome.code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
