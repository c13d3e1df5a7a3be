"""``plan`` on generated manifests of 10 .. 10,000 tools: time should grow about linearly.

Goal (issue 3): 1,000 tools under 0.5 s. Measures the whole command in-process (parse both
manifests, validate, plan, render JSON) and, separately, the CLI as a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from os_tooling.cli.main import main as cli_main

SIZES = (10, 100, 1_000, 10_000)
PROVIDERS = ["capa", "eks", "capz", "capv", "capvcd", "capmox"]


def manifest(n: int, bump: bool) -> str:
    lines = ["tools:"]
    for i in range(n):
        minor = 5 if bump and i % 7 == 0 else 4
        lines += [f"  - name: tool-{i}",
                  f"    # renovate: datasource=github-releases depName=example/tool-{i}",
                  f"    version: {i % 20}.{minor}.{i % 13}",
                  f"    providers: [{', '.join(PROVIDERS[: 1 + i % 6])}]"]
    return "\n".join(lines) + "\n"


def in_process(base: Path, head: Path) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli_main(["plan", "--base", str(base), "--head", str(head), "--current-version",
                         "1.0.0", "--format", "json"])
    elapsed = time.perf_counter() - start
    assert code == 0, code
    return elapsed


def main() -> None:
    binary = str(Path(sys.executable).parent / "os-tooling")
    print(f"{'tools':>7} {'in-process':>11} {'per tool':>10} {'subprocess':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for n in SIZES:
            base, head = Path(tmp, f"b{n}.yaml"), Path(tmp, f"h{n}.yaml")
            base.write_text(manifest(n, False))
            head.write_text(manifest(n, True))
            inproc = min(in_process(base, head) for _ in range(3))
            start = time.perf_counter()
            subprocess.run([binary, "plan", "--base", str(base), "--head", str(head),
                            "--current-version", "1.0.0", "--format", "json"],
                           check=True, capture_output=True)
            sub = time.perf_counter() - start
            results.append((n, inproc))
            print(f"{n:>7} {inproc * 1000:>9.1f}ms {inproc / n * 1e6:>8.1f}us {sub * 1000:>9.1f}ms")
    per_tool = [t / n for n, t in results if n >= 100]
    spread = max(per_tool) / min(per_tool)
    t1000 = dict(results)[1_000]
    print(f"per-tool time varies {spread:.2f}x from 100 to 10,000 tools (about linear when close to 1)")
    print(f"1,000 tools: {t1000 * 1000:.0f} ms (goal < 500 ms: {'met' if t1000 < 0.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
