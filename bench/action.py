"""Action benchmark: a job's start-to-verdict time, building the image vs pulling it.

A job of a Docker action starts on a machine that has no image: with ``runs.image:
Dockerfile`` (main's action.yml) the runner builds the Dockerfile, pulling its base first;
with ``runs.image: docker://...@sha256:...`` (a release's action.yml) it pulls the published
image. Then it starts the container and the entrypoint gives its verdict. This runs
``tools/image-test.sh`` (buildah with overlay storage, or vfs where the kernel refuses it;
Debian's docker-registry on loopback), which does both on empty stores and times each phase,
and prints, in one run:

- building from the Dockerfile: base pulled + Dockerfile built, then the job (container,
  ``plan`` until its verdict);
- pulling the published image by digest from the local registry, then the same job;
- their ratio (goal: pulling and running in at most a fifth of building and running), the
  median's and each run's (building varies most: pip and apt download);
- the CLI's own time: ``os-tooling plan`` on the same change, as a process of this venv.

Building takes minutes on 2 cores, so this is not part of ``make test`` or ``make bench``:
``make bench-action`` (root, as ``make image-test``). ``--runs N`` repeats the image test and
reports medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL = 0.2
DRIVER: dict[str, str] = {}  # the image test's buildah storage driver


def image_test_phases(runs: int) -> list[dict[str, float]]:
    """Each run's phases (seconds) from tools/image-test.sh."""
    results = []
    for run in range(1, runs + 1):
        with tempfile.NamedTemporaryFile(suffix=".jsonl") as timings:
            env = {**os.environ, "OS_TOOLING_IMAGE_TIMINGS": timings.name}
            print(f"image test, run {run} of {runs} ...", flush=True)
            proc = subprocess.run(["bash", str(ROOT / "tools" / "image-test.sh")], env=env,
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                sys.exit(f"tools/image-test.sh failed (exit {proc.returncode}):\n"
                         f"{(proc.stdout + proc.stderr)[-3000:]}")
            phases = {}
            for line in Path(timings.name).read_text().splitlines():
                record = json.loads(line)
                if "phase" in record:
                    phases[record["phase"]] = float(record["seconds"])
                else:
                    DRIVER.update(record)
            results.append(phases)
    return results


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=bench",
                           "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false",
                           "-c", "tag.gpgsign=false", *args],
                          check=True, capture_output=True, text=True).stdout


def cli_seconds(repeat: int = 7) -> float:
    """Median wall time of ``os-tooling plan --base-ref HEAD~1`` in a process, on the change
    the image test plans (teleport 17.4.2 -> 17.5.0 over tag v1.4.0)."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "workspace"
        repo.mkdir()
        _git(repo, "init", "-q", "-b", "main")
        manifest = (ROOT / "examples" / "manifests" / "os-tooling.yaml").read_text()
        (repo / "os-tooling.yaml").write_text(manifest)
        _git(repo, "add", "os-tooling.yaml")
        _git(repo, "commit", "-q", "-m", "base")
        _git(repo, "tag", "-a", "v1.4.0", "-m", "v1.4.0")
        (repo / "os-tooling.yaml").write_text(manifest.replace("version: 17.4.2", "version: 17.5.0"))
        _git(repo, "commit", "-q", "-am", "Update teleport to 17.5.0")
        command = [sys.executable, "-m", "os_tooling", "plan", "--base-ref", "HEAD~1",
                   "--format", "json"]
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            proc = subprocess.run(command, cwd=repo, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if proc.returncode != 0 or json.loads(proc.stdout)["next_version"] != "1.5.0":
                sys.exit(f"os-tooling plan did not give 1.5.0: {proc.stdout}{proc.stderr}")
        return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="image test runs (medians)")
    args = parser.parse_args()
    if os.geteuid() != 0 and shutil.which("sudo") is None:
        sys.exit("bench/action.py needs root (or sudo) for buildah, as make image-test does")

    runs = image_test_phases(args.runs)
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    build = median["build"] + median["built-job"]
    pull = median["pull"] + median["pulled-job"]
    cli = cli_seconds()
    ratio = pull / build
    load = os.getloadavg()[0]
    driver = DRIVER.get("storage_driver", "?")
    print(f"\nstart to verdict of one job (median of {len(runs)} run(s); buildah with {driver} "
          f"storage, registry on loopback; {os.cpu_count()} cores, load {load:.1f})")
    print(f"  build from the Dockerfile  {build:6.1f} s  (base pulled + Dockerfile built "
          f"{median['build']:.1f} s, job {median['built-job']:.1f} s)")
    print(f"  pull the published image   {pull:6.1f} s  (pulled by digest {median['pull']:.1f} s, "
          f"job {median['pulled-job']:.1f} s)")
    each = ", ".join(f"{(r['pull'] + r['pulled-job']) / (r['build'] + r['built-job']):.2f}"
                     for r in runs)
    print(f"  pull / build               {ratio:6.2f}    (goal <= {GOAL:.2f}: "
          f"{'met' if ratio <= GOAL else 'NOT met'}; each run: {each})")
    base, start = median["base-pull"], median["pulled-job"] - median["pulled-entrypoint"]
    print(f"  the base image alone       {base:6.1f} s  to pull (both paths pull it: as the base "
          "of the build, as the lower layers of the image)")
    print(f"  what differs               {median['build'] - base:6.1f} s  building on the base vs "
          f"{median['pull'] - base:.1f} s pulling the action's own layers")
    print(f"  starting the container     {start:6.1f} s  (both paths)")
    print(f"  the entrypoint's plan      {median['pulled-entrypoint']:6.2f} s  (inside the "
          "container, no network)")
    print(f"  the CLI's own time         {cli:6.2f} s  (os-tooling plan as a process)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
