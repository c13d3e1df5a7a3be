"""The README's first command: the demo walks the whole flow and shows what it promises."""

import subprocess
import sys

from tests.helpers import ROOT


def test_demo_shows_version_tag_images_and_the_failing_gate():
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "demo.py")], capture_output=True,
                          text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "plan: os-tooling 1.33.1 -> 1.34.0 (minor)" in out              # computed next version
    assert "this PR releases **1.34.0** (minor)" in out                    # the PR comment
    assert "released os-tooling 1.34.0 (minor): tag v1.34.0" in out        # the created tag
    ansible = out[out.index("== 4b."):out.index("== 5.")]                  # policy.imageInputs:
    assert "this PR releases **1.34.1** (patch)" in ansible                # an Ansible-only PR
    assert ("| (image inputs) |  |  | **patch** | changes image inputs "
            "(ansible/roles/teleport/tasks/main.yml): at least a patch |") in ansible
    assert "released os-tooling 1.34.1 (patch): tag v1.34.1" in ansible
    assert "no release: nothing changed the images since v1.34.1" in ansible  # docs only
    assert "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.34.0-gs" in out  # image names
    release_pr = out[out.index("== 7."):out.index("== 8.")]
    assert ("os-tooling 1.34.0 has images for every provider of this release; this PR uses "
            "1.33.1") in release_pr                                         # the sticky comment
    for file in ("capa/v34.6.0/release.yaml", "azure/v34.6.0/release.yaml"):  # the bump
        assert f"{file}: set os-tooling 1.33.1 -> 1.34.0" in release_pr
    assert "passed over 2.0.0: minor release aws-34.6.0 raises os-tooling's major" in release_pr
    assert "gate: ok: 2 release files: 2 gated (2 ok" in release_pr        # the passing gate
    assert "capa/v34.5.0" not in release_pr.split("$ os-tooling gate")[1]  # published: untouched
    published = out[out.index("== 8."):out.index("== 9.")]
    assert "published-release: published release capa/v34.5.0 keeps its node image" in published
    assert ("published release capa/v34.5.0 changes its node image: os-tooling 1.33.1 -> 1.34.0; "
            "make a new release") in published                             # stopped by the gate
    assert published.count("gate: ok") == 1 and published.count("gate: FAILED") == 1
    failing = out[out.index("== 9."):]
    assert "gate: FAILED" in failing                                       # the failing gate's findings
    assert "does not exist for capa" in failing
    assert "images with other os-tooling versions exist: 1.34.0" in failing  # near-miss hint
    assert "patch release aws-34.6.1 raises the major of teleport 17.5.0 -> 18.0.1" in failing
    build = out[out.index("== 10."):]
    assert '"teleport_version": "18.0.1"' in build and '"os_tooling_version": "2.0.0"' in build
    assert "to build: 2 image(s)" in build                                 # the build matrix
    assert "flatcar-stable-4593.2.4-kube-1.34.11-tooling-2.0.0-gs" in build
    assert "Traceback" not in out + proc.stderr
