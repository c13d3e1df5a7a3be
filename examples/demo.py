"""The os-tooling story on your machine: no cloud account, no token (``make demo``).

Builds throw-away git repositories in a temp directory and runs the real ``os-tooling``
commands on them, printing each step. Nothing outside the temp directory is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "os-tooling"
EXAMPLE = ROOT / "examples" / "manifests" / "os-tooling.yaml"
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def step(title: str) -> None:
    print(f"\n{BOLD}== {title}{RESET}")


def run(*args: str, cwd: Path, expect: int = 0) -> str:
    shown = " ".join(a if " " not in a else repr(a) for a in args)
    print(f"{DIM}$ os-tooling {shown}{RESET}")
    proc = subprocess.run([str(BIN), *args], cwd=cwd, capture_output=True, text=True)
    output = (proc.stdout + proc.stderr).rstrip()
    print(output)
    if proc.returncode != expect:
        raise SystemExit(f"demo: expected exit {expect}, got {proc.returncode}")
    return proc.stdout


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for key, value in (("user.email", "demo@example.invalid"), ("user.name", "os-tooling demo"),
                       ("commit.gpgsign", "false"), ("tag.gpgsign", "false")):
        git(path, "config", key, value)
    return path


def main() -> int:
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="os-tooling-demo-"))
    env_note = "" if os.environ.get("KEEP") else " (removed at the end; KEEP=1 keeps it)"
    print(f"{BOLD}os-tooling demo{RESET}: working in {tmp}{env_note}")
    try:
        summary = story(tmp)
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    step("Summary")
    for line in summary:
        print(f"  - {line}")
    print(f"\ndemo finished in {time.perf_counter() - started:.1f}s")
    return 0


def story(tmp: Path) -> list[str]:
    summary: list[str] = []
    builder = make_repo(tmp / "capi-image-builder")

    step("1. capi-image-builder has a tooling manifest, released as v1.33.1")
    shutil.copy(EXAMPLE, builder / "os-tooling.yaml")
    for path, text in IMAGE_INPUTS.items():  # what the manifest's policy.imageInputs names
        (builder / path).parent.mkdir(parents=True, exist_ok=True)
        (builder / path).write_text(text)
    git(builder, "add", "-A")
    git(builder, "commit", "-q", "-m", "Add tooling manifest")
    git(builder, "tag", "-a", "v1.33.1", "-m", "os-tooling 1.33.1")
    run("validate", cwd=builder)

    step("2. Renovate opens a PR: teleport 17.4.2 -> 17.5.0 (a minor)")
    git(builder, "checkout", "-q", "-b", "renovate/teleport-17.x")
    manifest = builder / "os-tooling.yaml"
    manifest.write_text(manifest.read_text().replace("version: 17.4.2", "version: 17.5.0"))
    git(builder, "commit", "-q", "-am", "Update teleport to v17.5.0")
    run("validate", "--strict", cwd=builder)
    print("\nThe PR comment the action posts:")
    run("plan", "--base-ref", "main", "--format", "markdown", cwd=builder)
    plan = run("plan", "--base-ref", "main", cwd=builder)
    summary.append(plan.splitlines()[0])

    step("3. A typo in the manifest is caught with its line and column")
    broken = tmp / "broken.yaml"
    broken.write_text(manifest.read_text().replace("    version: 1.9.1", "    verison: 1.9.1"))
    run("validate", str(broken), cwd=builder, expect=1)
    summary.append("a 'verison' typo is an error with file, line and column")

    step("4. The PR merges: release --local tags v1.34.0 and writes the release notes")
    git(builder, "checkout", "-q", "main")
    git(builder, "merge", "-q", "--no-ff", "-m", "Merge pull request #12 from renovate/teleport-17.x",
        "renovate/teleport-17.x")
    notes = tmp / "notes-1.34.0.md"
    run("release", "--local", "--notes-file", str(notes), cwd=builder)
    tag = git(builder, "describe", "--tags", "--exact-match", "HEAD").strip()
    summary.append(f"released {tag} (annotated tag, notes in {notes.name})")
    print("\nThe binaries of os-tooling 1.34.0 (from the tag):")
    run("describe", "1.34.0", "--tooling-repo", str(builder), cwd=builder)

    step("4b. An Ansible-only PR (no binary changes) still changes the image: a patch")
    git(builder, "checkout", "-q", "-b", "fix-teleport-unit")
    (builder / TASKS).write_text((builder / TASKS).read_text() + "- name: restart teleport\n")
    git(builder, "commit", "-q", "-am", "Restart teleport after an upgrade")
    run("plan", "--base-ref", "main", "--format", "markdown", cwd=builder)
    git(builder, "checkout", "-q", "main")
    git(builder, "merge", "-q", "--no-ff", "-m", "Merge pull request #13 from fix-teleport-unit",
        "fix-teleport-unit")
    run("release", "--local", "--notes-file", str(tmp / "notes-1.34.1.md"), cwd=builder)
    summary.append("an Ansible-only PR released 1.34.1 (patch): policy.imageInputs")
    (builder / "README.md").write_text("# capi-image-builder\n\nHow to build images.\n")
    git(builder, "add", "README.md")
    git(builder, "commit", "-q", "-m", "Docs")
    run("release", "--local", cwd=builder)  # docs only: nothing to release
    summary.append("a docs-only change released nothing")

    step("5. Later a teleport major lands: os-tooling 2.0.0")
    manifest.write_text(manifest.read_text().replace("version: 17.5.0", "version: 18.0.1"))
    git(builder, "commit", "-q", "-am", "Update teleport to v18")
    run("release", "--local", "--notes-file", str(tmp / "notes-2.0.0.md"), cwd=builder)
    run("diff", "1.33.1", "2.0.0", "--tooling-repo", str(builder), cwd=builder)

    step("6. The tags trigger image builds (simulated: the images go into a catalog file)")
    catalog = tmp / "images.yaml"
    names = [run("image-name", "--flatcar", FLATCAR, "--kubernetes", KUBE, "--tooling", t, cwd=builder).strip()
             for t in ("1.33.1", "1.34.0", "2.0.0")]
    newer_kube = run("image-name", "--flatcar", FLATCAR, "--kubernetes", "1.34.11", "--tooling", "1.34.0",
                     cwd=builder).strip()  # a kubernetes patch build, made from os-tooling 1.34.0
    catalog.write_text("capa:\n" + "".join(f"  - {n}\n" for n in [*names, newer_kube])
                       + "capz:\n" + "".join(f"  - {n}\n" for n in names[:2]))
    print(catalog.read_text().rstrip())
    summary.append(f"image: {names[1]}")

    step("7. releases repo: a release PR adds v34.6.0 and bumps it to the newest usable os-tooling")
    releases = make_repo(tmp / "releases")
    for directory, prefix in (("capa", "aws"), ("azure", "azure")):
        write_release(releases, directory, prefix, "34.5.0", "1.33.1")
    git(releases, "add", "-A")
    git(releases, "commit", "-q", "-m", "Release v34.5.0")  # published: on main
    git(releases, "checkout", "-q", "-b", "release-v34.6.0")
    for directory, prefix in (("capa", "aws"), ("azure", "azure")):
        write_release(releases, directory, prefix, "34.6.0", "1.33.1")  # copied from 34.5.0
    git(releases, "add", "-A")
    git(releases, "commit", "-q", "-m", "Add release v34.6.0")
    print("\nThe sticky comment on the release PR:")
    run("available", "--base-ref", "main", "--catalog", str(catalog), "--format", "markdown",
        cwd=releases)
    print("\n'/update-release' (or the weekly job) bumps the release files the PR adds:")
    run("bump", "--base-ref", "main", "--latest", "--catalog", str(catalog), "--tooling-repo",
        str(builder), cwd=releases)
    changed = git(releases, "diff", "--name-only").split()
    git(releases, "commit", "-q", "-s", "-am", "Bump os-tooling to 1.34.0")
    summary.append(f"release PR release-v34.6.0: bump set os-tooling 1.33.1 -> 1.34.0 in "
                   f"{', '.join(changed)} (2.0.0 passed over: a new os-tooling major)")
    run("gate", "--base-ref", "main", "--catalog", str(catalog), "--tooling-repo", str(builder), cwd=releases)
    summary.append("gate on the release PR (aws-34.6.0, azure-34.6.0 with os-tooling 1.34.0): ok")
    git(releases, "checkout", "-q", "main")
    git(releases, "merge", "-q", "--no-ff", "-m", "Merge pull request #40 from release-v34.6.0",
        "release-v34.6.0")

    step("8. A second PR changes the published aws-34.5.0 in place: the gate stops it")
    git(releases, "checkout", "-q", "-b", "edit-aws-34.5.0")
    published = releases / "capa" / "v34.5.0" / "release.yaml"
    published.write_text(published.read_text().replace("state: active", "state: deprecated"))
    git(releases, "commit", "-q", "-am", "Deprecate aws 34.5.0")
    print("Deprecating it (state only) is fine:")
    run("gate", "--base-ref", "main", "--catalog", str(catalog), "--tooling-repo", str(builder),
        cwd=releases)
    published.write_text(published.read_text().replace("version: 1.33.1", "version: 1.34.0"))
    git(releases, "commit", "-q", "-am", "aws 34.5.0: os-tooling 1.34.0")
    print("\nChanging its os-tooling would roll the nodes of every cluster on it:")
    run("gate", "--base-ref", "main", "--catalog", str(catalog), "--tooling-repo", str(builder),
        cwd=releases, expect=1)
    summary.append("a PR changing os-tooling of the published aws-34.5.0 in place: FAILED as it "
                   "should (make a new release)")
    git(releases, "checkout", "-q", "main")

    step("9. A bad Release CR: a patch release with a binary major and an image that does not exist")
    git(releases, "checkout", "-q", "-b", "release-v34.6.1")
    write_release(releases, "capa", "aws", "34.6.1", "2.0.0", kubernetes="1.34.11")
    git(releases, "add", "-A")
    git(releases, "commit", "-q", "-m", "aws 34.6.1")
    run("gate", "capa/v34.6.1/release.yaml", "--catalog", str(catalog), "--tooling-repo", str(builder),
        cwd=releases, expect=1)
    summary.append("gate on aws-34.6.1 (patch, os-tooling 2.0.0): FAILED as it should "
                   "(missing image, teleport major in a patch release)")

    step("10. The build loop: what the images of os-tooling 2.0.0 bake, and which to build")
    print("The binaries of the release, for the capa build (a Packer var-file from the tag's manifest):")
    run("build-vars", "--version", "2.0.0", "--provider", "capa", "--tooling-repo", str(builder),
        "--format", "packer", cwd=builder)
    print("\nThe live releases need one image per provider, flatcar and kubernetes; those in the "
          "store are left out:")
    matrix = run("build-matrix", "--releases", str(releases), "--tooling-repo", str(builder),
                 "--catalog", str(catalog), cwd=releases)
    summary.append(matrix.splitlines()[1].strip() + " for os-tooling 2.0.0 (the rest exist)")
    return summary


FLATCAR, KUBE = "4593.2.4", "1.34.10"
TASKS = "ansible/roles/teleport/tasks/main.yml"
IMAGE_INPUTS = {TASKS: "- name: install teleport\n", "packer/flatcar.json": "{}\n",
                "images/flatcar/kernel-args.txt": "console=ttyS0\n", "Makefile": "build:\n",
                "README.md": "# capi-image-builder\n"}
RELEASE = """\
apiVersion: release.giantswarm.io/v1alpha1
kind: Release
metadata:
  name: {prefix}-{version}
spec:
  apps:
  - name: cilium
    version: 1.4.3
  components:
  - name: cluster-aws
    catalog: cluster
    version: 7.7.3
  - name: flatcar
    version: {flatcar}
  - name: kubernetes
    version: {kubernetes}
  - name: os-tooling
    version: {tooling}
  date: "2026-11-26T09:00:00Z"
  state: active
"""


def write_release(repo: Path, directory: str, prefix: str, version: str, tooling: str,
                  kubernetes: str = KUBE) -> None:
    path = repo / directory / f"v{version}" / "release.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RELEASE.format(prefix=prefix, version=version, flatcar=FLATCAR, kubernetes=kubernetes,
                                   tooling=tooling))


if __name__ == "__main__":
    raise SystemExit(main())
