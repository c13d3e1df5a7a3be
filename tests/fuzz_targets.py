"""Fuzz targets shared by tests/test_fuzz.py (small fixed budget) and bench/fuzz.py (long runs).

Each target writes generated input to a temp directory, runs the real CLI entry point in
process, and returns an Outcome. A crash is exit 3 (internal error), any exit code outside
0/1/2, an uncaught exception, or a traceback in the output.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from hypothesis import strategies as st

from os_tooling.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "data" / "releases-sample"
EXAMPLE = (ROOT / "examples" / "manifests" / "os-tooling.yaml").read_text()
SAMPLE_TEXTS = sorted((p.relative_to(SAMPLES).as_posix(), p.read_text()) for p in SAMPLES.rglob("release.yaml"))


@dataclass
class Outcome:
    args: list[str]
    code: int | None
    out: str
    err: str
    exception: str = ""

    @property
    def crashed(self) -> bool:
        return (self.exception != "" or self.code not in (0, 1, 2)
                or "Traceback" in self.out + self.err)


def run_cli(args: list[str]) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    except SystemExit as exc:  # main() must return, never exit
        return Outcome(args, None, out.getvalue(), err.getvalue(), f"SystemExit({exc.code})")
    except BaseException as exc:  # noqa: BLE001 - that is what we are looking for
        return Outcome(args, None, out.getvalue(), err.getvalue(), f"{type(exc).__name__}: {exc}")
    return Outcome(args, code, out.getvalue(), err.getvalue())


# -- strategies ----------------------------------------------------------------------------------
_MANIFEST_KEYS = ["tools", "name", "version", "providers", "policy", "preOneZero", "allowPrerelease",
                  "major", "minor", "patch", "teleport"]
_CR_KEYS = ["apiVersion", "kind", "metadata", "name", "spec", "components", "apps", "version",
            "state", "date", "flatcar", "kubernetes", "os-tooling", "flatcar-variant", "catalog"]
_CONFIG_KEYS = ["providers", "capa", "capz", "capv", "capmox", "eks", "backend", "catalog", "file",
                "regions", "imageBuilderRepo", "toolingManifest", "aws-ami", "s3", "bucket", "key"]
_ATOMS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**20), st.floats(),
                   st.text(max_size=12),
                   st.sampled_from(["1.10", "v17.4.2", "0.1.44", "4593.2.4", "1.34.10", "capa", "aks",
                                    "aws-34.5.0", "release.giantswarm.io/v1alpha1", "Release", "*",
                                    "::error::x", "$(id)", "`x`", "%0A", "<b>", "9" * 40]))


def yaml_tree(keys: list[str]):
    return st.recursive(_ATOMS, lambda c: st.one_of(
        st.lists(c, max_size=4), st.dictionaries(st.sampled_from(keys), c, max_size=5)), max_leaves=30)


def dump(value) -> str:
    return yaml.safe_dump(value, allow_unicode=True)


def mutated(text: str):
    """The text with a few random edits: lines dropped/duplicated, characters inserted."""
    lines = text.splitlines(keepends=True)

    @st.composite
    def build(draw):
        out = list(lines)
        for _ in range(draw(st.integers(1, 4))):
            if not out:
                break
            i = draw(st.integers(0, len(out) - 1))
            action = draw(st.sampled_from(["drop", "dup", "insert", "replace"]))
            if action == "drop":
                del out[i]
            elif action == "dup":
                out.insert(i, out[i])
            else:
                junk = draw(st.sampled_from([":", "- ", "{", "[", "'", "\t", "&a ", "*a", "!!python/object ",
                                             "\x00", "\ufeff", "   ", "#", "~", "? "])) + draw(st.text(max_size=4))
                pos = draw(st.integers(0, len(out[i])))
                out[i] = out[i][:pos] + junk + (out[i][pos:] if action == "insert" else "")
        return "".join(out)

    return build()


# requests.yaml: the real file (with exceptions and an issue), generated ones whose ranges and
# names come from blang's grammar and around it, and random YAML
REQUESTS_EXAMPLE = (SAMPLES / "capa" / "requests.yaml").read_text() + (
    '- name: ">= 34.4.1 || 1.x"\n  requests:\n  - name: containerd\n    version: ">= 1.7.27"\n'
    "    issue: https://example.invalid/1\n    except:\n    - releaseVersion: v34.4.1\n"
    "      reason: built before the fix\n")
_REQUESTS_KEYS = ["releases", "name", "requests", "version", "issue", "except", "releaseVersion",
                  "reason", "containerd", "teleport"]
_RANGES = st.one_of(
    st.sampled_from([">= 34.0.0", "< 35.0.0", ">= 1.7.27", "1.x", "1.2.x", ">1.x", "!=1.2.x",
                     "~1.2.x", "~1.2.3", ">=1.0.0 || <0.5.0", "||", "", " ", "v34.5.0",
                     "1.2.x-rc", ">= 1.0.0 || || >= 2.0.0", "9" * 40 + ".0.0", "<=1.+2.x",
                     ">=9223372036854775807.x", ">= 1.0.0 x", "٣.0.0"]),
    st.text(alphabet=" <>=!|x0123456789.-+v~^*", max_size=24), st.text(max_size=12))
_REQUEST_NAMES = st.one_of(st.sampled_from(["containerd", "teleport", "teleprot", "security-bundle",
                                            "cilium", "cluster-aws", "flatcar", "os-tooling",
                                            "kubernetes", "image-builder"]),
                           st.text(max_size=12))
_REQUEST = st.fixed_dictionaries(
    {"name": _REQUEST_NAMES, "version": _RANGES},
    optional={"issue": st.one_of(st.text(max_size=8), st.integers()),
              "except": st.lists(st.fixed_dictionaries({"releaseVersion": _RANGES},
                                                       optional={"reason": st.text(max_size=5)}),
                                 max_size=2)})
_REQUESTS_DOC = st.fixed_dictionaries({"releases": st.lists(st.fixed_dictionaries(
    {"name": _RANGES, "requests": st.lists(_REQUEST, max_size=3)}), max_size=4)})
requests_inputs = st.one_of(_REQUESTS_DOC.map(dump), yaml_tree(_REQUESTS_KEYS).map(dump),
                            mutated(REQUESTS_EXAMPLE), st.binary(max_size=200))

manifest_inputs = st.one_of(yaml_tree(_MANIFEST_KEYS).map(dump), mutated(EXAMPLE), st.binary(max_size=200))
release_inputs = st.tuples(st.sampled_from(SAMPLE_TEXTS), st.one_of(
    st.none(), yaml_tree(_CR_KEYS).map(dump), st.binary(max_size=120)))
config_inputs = st.one_of(yaml_tree(_CONFIG_KEYS).map(dump), st.binary(max_size=120))


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")


# -- targets -------------------------------------------------------------------------------------
def manifest_target(text: str | bytes) -> list[Outcome]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "os-tooling.yaml"
        _write(path, text)
        base = Path(tmp) / "base.yaml"
        base.write_text(EXAMPLE)
        return [run_cli(["validate", str(path), "--format", "json"]),
                run_cli(["validate", str(path), "--strict", "--format", "markdown"]),
                run_cli(["plan", "--base", str(base), "--head", str(path), "--current-version", "0.9.0"]),
                run_cli(["plan", "--base", str(path), "--head", str(base), "--format", "json"])]


def release_target(sample: tuple[str, str], replacement: str | bytes | None, mutate: str | None = None
                   ) -> list[Outcome]:
    relative, text = sample
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for other, other_text in SAMPLE_TEXTS:  # the others are previous releases
            _write(root / other, other_text)
        content: str | bytes = replacement if replacement is not None else (mutate or text)
        _write(root / relative, content)
        catalog = root / "images.json"
        catalog.write_text(json.dumps({"capa": ["flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"]}))
        return [run_cli(["gate", relative, "--repo-root", str(root), "--catalog", str(catalog), "--format", fmt])
                for fmt in ("json", "markdown")] + [
            run_cli(["gate", str(root / relative), "--repo-root", str(root), "--catalog", str(catalog)])]


_TOOLING: list[Path] = []


def _tooling_repo() -> Path:
    """A capi-image-builder with tags v1.31.0 and v1.33.1 (made once per process)."""
    if not _TOOLING:
        import atexit
        import shutil
        import subprocess

        folder = Path(tempfile.mkdtemp(prefix="fuzz-tooling-"))
        atexit.register(shutil.rmtree, folder, True)

        def git(*args: str) -> None:
            subprocess.run(["git", "-c", "user.email=f@example.invalid", "-c", "user.name=f",
                            "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
                           cwd=folder, check=True, capture_output=True)

        git("init", "-q")
        for tag, containerd in (("v1.31.0", "v1.7.24"), ("v1.33.1", "v1.7.27")):
            (folder / "os-tooling.yaml").write_text(
                "tools:\n  - name: containerd\n    # renovate: datasource=github-releases "
                f"depName=containerd/containerd\n    version: {containerd}\n"
                "    providers: [capa, eks, capz]\n")
            git("add", "-A")
            git("commit", "-q", "-m", tag)
            git("tag", tag)
        _TOOLING.append(folder)
    return _TOOLING[0]


def requests_target(text: str | bytes) -> list[Outcome]:
    """A requests.yaml next to the real capa releases: the gate (every format, with and without
    a tooling source) and bump's requests rule."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for other, other_text in SAMPLE_TEXTS:
            if other.startswith("capa/"):
                _write(root / other, other_text)
        _write(root / "capa" / "requests.yaml", text)
        catalog = root / "images.json"
        catalog.write_text(json.dumps({"capa": [
            "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs",
            "flatcar-stable-4593.2.2-kube-1.34.7-tooling-1.31.0-gs"]}))
        files = [str(root / "capa" / v / "release.yaml") for v in ("v34.4.1", "v34.5.0")]
        common = ["--repo-root", str(root), "--catalog", str(catalog)]
        outcomes = [run_cli(["gate", *files, *common, "--tooling-repo", str(_tooling_repo()),
                             "--format", fmt]) for fmt in ("json", "markdown", "text")]
        outcomes.append(run_cli(["gate", *files, *common, "--no-tooling-checks"]))
        outcomes.append(run_cli(["bump", files[1], "--to-tooling", "1.31.0", "--dry-run",
                                 "--catalog", str(catalog), "--tooling-repo", str(_tooling_repo()),
                                 "--format", "json"]))
        return outcomes


def config_target(text: str | bytes) -> list[Outcome]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        relative, release = SAMPLE_TEXTS[0]
        _write(root / relative, release)
        config = root / "gate.yaml"
        _write(config, text)
        # no cloud here: AWS/Azure stores must answer "error" or refuse the config, never hang
        env_free = ["gate", relative, "--repo-root", str(root), "--config", str(config), "--format", "json"]
        return [run_cli(env_free)]


# -- structural generators: depth, size, special files, symlinks, hostile strings ---------------
HOSTILE_STRINGS = ["a|b|c", "`x|y`", "[link](http://evil.example)", "![img](http://evil.example/x.png)",
                   "<img src=x onerror=alert(1)>", "@acme/team", "www.evil.example", "https://evil.example",
                   "me@evil.example", "\x1b[32mok:\x1b[0m fine", "\r\nok: valid", "bell\x07", "::error::x",
                   "%0A::warning::x", "$(id)", "${{ secrets.X }}", "#1", "\u202eevil", "\u200b", "\\|", "**b**"]


@st.composite
def _deep_text(draw) -> str:
    depth = draw(st.sampled_from([1, 10, 63, 64, 65, 200, 5000, 30000]))
    shape = draw(st.sampled_from(["flow-seq", "flow-map", "block-seq", "mixed", "json"]))
    if shape == "flow-seq":
        return "tools: " + "[" * depth + "]" * draw(st.sampled_from([0, depth]))
    if shape == "flow-map":
        return "tools: " + "{a: " * depth + "1" + "}" * depth
    if shape == "block-seq":
        depth = min(depth, 600)  # indentation grows quadratically: stay under the size cap
        return "tools:\n" + "".join("  " * i + "-\n" for i in range(depth)) + "  " * depth + "x\n"
    if shape == "json":
        return '{"tools": ' + "[" * depth + "]" * depth + "}"
    return "tools: " + "[{a: " * depth + "1" + "}]" * depth


@st.composite
def _wide_text(draw) -> str:
    count = draw(st.sampled_from([0, 1, 1000, 50_000, 199_999, 200_001]))
    item = draw(st.sampled_from(["1", "x", "{}", "[]", "*a"]))
    anchor = "&a x" if item == "*a" else ""
    return f"a: {anchor}\ntools: [" + ",".join([item] * count) + "]\n"


def _hostile_leaves(value, draw):
    if isinstance(value, dict):
        return {k: _hostile_leaves(v, draw) for k, v in value.items()}
    if isinstance(value, list):
        return [_hostile_leaves(v, draw) for v in value]
    if isinstance(value, str) and draw(st.booleans()):
        return draw(st.sampled_from(HOSTILE_STRINGS))
    return value


@st.composite
def _hostile_strings_text(draw) -> str:
    """The example manifest or a real release with Markdown, links, mentions and control
    characters in string fields (every field may be hit)."""
    source = draw(st.sampled_from([EXAMPLE] + [t for _, t in SAMPLE_TEXTS[:4]]))
    return dump(_hostile_leaves(yaml.safe_load(source), draw))


structural_inputs = st.one_of(_deep_text(), _wide_text(), _hostile_strings_text())
FILE_KINDS = ["regular", "fifo", "directory", "symlink-out", "symlink-dev-zero", "symlink-in",
              "dangling", "empty"]
file_kind_inputs = st.sampled_from(FILE_KINDS)


def structural_target(text: str) -> list[Outcome]:
    """A structural input as manifest, as release file and as catalog, in every format."""
    outcomes = manifest_target(text)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        relative = "capa/v34.6.0/release.yaml"
        _write(root / relative, text)
        catalog = root / "catalog.yaml"
        _write(catalog, text)
        for fmt in ("text", "json", "markdown"):
            outcomes.append(run_cli(["gate", "--no-tooling-checks", str(root / relative), "--repo-root",
                                     str(root), "--catalog", str(catalog), "--format", fmt]))
    return outcomes


def file_kind_target(kind: str) -> list[Outcome]:
    """A manifest and a release file that are not plain regular files inside the repository:
    refused in one line (exit 2) unless they are (regular, symlink inside, empty)."""
    import os

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        (root / ".git").mkdir(parents=True)  # marks the repository root for the reader
        outside = Path(tmp) / "outside.yaml"
        outside.write_text(EXAMPLE)
        inside = root / "shared.yaml"
        inside.write_text(EXAMPLE)
        outcomes = []
        for path in (root / "os-tooling.yaml", root / "capa" / "v34.6.0" / "release.yaml"):
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "regular":
                path.write_text(EXAMPLE)
            elif kind == "fifo":
                os.mkfifo(path)
            elif kind == "directory":
                path.mkdir()
            elif kind == "symlink-out":
                path.symlink_to(outside)
            elif kind == "symlink-dev-zero":
                path.symlink_to("/dev/zero")
            elif kind == "symlink-in":
                path.symlink_to(inside)
            elif kind == "dangling":
                path.symlink_to(root / "nowhere.yaml")
            else:
                path.write_text("")
        cwd = os.getcwd()
        os.chdir(root)
        try:
            outcomes.append(run_cli(["validate", "os-tooling.yaml"]))
            outcomes.append(run_cli(["gate", "--no-tooling-checks", "capa/v34.6.0/release.yaml",
                                     "--catalog", str(inside), "--format", "json"]))
        finally:
            os.chdir(cwd)
        return outcomes
