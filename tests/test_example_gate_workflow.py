"""The releases repository's gate example logs in to Azure and hands the action what it needs.

capz images live in the Azure compute gallery by default, so the example must give the action
Azure credentials: azure/login with OIDC (SHA-pinned, no stored secret), then a step turning
the login into an ARM token for the action's container. That step's own script runs here with
bash and a stand-in ``az``; the action then gates a pull request adding an azure release with
exactly the environment the example gives it, against the loopback Azure fake (ARM and the
identity platform), which accepts only that token.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from os_tooling.backends.config import DEFAULT_PROVIDERS
from tests.action_helpers import TOKEN, pull_request_payload, run_action
from tests.fakes.azure import FakeAzure
from tests.gate_helpers import make_releases_repo
from tests.helpers import ROOT, GitRepo

EXAMPLE = ROOT / "examples" / "workflows" / "releases" / "os-tooling-gate.yaml"
WORKFLOW = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
STEPS = WORKFLOW["jobs"]["gate"]["steps"]
ARM_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOi.from-az.signature"
AZURE_IMAGE = "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"  # azure/v34.5.0's


def step_using(action: str) -> tuple[int, dict]:
    [found] = [(i, s) for i, s in enumerate(STEPS) if s.get("uses", "").startswith(action + "@")]
    return found


def test_capz_uses_the_gallery_by_default():
    assert DEFAULT_PROVIDERS["capz"]["backend"] == "azure-gallery"  # why the example logs in


def test_azure_login_is_oidc_and_pinned_before_the_gate():
    login_at, login = step_using("azure/login")
    gate_at, gate = step_using("giantswarm/os-tooling")
    assert login_at < gate_at
    assert re.fullmatch(r"azure/login@[0-9a-f]{40}", login["uses"])
    assert re.search(r"uses: azure/login@[0-9a-f]{40} # v\d+\.\d+\.\d+\n", EXAMPLE.read_text())
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}  # OIDC: no creds
    assert WORKFLOW["jobs"]["gate"]["permissions"]["id-token"] == "write"
    assert set(gate["env"]) == {"AZURE_ACCESS_TOKEN", "AZURE_SUBSCRIPTION_ID"}


def expand(value: str, outputs: dict[str, str], variables: dict[str, str]) -> str:
    """The two kinds of expression the example uses, as the runner evaluates them."""
    value = re.sub(r"\$\{\{\s*steps\.(\w+)\.outputs\.([\w-]+)\s*\}\}",
                   lambda m: outputs[f"{m[1]}.{m[2]}"], value)
    value = re.sub(r"\$\{\{\s*vars\.(\w+)\s*\}\}", lambda m: variables[m[1]], value)
    assert "${{" not in value, value
    return value


def run_token_step(tmp_path: Path) -> tuple[dict[str, str], str, list[str]]:
    """The example's token step with bash; ``az`` stands in for the Azure CLI after login."""
    [(index, step)] = [(i, s) for i, s in enumerate(STEPS) if s.get("id") == "azure"]
    assert index > step_using("azure/login")[0]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "az-args"
    az = bin_dir / "az"
    az.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{calls}'\nprintf '%s\\n' '{ARM_TOKEN}'\n")
    az.chmod(0o755)
    output = tmp_path / "step-output"
    output.write_text("")
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                          env={"PATH": f"{bin_dir}:{os.environ['PATH']}",
                               "GITHUB_OUTPUT": str(output)},
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    records = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return records, proc.stdout, calls.read_text().split()


@pytest.fixture
def azure():
    fake = FakeAzure()
    fake.tokens.add(ARM_TOKEN)  # what Entra ID issued to the az login
    fake.add_image("gsCapzFlatcar-41c2d140-ac44-4d8b-b7e1-7b2f1ddbe4d0", AZURE_IMAGE, "4593.2.4")
    yield fake
    fake.close()


def test_the_example_gates_capz_with_the_token_it_hands_over(tmp_path, azure):
    outputs, log, az_args = run_token_step(tmp_path)
    assert outputs == {"token": ARM_TOKEN}
    assert log.splitlines()[0] == f"::add-mask::{ARM_TOKEN}"  # masked before anything else
    assert az_args[:3] == ["account", "get-access-token", "--resource"]

    root = make_releases_repo(tmp_path / "releases")
    (root / ".github").mkdir()
    (root / ".github" / "os-tooling-gate.yaml").write_text(
        f"providers:\n  capz: {{resourceGroup: {azure.resource_group}, endpoint: '{azure.url}'}}\n")
    git = GitRepo(root)
    base = git.commit("releases")
    added = root / "azure" / "v34.6.0" / "release.yaml"
    added.parent.mkdir()
    added.write_text((root / "azure/v34.5.0/release.yaml").read_text()
                     .replace("azure-34.5.0", "azure-34.6.0"))
    head = git.commit("Add azure-34.6.0")

    _, gate = step_using("giantswarm/os-tooling")
    variables = {"OS_TOOLING_GATE_AZURE_SUBSCRIPTION_ID": azure.subscription}
    env = {name: expand(str(value), {"azure.token": outputs["token"]}, variables)
           for name, value in gate["env"].items()}
    inputs = {**{k: str(v) for k, v in gate["with"].items()}, "token": TOKEN,
              "comment": "false", "tooling-repo": "", "tooling-checks": "false"}
    result = run_action(tmp_path / "runner", root, inputs, "pull_request",
                        pull_request_payload(3, base, head, repo="acme/releases"),
                        {**env, "GITHUB_REPOSITORY": "acme/releases"})

    assert result.code == 0, result.stdout + result.stderr
    [release] = result.report["releases"]
    assert (release["file"], release["status"]) == ("azure/v34.6.0/release.yaml", "ok")
    asked = azure.requests("/galleries/")
    assert asked and {entry.authorization for entry in asked} == {f"Bearer {ARM_TOKEN}"}
    assert all(f"/subscriptions/{azure.subscription}/" in entry.path for entry in asked)
    assert ARM_TOKEN not in result.stdout + result.stderr + result.output_text + result.summary


def test_without_the_token_capz_is_an_error_not_ok(tmp_path, azure):
    """Control: the same gate without the example's env cannot say the image exists."""
    root = make_releases_repo(tmp_path / "releases")
    (root / "gate.yaml").write_text(
        f"providers:\n  capz: {{resourceGroup: {azure.resource_group}, endpoint: '{azure.url}',"
        f" subscription: {azure.subscription}}}\n")
    result = run_action(tmp_path / "runner", root,
                        {"token": TOKEN, "command": "gate", "config": "gate.yaml",
                         "files": "azure/v34.5.0/release.yaml", "tooling-checks": "false"},
                        extra={"AZURE_ACCESS_TOKEN": "", "AZURE_CLIENT_ID": "",
                               "AZURE_TENANT_ID": ""})
    assert result.code == 1
    assert result.report["releases"][0]["status"] == "error"
