"""Start-up cost, measured in one run (goals from issue 3).

- ``os-tooling --version`` vs bare ``python -c pass``: goal <= 3x
- ``os-tooling validate M`` vs ``check-jsonschema --schemafile <our schema> M``: goal <= 0.6x

Run: ``make bench`` (or ``.venv/bin/python bench/startup.py [--runs N]``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MANIFEST = ROOT / "examples" / "manifests" / "os-tooling.yaml"
SCHEMA = ROOT / "src" / "os_tooling" / "schema" / "manifest.schema.json"


def median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{cmd} failed: {proc.stderr.decode()[-300:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    os_tooling = str(BIN / "os-tooling")
    bare = median_seconds([sys.executable, "-c", "pass"], runs)
    version = median_seconds([os_tooling, "--version"], runs)
    ours = median_seconds([os_tooling, "validate", str(MANIFEST)], runs)
    peer = median_seconds([str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA), str(MANIFEST)],
                          runs)
    print(f"median of {runs} runs each")
    print(f"python -c pass                 {bare * 1000:7.1f} ms")
    print(f"os-tooling --version           {version * 1000:7.1f} ms  = {version / bare:4.2f}x bare python"
          f"  (goal <= 3x: {'met' if version / bare <= 3 else 'NOT met'})")
    print(f"os-tooling validate            {ours * 1000:7.1f} ms")
    print(f"check-jsonschema --schemafile  {peer * 1000:7.1f} ms")
    print(f"validate / check-jsonschema    {ours / peer:7.2f}x  (goal <= 0.6x: "
          f"{'met' if ours / peer <= 0.6 else 'NOT met'})")


if __name__ == "__main__":
    main()
