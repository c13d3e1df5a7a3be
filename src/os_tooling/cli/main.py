"""The ``os-tooling`` command line: parse arguments, dispatch, map outcomes to exit codes.

Start-up matters (the pre-commit hook and every PR pay it): this module and the command
modules import only the standard library at load time; each command imports what it needs
when it runs.
"""

from __future__ import annotations

import sys

from os_tooling import __version__

# subcommand -> module with HELP, add_arguments(parser) and run(args) -> exit code
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

EXIT_USAGE = 2
EXIT_INTERNAL = 3
# optional dependencies (pyproject's extras) a command imports when it runs
_EXTRA_OF_MODULE = {name: "cloud" for name in ("boto3", "botocore", "s3transfer", "github",
                                                "requests", "urllib3", "jwt", "nacl")}
_EXTRA_OF_MODULE["github_action_utils"] = "action"


def build_parser():
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
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in == ["--version"]:  # fast path: hooks and scripts call this to probe the tool
        print(f"os-tooling {__version__}")
        return 0
    from os_tooling.errors import UsageError

    parser = build_parser()
    try:
        args = parser.parse_args(args_in)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.run(args)
    except UsageError as exc:
        from os_tooling.report.escape import one_line

        print(f"os-tooling {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # never a traceback for a user; one line saying what broke
        import os

        extra = _EXTRA_OF_MODULE.get((getattr(exc, "name", None) or "").split(".")[0])
        if isinstance(exc, ModuleNotFoundError) and extra:
            print(f"os-tooling {args.command}: error: this needs the '{extra}' extra (module "
                  f"{exc.name!r} is missing): pip install 'os-tooling[{extra}]'", file=sys.stderr)
            return EXIT_USAGE

        if os.environ.get("OS_TOOLING_DEBUG"):
            raise
        from os_tooling.report.escape import one_line

        print(f"os-tooling {args.command}: internal error: {type(exc).__name__}: {one_line(exc)} "
              "(set OS_TOOLING_DEBUG=1 for a traceback, and please report it)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
