"""Long fuzz run: random manifests, Release CRs, gate configs, requests.yaml files, hostile
structures (depth, size, Markdown and control characters in every string field) and special
files through the real CLI.

    .venv/bin/python bench/fuzz.py --examples 10000

Prints how many inputs were tried per target and how many crashed (goal: 0). A crash is an
internal error (exit 3), an exit code outside 0/1/2, an exception escaping ``main()``, or a
traceback in the output; the first few are printed in full.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from tests.fuzz_targets import (  # noqa: E402
    config_inputs,
    config_target,
    file_kind_inputs,
    file_kind_target,
    manifest_inputs,
    manifest_target,
    release_inputs,
    release_target,
    requests_inputs,
    requests_target,
    structural_inputs,
    structural_target,
)


def fuzz(strategy, target, examples: int) -> tuple[int, int, list]:
    """Run ``target`` on ``examples`` generated inputs; crashes are collected, not raised."""
    counts = {"tried": 0, "runs": 0}
    crashes: list = []

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(value):
        counts["tried"] += 1
        for outcome in target(value):
            counts["runs"] += 1
            if outcome.crashed:
                crashes.append(outcome)

    one()
    return counts["tried"], counts["runs"], crashes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="inputs per target (default 1000)")
    examples = parser.parse_args().examples
    # keep any store a config selects on loopback and quick to give up
    os.environ.update(AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ACCESS_KEY_ID="x",
                      AWS_SECRET_ACCESS_KEY="x", AWS_EC2_METADATA_DISABLED="true", AWS_MAX_ATTEMPTS="1")
    targets = {
        "manifest": (manifest_inputs, lambda x: manifest_target(x)),
        "release-cr": (release_inputs, lambda x: release_target(*x)),
        "gate-config": (config_inputs, lambda x: config_target(x)),
        "requests": (requests_inputs, lambda x: requests_target(x)),
        # depth, size, Markdown/control characters in string fields; special files and symlinks
        "structure": (structural_inputs, lambda x: structural_target(x)),
        "file-kinds": (file_kind_inputs, lambda x: file_kind_target(x)),
    }
    total_crashes = 0
    for name, (strategy, target) in targets.items():
        started = time.perf_counter()
        tried, runs, crashes = fuzz(strategy, target, examples)
        elapsed = time.perf_counter() - started
        print(f"{name:12} inputs tried {tried:6}  CLI runs {runs:6}  crashes {len(crashes):3}  "
              f"({elapsed:.1f}s)")
        for outcome in crashes[:3]:
            print(f"  crash: {outcome.args} exit={outcome.code} {outcome.exception}\n"
                  f"  {outcome.err.strip()[-400:]}")
        total_crashes += len(crashes)
    print(f"total crashes: {total_crashes} (goal 0)")
    return 1 if total_crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
