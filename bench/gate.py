"""Gate benchmark: ``os-tooling gate`` over many generated Release CR files.

Scenarios (one function each, chosen with ``--scenario``; ``all`` runs every one):

- ``catalog`` (issue 5): 300 Release CRs across the six image-bearing provider directories, each
  with a previous release to compare against, all images listed in a catalog file. Prints the
  time beyond start-up, measured two ways: in-process (the gate's own work) and as a real
  process minus ``os-tooling --version``. Goal: well under a second.

Run: ``.venv/bin/python bench/gate.py [--scenario catalog] [--files 300] [--runs 5]``.
Helpers for further scenarios: ``generate_releases`` (files + their image per provider),
``write_catalog``, ``time_in_process``, ``time_process``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TEMPLATE = ROOT / "tests" / "data" / "releases-sample" / "capa" / "v34.5.0" / "release.yaml"
# release directory -> (provider, metadata.name prefix)
DIRECTORIES = {"capa": ("capa", "aws-"), "eks": ("eks", "eks-"), "azure": ("capz", "azure-"),
               "vsphere": ("capv", "vsphere-"), "cloud-director": ("capvcd", "cloud-director-"),
               "proxmox": ("capmox", "proxmox-")}


@dataclass(frozen=True)
class Generated:
    path: Path
    provider: str
    image: str
    flatcar: str
    kubernetes: str
    tooling: str


def generate_releases(root: Path, count: int, directories: dict[str, tuple[str, str]] = DIRECTORIES
                      ) -> list[Generated]:
    """``count`` realistic Release CRs (the real aws-34.5.0 with ~30 apps as the template),
    spread over ``directories``; every image is distinct, and every release but the first of a
    major has a previous release with a lower os-tooling minor (so the policy has work to do)."""
    template = (TEMPLATE.read_text().replace("version: 4593.2.4", "version: @FLATCAR@")
                .replace("version: 1.34.10", "version: @KUBERNETES@")
                .replace("version: 1.33.1", "version: @TOOLING@"))
    out: list[Generated] = []
    names = list(directories)
    for i in range(count):
        directory = names[i % len(names)]
        provider, prefix = directories[directory]
        index = i // len(names)
        major, minor = 30 + index // 10, index % 10
        version = f"{major}.{minor}.0"
        flatcar, kubernetes, tooling = f"4593.2.{index % 7}", f"1.{major}.{minor}", f"1.{index}.0"
        text = (template.replace("name: aws-34.5.0", f"name: {prefix}{version}")
                .replace("@FLATCAR@", flatcar).replace("@KUBERNETES@", kubernetes)
                .replace("@TOOLING@", tooling))
        path = root / directory / f"v{version}" / "release.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        image = f"flatcar-stable-{flatcar}-kube-{kubernetes}-tooling-{tooling}-gs"
        out.append(Generated(path, provider, image, flatcar, kubernetes, tooling))
    return out


def write_catalog(path: Path, releases: list[Generated], noise_per_provider: int = 500) -> Path:
    """A catalog listing every generated image, plus unrelated images as a real one would."""
    by_provider: dict[str, list[str]] = {}
    for r in releases:
        by_provider.setdefault(r.provider, []).append(r.image)
    lines = []
    for provider, images in by_provider.items():
        lines.append(f"{provider}:")
        lines += [f"  - {name}" for name in images]
        lines += [f"  - flatcar-stable-3815.2.{n % 9}-kube-1.29.{n}-tooling-1.{n}.0-gs"
                  for n in range(noise_per_provider)]
    path.write_text("\n".join(lines) + "\n")
    return path


def time_in_process(argv: list[str], runs: int) -> tuple[float, int, str, float]:
    """Median wall seconds of ``main(argv)`` in this process (fresh caches each run), exit
    code, output, and the median CPU seconds (steadier on a busy machine)."""
    from os_tooling.backends import catalog
    from os_tooling.cli.main import main

    times, cpu, code, out = [], [], 0, ""
    for _ in range(runs):
        catalog._CACHE.clear()
        buffer = io.StringIO()
        start, start_cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(buffer):
            code = main(argv)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        out = buffer.getvalue()
    return statistics.median(times), code, out, statistics.median(cpu)


def time_process(args: list[str], runs: int) -> float:
    """Median wall seconds of ``os-tooling ARGS`` as a real process."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([str(BIN / "os-tooling"), *args], capture_output=True)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"os-tooling {args[:1]} failed: {proc.stderr.decode()[-300:]}")
    return statistics.median(times)


def scenario_catalog(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "releases"
        releases = generate_releases(root, args.files)
        catalog = write_catalog(Path(tmp) / "catalog.yaml", releases)
        gate_args = ["gate", "--no-tooling-checks", *[str(r.path) for r in releases], "--catalog", str(catalog),
                     "--repo-root", str(root), "--format", "json"]
        work, code, out, cpu = time_in_process(gate_args, args.runs)
        if code != 0 or '"ok": true' not in out:
            raise SystemExit(f"gate did not pass on generated releases (exit {code})")
        startup = time_process(["--version"], args.runs)
        whole = time_process(gate_args[:], args.runs)
    providers = len({r.provider for r in releases})
    images = len({(r.provider, r.image) for r in releases})
    print(f"scenario catalog: {len(releases)} Release CRs, {images} images, {providers} providers, "
          f"median of {args.runs} runs")
    print(f"gate work, in-process            {work * 1000:8.1f} ms  (goal well under 1000 ms: "
          f"{'met' if work < 1 else 'NOT met'})")
    print(f"gate work, in-process CPU time   {cpu * 1000:8.1f} ms")
    print(f"os-tooling --version (start-up)  {startup * 1000:8.1f} ms")
    print(f"os-tooling gate, whole process   {whole * 1000:8.1f} ms")
    print(f"gate beyond start-up             {(whole - startup) * 1000:8.1f} ms  "
          f"= {(whole - startup) / len(releases) * 1000:.2f} ms per release file")


def scenario_aws(args: argparse.Namespace) -> None:
    """Issue 6: every image of a run in ONE DescribeImages call per region, regions at once.

    moto's server (one per region: regions are separate services) behind a loopback proxy adding
    50 ms per request stands for EC2; the releases are all capa, each with its own image,
    present in 4 regions. Measured in the same run: the limit (one DescribeImages per region with
    the same filter values, by bare clients, all regions at once), and single-image calls, from
    which the naive one-call-per-image-per-region time is computed. moto renders every matching
    AMI on a shared CPU, so on a busy machine the round trip itself grows; compare the AWS part
    with the limit measured beside it.
    """
    import os

    sys.path.insert(0, str(ROOT))
    import boto3
    from tests.fakes.latency_proxy import LatencyProxy
    from tests.fakes.moto_server import MotoServer, aws_env

    from os_tooling.backends import aws_ami

    regions = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"]
    delay = 0.05
    servers = {region: MotoServer() for region in regions}  # regions are separate services
    saved_env = dict(os.environ)
    try:
        with tempfile.TemporaryDirectory() as tmp, LatencyProxy(
                servers[regions[0]].url, delay=delay,
                routes={region: server.url for region, server in servers.items()}) as proxy:
            root = Path(tmp) / "releases"
            releases = generate_releases(root, args.files, {"capa": ("capa", "aws-")})
            names = sorted({r.image for r in releases})
            os.environ.update(aws_env(proxy.url))
            for region, server in servers.items():  # seed straight into moto: no latency
                ec2 = boto3.client("ec2", region_name=region, endpoint_url=server.url)
                for name in names:
                    ec2.register_image(Name=name, RootDeviceName="/dev/xvda", BlockDeviceMappings=[
                        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])
                ec2.describe_images(Owners=["self"])  # moto's one-off warm-up is not ours to time
            os.environ["AWS_ENDPOINT_URL"] = proxy.url
            config = Path(tmp) / "gate.yaml"
            config.write_text(f"providers:\n  capa: {{backend: aws-ami, regions: [{', '.join(regions)}]}}\n")

            spent: dict[str, list[float]] = {"lookup": [], "setup": []}
            originals = {"lookup": aws_ami.Store.lookup, "setup": aws_ami.Store._prepare_clients}

            def timer(kind: str) -> Callable:
                def timed(self, *a):  # the AWS part of the gate, and its client set-up
                    start = time.perf_counter()
                    try:
                        return originals[kind](self, *a)
                    finally:
                        spent[kind].append(time.perf_counter() - start)
                return timed

            aws_ami.Store.lookup = timer("lookup")  # type: ignore[method-assign]
            aws_ami.Store._prepare_clients = timer("setup")  # type: ignore[method-assign]
            gate_args = ["gate", "--no-tooling-checks", *[str(r.path) for r in releases], "--config", str(config),
                         "--repo-root", str(root), "--format", "json"]
            proxy.clear()
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()) as out:
                from os_tooling.cli.main import main

                code = main(gate_args)
            wall = time.perf_counter() - start
            aws_ami.Store.lookup = originals["lookup"]  # type: ignore[method-assign]
            aws_ami.Store._prepare_clients = originals["setup"]  # type: ignore[method-assign]
            if code != 0 or '"ok": true' not in out.getvalue():
                raise SystemExit(f"gate did not pass on generated releases (exit {code})")
            calls = len(proxy.requests("DescribeImages"))

            # the limit: bare clients, one call per region with the same values, all at once
            store = aws_ami.Store(aws_ami.StoreConfig("capa", "aws-ami", {"regions": regions}))
            store._prepare_clients()
            values = aws_ami.name_values(names)  # what the store sends: <= 200 values

            def one_call(region: str) -> float:
                begin = time.perf_counter()
                store._clients[region].describe_images(
                    Owners=list(store.owners), Filters=[{"Name": "name", "Values": values}])
                return time.perf_counter() - begin

            concurrent, single = [], []
            with ThreadPoolExecutor(max_workers=len(regions)) as pool:
                for _ in range(args.runs):
                    start = time.perf_counter()
                    list(pool.map(one_call, regions))
                    concurrent.append(time.perf_counter() - start)
                    single.append(one_call(regions[0]))
            limit = statistics.median(concurrent)
            sample = names[:20]
            client = store._clients[regions[0]]
            start = time.perf_counter()
            for name in sample:
                client.describe_images(Owners=list(store.owners),
                                       Filters=[{"Name": "name", "Values": [name]}])
            per_call = (time.perf_counter() - start) / len(sample)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        for server in servers.values():
            server.stop()
    aws, setup = sum(spent["lookup"]), sum(spent["setup"])
    naive = per_call * len(names) * len(regions)
    print(f"scenario aws: {len(releases)} Release CRs, {len(names)} distinct images, "
          f"{len(regions)} regions, moto + {delay * 1000:.0f} ms per request")
    print(f"DescribeImages calls              {calls:8d}     (goal <= {len(regions)}: "
          f"{'met' if calls <= len(regions) else 'NOT met'})")
    print(f"gate wall time, in-process       {wall * 1000:8.1f} ms")
    print(f"AWS part (store lookup)          {aws * 1000:8.1f} ms")
    print(f"  of which client set-up         {setup * 1000:8.1f} ms  (4 regions)")
    print(f"limit: one round trip per region {limit * 1000:8.1f} ms  (bare clients, all regions "
          f"at once, median of {args.runs}; one region alone: "
          f"{statistics.median(single) * 1000:.1f} ms)")
    print(f"  goal AWS part <= 2 x limit + set-up = {(2 * limit + setup) * 1000:.1f} ms: "
          f"{'met' if aws <= 2 * limit + setup else 'NOT met'}")
    print(f"naive: 1 call per image per region {naive * 1000:8.1f} ms  ({per_call * 1000:.1f} ms "
          f"per call, measured on {len(sample)} calls, x {len(names)} x {len(regions)})")
    calls_only = naive / (aws - setup)
    with_setup = (naive + setup) / aws
    print(f"speed-up over naive, calls only  {calls_only:8.0f} x    (goal >= 100: "
          f"{'met' if calls_only >= 100 else 'NOT met'}); both with client set-up: "
          f"{with_setup:.0f} x")
    if limit > 2 * statistics.median(single):
        print("  note: the regions' round trips did not overlap well (limit > 2 x one region): "
              "moto renders every AMI on the CPUs this process shares; on a busy machine the "
              "batched calls slow down while the naive per-call time barely moves")


SCENARIOS: dict[str, Callable[[argparse.Namespace], None]] = {
    "catalog": scenario_catalog,
    "aws": scenario_aws,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--files", type=int, default=300, help="Release CR files (default 300)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    args = parser.parse_args()
    for name, scenario in SCENARIOS.items():
        if args.scenario in (name, "all"):
            scenario(args)


if __name__ == "__main__":
    main()
