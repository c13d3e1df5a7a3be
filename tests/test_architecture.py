"""The layers of docs/architecture.md, held by the import statements themselves: no module
imports from a layer above its own, and the core does no I/O."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "os_tooling"

# lowest first; a module may import its own layer and the layers below it
LAYERS: list[tuple[str, set[str]]] = [
    ("core", {"core", "errors", "schema", "__init__"}),
    ("adapters", {"adapters"}),
    ("stores", {"backends"}),
    ("use cases", {"usecases"}),
    ("reports", {"report"}),
    ("entry points", {"cli", "action", "__main__"}),
]
# modules of the standard library or dependencies that mean I/O: never in the core
IO_MODULES = {"subprocess", "socket", "shutil", "tempfile", "urllib.request", "http.client",
              "requests", "boto3", "botocore", "github", "os_tooling.adapters"}


def layer_of(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else "__init__"
    for index, (_name, members) in enumerate(LAYERS):
        if top in members:
            return index
    raise AssertionError(f"{module}: its package {top!r} is in no layer of docs/architecture.md")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module an import statement names, at module level or inside a function."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
    return names


MODULES = modules()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_runs_up_a_layer(module):
    own = layer_of(module)
    upward = [f"line {line}: {name} ({LAYERS[layer_of(name)][0]})"
              for line, name in imports_of(MODULES[module])
              if name.startswith("os_tooling.") and layer_of(name) > own]
    assert not upward, f"{module} ({LAYERS[own][0]}) imports from above: {upward}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer_of(m) == 0))
def test_the_core_does_no_io(module):
    io = [f"line {line}: {name}" for line, name in imports_of(MODULES[module])
          if any(name == m or name.startswith(m + ".") for m in IO_MODULES)]
    assert not io, f"{module} is core and must not do I/O: {io}"


def test_the_check_can_fail():
    # an entry point importing upward is fine; a core module importing an adapter is not
    assert layer_of("os_tooling.cli.main") > layer_of("os_tooling.report.gate")
    assert layer_of("os_tooling.adapters.git") > layer_of("os_tooling.core.manifest")
    with pytest.raises(AssertionError, match="in no layer"):
        layer_of("os_tooling.newpackage.thing")


# what may stay inside a function: the heavy optional dependencies, and cli/main.py's own
# start-up path (it imports the one command module argv names)
LAZY_ALLOWED = {"boto3", "botocore", "github", "requests", "jsonschema", "github_action_utils"}
LAZY_MODULE = "os_tooling.cli.main"


def function_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.module:
                    found.append((inner.lineno, inner.module))
                elif isinstance(inner, ast.Import):
                    found += [(inner.lineno, alias.name) for alias in inner.names]
    return found


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != LAZY_MODULE))
def test_only_heavy_dependencies_are_imported_lazily(module):
    lazy = [f"line {line}: {name}" for line, name in function_imports(MODULES[module])
            if name.split(".")[0] not in LAZY_ALLOWED]
    assert not lazy, f"{module} imports inside functions what belongs at its top: {lazy}"


def test_a_command_imports_only_its_own_module(tmp_path):
    manifest = Path(__file__).resolve().parents[1] / "examples" / "manifests" / "os-tooling.yaml"
    probe = ("import sys\nfrom os_tooling.cli.main import main\n"
             f"code = main(['validate', {str(manifest)!r}])\n"
             "print(sorted(m for m in sys.modules if m.startswith('os_tooling.cli.')"
             " or m.split('.')[0] in ('boto3', 'github', 'requests', 'jsonschema')))\n"
             "raise SystemExit(code)")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout.strip().splitlines()[-1]
    assert "os_tooling.cli.validate" in loaded
    for other in ("os_tooling.cli.gate", "os_tooling.cli.release", "os_tooling.cli.bump",
                  "boto3", "'github", "requests", "jsonschema"):
        assert other not in loaded, f"validate imported {other}: {loaded}"


@pytest.mark.parametrize("argv", [["--help"], ["-h", "gate"]])
def test_the_top_level_help_still_lists_every_command_with_its_help(argv):
    from os_tooling.cli.main import COMMANDS

    proc = subprocess.run([sys.executable, "-m", "os_tooling", *argv], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    for name, module in COMMANDS.items():
        first_words = __import__(module, fromlist=["HELP"]).HELP.split()[:3]
        assert name in proc.stdout and " ".join(first_words) in " ".join(proc.stdout.split()), name
