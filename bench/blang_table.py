"""Write tests/data/blang-ranges.yaml: ranges and which versions real blang/semver v4 says they
contain, for the property tests of ``os_tooling.core.semver_range`` (which must read ranges as
the releases repository's Go test does). Also runs a differential fuzz of the two readers.

Needs Go and blang/semver, both from Debian (no network beyond the package mirror):

    apt-get install -y golang-go golang-github-blang-semver-dev
    .venv/bin/python bench/blang_table.py            # rewrite the table
    .venv/bin/python bench/blang_table.py --fuzz 20000  # also compare on random ranges

The tests never need Go: they read the table this script wrote.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from os_tooling.core.semver_range import RangeError, parse_range, parse_version  # noqa: E402

BLANG = Path("/usr/share/gocode/src/github.com/blang/semver/v4")  # Debian's package
TABLE = ROOT / "tests" / "data" / "blang-ranges.yaml"
VERSIONS = ["0.9.0", "1.0.0-rc.1", "1.0.0", "1.2.2", "1.2.3-beta.2", "1.2.3", "1.2.4", "1.3.0",
            "1.9.9", "2.0.0-rc.1", "2.0.0", "2.0.3-beta.2", "2.1.8", "2.2.0", "3.0.0", "4.2.1",
            "34.5.0", "35.0.0"]
# (range, note): "quirk" marks a range whose meaning depends on where it stands (the property
# tests do not combine those); the others may be joined with spaces and "||".
CASES = [
    # blang's ParseRange documentation and test table
    *((r, "") for r in (">1.2.3", ">=1.2.3", "<1.2.3", "<=1.2.3", "1.2.3", "=1.2.3", "==1.2.3",
                        "!=1.2.3", "!1.2.3", ">1.0.0 <2.0.0", ">1.0.0 <3.0.0 !2.0.3-beta.2",
                        "<2.0.0 || >=3.0.0", ">1.0.0 <2.0.0 || >3.0.0 !4.2.1", ">1.2.2 <1.2.4",
                        "<1.2.2 <1.2.4", ">1.2.2 <1.2.5 !=1.2.4", ">1.2.2 || <1.2.4",
                        "<1.2.2 || >1.2.4", ">1.x", ">1.2.x", ">1.2.2 <1.2.4 || >=2.0.0",
                        "1.x || >=2.0.x <2.2.x", ">1.2.2 <1.2.4 || >=2.0.0 <3.0.0")),
    # wildcards, as expandWildcardVersion's documentation lists them
    *((r, "") for r in (">=1.2.x", "<=1.2.x", "<1.2.x", "!=1.2.x", ">=1.x", "<=1.x", "<1.x",
                        "!=1.x", "1.2.x", "1.x", "1.x.x")),
    # spaces: none, many, between operator and version
    *((r, "") for r in (">= 1.2.3", "  >=   1.2.3   <=  2.0.0   ", "1.2.3 || >=2.0.0 <3.0.0",
                        "      1.2.3      ||     >=2.0.0     <3.0.0    ", "<= 2.0.0", "> 1.2.3",
                        "= 1.2.3", "== 1.2.3", "!= 1.2.3")),
    # the real capa requests.yaml, and what /pin-version writes
    *((r, "") for r in (">= 34.2.0 < 35.0.0", "< 34.0.0", ">= 33.5.0 < 34.0.0", ">= 32.0.0",
                        ">= 31.0.0 < 32.0.0", ">= 31.1.0", ">= 1.17.1 < 1.18.0", "< 7.0.0",
                        ">= 1.3.0", ">= 1.2.0 < 1.3.0", ">= 1.2.2", ">= 1.26.0", ">= 2.9.0",
                        ">= 0.1.0", "<= 34.5.0", ">= 34.5.0 < 35.0.0", "4152.2.3")),
    # prereleases, ordered as semver orders them (no npm-style exclusion)
    *((r, "") for r in (">=1.0.0", "<1.0.0", ">=2.0.0-rc.1 <2.0.0", ">1.2.3-beta.2 <1.2.4",
                        "1.2.3+build.5", ">1.2.3+build")),
    # blang's quirks
    (">=1.0.0 x", "quirk"), (">= 1.2.3 <", "quirk"), ("~1.2.x", "quirk"), ("x1.2.3", "quirk"),
    ("! 1.2.3", "quirk"), (">=1.2.3 <", "quirk"), ("1.2.3 - 2.0.0 -", "quirk"),
    # errors
    *((r, "") for r in ("", " ", "a", "||", ">1.2.3 ||", "|| >1.2.3", ">>1.2.3", "=>1.2.3",
                        "~1.2.3", "^1.2.3", "v1.2.3", ">=v1.2.3", "1.0", "1", "string",
                        "fo.ob.ar.x", "01.2.3", "1.2.3-01", ">=1.2.3\t<2.0.0", "1.2.3-x",
                        "1.2.x-rc", ">= 1.0.0 || || >= 2.0.0", "1.2.X", "1.2.*", ">=1.2.3,<2.0.0",
                        "18446744073709551616.0.0", "1.2.3 - 2.0.0")),
]


def build_oracle(folder: Path) -> Path:
    if shutil.which("go") is None or not BLANG.is_dir():
        sys.exit("needs Go and blang/semver: apt-get install -y golang-go "
                 "golang-github-blang-semver-dev")
    shutil.copytree(BLANG, folder / "blang")
    (folder / "blang" / "go.mod").write_text("module github.com/blang/semver/v4\ngo 1.14\n")
    shutil.copy(Path(__file__).parent / "blang-oracle" / "main.go", folder / "main.go")
    (folder / "go.mod").write_text("module oracle\ngo 1.19\nrequire github.com/blang/semver/v4 "
                                   "v4.0.0\nreplace github.com/blang/semver/v4 => ./blang\n")
    subprocess.run(["go", "build", "-o", "oracle", "."], cwd=folder, check=True,
                   env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "GOFLAGS": "-mod=mod",
                        "GOPROXY": "off", "GOCACHE": str(folder / "cache")})
    return folder / "oracle"


def ask(oracle: Path, ranges: list[str], versions: list[str]) -> list[dict]:
    lines = "".join(json.dumps({"range": r, "versions": versions}) + "\n" for r in ranges)
    out = subprocess.run([str(oracle)], input=lines, capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


def write_table(oracle: Path) -> None:
    answers = ask(oracle, [r for r, _ in CASES], VERSIONS)
    lines = ["# Which versions blang/semver v4's ParseRange says each range contains (null: an",
             "# error, or a panic while matching). Written by bench/blang_table.py from the real",
             "# blang/semver (Debian's golang-github-blang-semver-dev); do not edit by hand.",
             f"versions: {json.dumps(VERSIONS)}", "cases:"]
    for (text, note), answer in zip(CASES, answers, strict=True):
        matches = (None if answer["error"] or answer["panic"] else
                   [v for v, hit in zip(VERSIONS, answer["results"], strict=True) if hit])
        lines.append(f"- range: {json.dumps(text)}")
        lines.append(f"  matches: {json.dumps(matches)}")
        if note:
            lines.append(f"  note: {note}")
    TABLE.write_text("\n".join(lines) + "\n")
    print(f"wrote {TABLE.relative_to(ROOT)}: {len(CASES)} ranges x {len(VERSIONS)} versions")


def fuzz(oracle: Path, count: int, seed: int) -> int:
    rnd = random.Random(seed)
    alphabet = " <>=!|x0123456789.-+abv\t~^*"
    words = ["1.2.3", "1.x", "1.2.x", ">=", "<", "||", " ", "x", "0.", "10", "-rc.1", "+b",
             "!=", "=", "2.0.0"]
    ranges = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 18))) if i % 2 else
              "".join(rnd.choice(words) for _ in range(rnd.randint(1, 8))) for i in range(count)]
    mismatches = 0
    for text, answer in zip(ranges, ask(oracle, ranges, VERSIONS), strict=True):
        try:
            read = parse_range(text)
            mine = [read.contains(parse_version(v)) for v in VERSIONS]
        except RangeError:
            mine = None
        theirs = None if answer["error"] or answer["panic"] else answer["results"]
        if mine != theirs:
            mismatches += 1
            print(f"mismatch: {text!r}: blang {theirs}, ours {mine}")
    print(f"fuzz: {count} ranges, {mismatches} mismatches")
    return mismatches


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz", type=int, default=0, help="also compare on N random ranges")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        oracle = build_oracle(Path(tmp))
        write_table(oracle)
        return 1 if args.fuzz and fuzz(oracle, args.fuzz, args.seed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
