"""The README's first command: the demo walks the whole flow and shows what it promises."""

import subprocess
import sys

from tests.conftest import ROOT


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
    assert "gate: ok: 1 release file(s)" in out                            # the passing gate
    failing = out[out.index("== 8."):]
    assert "gate: FAILED" in failing                                       # the failing gate's findings
    assert "does not exist for capa" in failing
    assert "flatcar-stable-4593.2.4-kube-1.34.11-tooling-1.34.0-gs" in failing  # near-miss hint
    assert "patch release aws-34.6.1 raises the major of teleport 17.5.0 -> 18.0.1" in failing
    assert "Traceback" not in out + proc.stderr
