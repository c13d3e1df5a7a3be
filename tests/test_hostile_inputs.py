"""Hostile input: what a pull request can bring (files, names, symlinks, sizes, nesting, the
config it edits) and what an environment can carry (tokens, settings), tried as an attacker
would. One test (or table) per class; each ends in exit 1 or 2 with one clear line, never a
crash, a hang, a read outside the repository or a credential in the output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from os_tooling.adapters.files import read_text, safe_relative_path
from os_tooling.errors import UsageError
from tests.gate_helpers import CATALOG, SAMPLES
from tests.helpers import GitRepo, manifest_text, run_subprocess

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

RELEASE = "capa/v34.5.0/release.yaml"
SECRET = "TOP-SECRET-RUNNER-VALUE-4242"


def one_line_error(result, code: int = 2) -> str:
    assert result.code == code, (result.code, result.out[-500:], result.err[-500:])
    assert "Traceback" not in result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


# -- 1. deep nesting: bounded before any parser recurses ------------------------------------------
DEEP_FLOW = "tools: " + "[" * 30000 + "\n"
DEEP_MAP = "tools:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1000))
DEEP_JSON = '{"capa": ' * 30000 + "[]" + "}" * 30000


@pytest.fixture
def deep_repo(tmp_path) -> GitRepo:
    """A releases repository and a tooling repository whose files nest 30,000 levels deep."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("os-tooling.yaml", manifest_text({"name": "teleport", "version": "17.4.2"}))
    repo.write(RELEASE, (SAMPLES / RELEASE).read_text())
    repo.commit("base")
    repo.write("os-tooling.yaml", DEEP_FLOW)
    repo.write("capa/v34.6.0/release.yaml", DEEP_FLOW)
    repo.write("deep.json", DEEP_JSON)
    repo.write("deep.yaml", DEEP_MAP)
    repo.write("gate.yaml", "providers: " + "{capa: " * 30000 + "\n")
    repo.commit("deep")
    return repo


@pytest.mark.parametrize("args", [
    ["validate", "os-tooling.yaml"],
    ["validate", "deep.yaml"],
    ["validate", "deep.json"],
    ["plan", "--base-ref", "HEAD^"],
    ["gate", "--no-tooling-checks", "capa/v34.6.0/release.yaml", "--catalog", str(CATALOG)],
    ["gate", "--no-tooling-checks", RELEASE, "--catalog", "deep.json"],
    ["gate", "--no-tooling-checks", RELEASE, "--catalog", "deep.yaml"],
    ["gate", "--no-tooling-checks", RELEASE, "--config", "gate.yaml"],
    ["bump", "capa/v34.6.0/release.yaml", "--to-tooling", "1.0.0", "--catalog", str(CATALOG)],
    ["release", "--local", "--dry-run"],
], ids=lambda a: " ".join(a[:2]))
def test_deep_nesting_is_a_finding_not_a_segfault(deep_repo, args):
    result = run_subprocess(*args, cwd=deep_repo.path)  # a segfault shows only in a child
    assert result.code in (1, 2), (result.code, result.err[-300:])
    assert "Traceback" not in result.out + result.err
    assert "nesting is too deep" in result.out + result.err


# -- 2. special files and symlinks: regular files inside the repository only --------------------
def test_special_files_are_refused_in_one_line(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    cases = {"/dev/zero": "it is a device", str(fifo): "it is a FIFO", str(tmp_path): "directory"}
    for path, reason in cases.items():
        result = run_subprocess("validate", path)  # a FIFO would block forever on a plain open
        assert reason in one_line_error(result)


def test_a_symlinked_release_leading_out_of_the_repository_is_never_read(tmp_path):
    outside = tmp_path / "runner-env"
    outside.write_text(f"apiVersion: x\nmetadata: {{name: {SECRET}}}\n")
    repo = GitRepo(tmp_path / "releases")
    repo.write(RELEASE, (SAMPLES / RELEASE).read_text())
    repo.commit("base")
    for name, target in (("capa/v34.6.0", outside), ("capa/v34.7.0", Path("/dev/zero")),
                         ("capa/v34.8.0", Path("../../../runner-env"))):
        (repo.path / name).mkdir(parents=True)
        (repo.path / name / "release.yaml").symlink_to(target)
    repo.commit("symlinks")
    for args in (["--base-ref", "HEAD^"], ["capa/v34.6.0/release.yaml", "capa/v34.7.0/release.yaml"]):
        result = run_subprocess("gate", "--no-tooling-checks", "--catalog", CATALOG, *args,
                                "--format", "markdown", cwd=repo.path)
        assert SECRET not in result.out + result.err
        assert result.code == 2 and "resolves outside the repository" in one_line_error(result)


def test_a_symlink_inside_the_repository_is_read(tmp_path):
    repo = GitRepo(tmp_path / "releases")
    repo.write("shared/manifest.yaml", manifest_text({"name": "teleport", "version": "17.4.2"}))
    (repo.path / "os-tooling.yaml").symlink_to("shared/manifest.yaml")
    result = run_subprocess("validate", cwd=repo.path)
    assert result.code == 0, result.err


def test_a_symlinked_manifest_at_a_tag_is_refused(tmp_path):
    repo = GitRepo(tmp_path / "capi")
    repo.write("os-tooling.yaml", manifest_text({"name": "teleport", "version": "17.4.2"}))
    repo.commit("base")
    repo.git("rm", "-q", "os-tooling.yaml")
    (repo.path / "os-tooling.yaml").symlink_to("/etc/hostname")
    repo.commit("symlink")
    repo.tag("v1.0.0")
    result = run_subprocess("describe", "1.0.0", cwd=repo.path)
    assert result.code in (1, 2) and "symlink" in result.out + result.err


@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "capa/../../x/release.yaml",
                                  "capa//v1/release.yaml", "capa/v1/release.yaml\n::error::x",
                                  "", "capa\\v1\\release.yaml", "./capa/v1/release.yaml"])
def test_pr_file_names_from_the_api_stay_inside_the_repository(name):
    with pytest.raises(UsageError, match="refusing"):
        safe_relative_path(name)


def test_reading_is_bounded_while_reading(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: 64 MiB that cost no disk
    with pytest.raises(UsageError, match="larger than"):
        read_text(big, "manifest", max_bytes=1024)
    with pytest.raises(UsageError, match="larger than 8 MiB"):
        read_text(big, "manifest")


# -- 3. huge flat documents: counted while parsing -----------------------------------------------
def test_a_huge_flat_list_stops_at_the_node_limit_with_little_memory(tmp_path):
    flat = tmp_path / "flat.yaml"
    flat.write_text("tools: [" + ",".join(["1"] * 1_800_000) + "]\n")  # 3.6 MB
    # the peak of this process's own memory: VmHWM belongs to the address space that exec made
    # (ru_maxrss would also count the forking pytest process, which execve preserves)
    script = textwrap.dedent(f"""
        import sys
        from os_tooling.cli.main import main
        code = main(["validate", {str(flat)!r}])
        with open("/proc/self/status") as status:
            peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
        print("maxrss", peak, file=sys.stderr)
        sys.exit(code)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "more than 200000 nodes" in proc.stdout
    # stopped at the 200,001st node (column ~400,000), not after building 1.8 million
    column = int(proc.stdout.split("flat.yaml:1:")[1].split(":")[0])
    assert 390_000 < column < 410_000
    peak_kib = int(proc.stderr.split("maxrss")[1])
    assert peak_kib < 300 * 1024, peak_kib  # a few hundred MB at most (it was 650 MB)


def test_an_alias_bomb_is_stopped(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    result = run_subprocess("validate", bomb)
    assert result.code == 1 and "more than 200000 nodes after aliases" in result.out


# -- 6. credentials: only to their own service, never echoed ------------------------------------
def test_a_token_with_a_newline_is_refused_without_echoing_it(tmp_path):
    token = "ghp_secretpart\nX-Injected: 1"
    result = run_subprocess("describe", "1.0.0", "--github-repo", "acme/capi",
                            env={"GITHUB_TOKEN": token, "GITHUB_API_URL": "http://127.0.0.1:9"})
    line = one_line_error(result)
    assert "control characters" in line and "secretpart" not in result.out + result.err


def test_azure_token_with_control_characters_is_refused():
    from os_tooling.adapters.azure_token import AzureCredentialError, arm_token

    with pytest.raises(AzureCredentialError, match="control characters") as caught:
        arm_token(None, "scope", env={"AZURE_ACCESS_TOKEN": "eyJsecret\r\nHost: evil"})  # type: ignore[arg-type]
    assert "eyJsecret" not in str(caught.value)


@pytest.mark.parametrize(("api", "upload", "allowed"), [
    ("https://api.github.com", "https://uploads.github.com/repos/a/b/releases/1/assets", True),
    ("https://api.github.com", "https://uploads.github.com:443/repos/a/b/releases/1/assets", True),
    ("https://api.github.com", "https://evil.example/repos/a/b/releases/1/assets", False),
    ("https://api.github.com", "http://uploads.github.com/repos/a/b/releases/1/assets", False),
    ("https://api.github.com", "https://uploads.github.com.evil.example/x", False),
    ("https://ghe.example/api/v3", "https://ghe.example/api/uploads/repos/a/b/releases/1/assets", True),
    ("https://ghe.example/api/v3", "https://uploads.github.com/repos/a/b/releases/1/assets", False),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/uploads/x", True),
    ("http://127.0.0.1:8080", "http://127.0.0.1:9090/uploads/x", False),
])
def test_the_release_upload_goes_only_to_githubs_upload_host(api, upload, allowed):
    from os_tooling.adapters.github_client import ClientSettings, upload_asset, upload_url_allowed

    settings = ClientSettings(base_url=api, token="t")
    assert upload_url_allowed(settings, upload) is allowed
    if not allowed:  # refused before any connection is made
        with pytest.raises(UsageError, match="refusing to upload"):
            upload_asset(settings, upload + "{?name,label}", "os-tooling.json", b"{}")


def _gate_repo(tmp_path) -> GitRepo:
    """A releases repository whose base catalog lacks the image of a new release."""
    repo = GitRepo(tmp_path / "releases")
    repo.write(RELEASE, (SAMPLES / RELEASE).read_text())
    repo.write("images.yaml", "capa: []\n")
    repo.write("gate.yaml", "providers:\n  capa: {backend: catalog, file: images.yaml}\n")
    repo.commit("base")
    return repo


def test_a_pr_cannot_edit_the_catalog_it_is_gated_with(tmp_path):
    repo = _gate_repo(tmp_path)
    new = (SAMPLES / RELEASE).read_text().replace("aws-34.5.0", "aws-34.6.0")
    repo.write("capa/v34.6.0/release.yaml", new)
    image = "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"
    repo.write("images.yaml", f"capa: [{image}]\n")  # the PR "adds" its own image
    repo.commit("release PR that also edits the catalog")
    for source in (["--config", "gate.yaml"], ["--catalog", "images.yaml"]):
        result = run_subprocess("gate", "--no-tooling-checks", "--base-ref", "HEAD^", *source,
                                "--format", "json", cwd=repo.path)
        data = json.loads(result.out)
        assert result.code == 1 and data["releases"][0]["status"] == "missing", result.out
        assert any("images.yaml is changed by this pull request" in n for n in data["notes"])
    # without a base revision (a local run on files) the working tree is what is asked
    result = run_subprocess("gate", "--no-tooling-checks", "capa/v34.6.0/release.yaml",
                            "--config", "gate.yaml", cwd=repo.path)
    assert result.code == 0, result.out


def test_a_pr_gated_by_number_is_gated_under_its_base_config(tmp_path, github_fake):
    """``gate --pr N`` without --base-ref: the config and catalog of the PR's base commit
    count, not the checkout's (which is the PR's head in a workflow)."""
    repo = _gate_repo(tmp_path)
    repo.git("checkout", "-q", "-b", "release-pr")
    repo.write("capa/v34.6.0/release.yaml",
               (SAMPLES / RELEASE).read_text().replace("aws-34.5.0", "aws-34.6.0"))
    image = "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs"
    repo.write("images.yaml", f"capa: [{image}]\n")  # the PR "adds" its own image
    head = repo.commit("release PR that also edits the catalog")
    github_fake.import_git(repo.path, "acme/releases").add_pull(head_sha=head, head_ref="release-pr", base="main")
    env = github_fake.env(repository="acme/releases")
    for source in (["--config", "gate.yaml"], ["--catalog", "images.yaml"]):
        result = run_subprocess("gate", "--no-tooling-checks", "--pr", "1", *source,
                                "--format", "json", cwd=repo.path, env=env)
        data = json.loads(result.out)
        assert result.code == 1 and data["releases"][0]["status"] == "missing", result.out
        assert any("images.yaml is changed by this pull request" in n for n in data["notes"])
    # a clone without the base commit cannot say what the base's config is: refused, not trusted
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "release-pr",
                    f"file://{repo.path}", str(shallow)], check=True)
    result = run_subprocess("gate", "--no-tooling-checks", "--pr", "1", "--config", "gate.yaml",
                            cwd=shallow, env=env)
    assert result.code == 2 and "fetch it" in result.err and "Traceback" not in result.err


def test_a_pr_cannot_redirect_the_azure_token_through_the_config(tmp_path):
    repo = _gate_repo(tmp_path)
    repo.write("gate.yaml", "providers:\n  capz: {backend: azure-gallery, resourceGroup: rg, "
                            "subscription: 00000000-0000-0000-0000-000000000000, "
                            "endpoint: 'https://collector.evil.example'}\n"
                            "  capa: {backend: catalog, file: images.yaml}\n")
    azure = "azure/v34.5.0/release.yaml"
    repo.write(azure, (SAMPLES / azure).read_text())
    repo.commit("PR edits the config and adds an Azure release")
    result = run_subprocess("gate", "--no-tooling-checks", "--base-ref", "HEAD^", "--config",
                            "gate.yaml", "--format", "json", cwd=repo.path,
                            env={"AZURE_ACCESS_TOKEN": "secret-token",
                                 "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000"})
    data = json.loads(result.out)
    assert "gate config gate.yaml is changed by this pull request" in " ".join(data["notes"])
    assert "evil" not in result.out + result.err
    # under the base config capz keeps its default store, which has no resource group here:
    # an error before any request, never a request to the PR's host
    release = data["releases"][0]
    assert release["file"] == azure and release["status"] == "error"
    assert "resourceGroup" in json.dumps(release["checks"])
    # and the endpoint is refused anyway, whoever writes it
    result = run_subprocess("gate", "--no-tooling-checks", azure, "--config", "gate.yaml",
                            cwd=repo.path)
    assert "must be an Azure Resource Manager URL" in one_line_error(result)


def test_a_pr_cannot_bring_its_own_config(tmp_path):
    repo = GitRepo(tmp_path / "releases")
    repo.write(RELEASE, (SAMPLES / RELEASE).read_text())
    repo.commit("base")
    repo.write("gate.yaml", "providers:\n  capa: {backend: catalog, file: images.yaml}\n")
    repo.write("images.yaml", "capa: []\n")
    repo.commit("PR adds a config")
    result = run_subprocess("gate", "--no-tooling-checks", "--base-ref", "HEAD^", "--config",
                            "gate.yaml", cwd=repo.path)
    assert "does not exist at the base revision" in one_line_error(result)


# -- 7. option injection, settings and environments that used to be internal errors ---------------
@pytest.mark.parametrize("args", [
    ["plan", "--base-ref", "HEAD", "--tag-prefix=--points-at=HEAD"],
    ["describe", "1.0.0", "--tag-prefix=--points-at=HEAD"],
    ["diff", "1.0.0", "1.1.0", "--tag-prefix=-l"],
    ["release", "--local", "--dry-run", "--tag-prefix=--contains"],
])
def test_tag_prefixes_never_reach_git_as_options(git_repo, args):
    git_repo.write("os-tooling.yaml", manifest_text({"name": "teleport", "version": "17.4.2"}))
    git_repo.commit("m")
    result = run_subprocess(*args, cwd=git_repo.path)
    assert "invalid tag prefix" in one_line_error(result)


def test_a_tag_prefix_in_the_gate_config_is_checked(tmp_path):
    config = tmp_path / "gate.yaml"
    config.write_text("toolingTagPrefix: --points-at=HEAD\n")
    result = run_subprocess("gate", SAMPLES / RELEASE, "--config", config)
    assert "toolingTagPrefix" in one_line_error(result)


@pytest.mark.parametrize("value", ["inf", "1e400", "nan", "-1"])
def test_absurd_github_settings_are_usage_errors(value):
    result = run_subprocess("describe", "1.0.0", "--github-repo", "acme/capi",
                            env={"OS_TOOLING_GITHUB_TIMEOUT": value})
    assert "OS_TOOLING_GITHUB_TIMEOUT" in one_line_error(result)


@pytest.mark.parametrize("payload", [
    {"tools": [1]}, {"tools": "x"}, [], {"tools": [{"name": 1, "version": "1.0.0"}]},
    {"tools": [{"name": "a", "version": "1.0.0", "providers": "capa"}]},
])
def test_release_asset_payloads_of_any_shape_are_refused_cleanly(payload):
    from os_tooling.adapters.tooling_github import manifest_from_payload

    with pytest.raises(ValueError):
        manifest_from_payload(payload)


def test_bump_in_a_read_only_folder_is_a_usage_error(tmp_path, monkeypatch):
    from os_tooling.adapters import files

    target = tmp_path / "release.yaml"
    target.write_text("a: 1\n")

    def refuse(*_args, **_kwargs):  # root ignores chmod: make the folder refuse the temp file
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    with pytest.raises(UsageError, match="cannot write release file .*Permission denied"):
        files.replace_text(target, "a: 2\n", "release file")
    assert target.read_text() == "a: 1\n"


def test_a_cli_without_the_cloud_extra_names_the_install(tmp_path):
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(textwrap.dedent("""
        import sys
        class _NoCloud:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("boto3", "botocore", "github", "requests"):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        sys.meta_path.insert(0, _NoCloud())
    """))
    config = tmp_path / "gate.yaml"
    config.write_text("providers:\n  capa: {backend: aws-ami}\n")
    result = run_subprocess("gate", "--no-tooling-checks", SAMPLES / RELEASE, "--config", config,
                            env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"})
    line = one_line_error(result)
    assert "pip install 'os-tooling[cloud]'" in line



def test_the_federated_token_file_goes_through_the_bounded_reader(tmp_path):
    from os_tooling.adapters.azure_token import AzureCredentialError, arm_token

    fifo = tmp_path / "token"
    os.mkfifo(fifo)  # a plain open() would block here forever
    env = {"AZURE_TENANT_ID": "tenant", "AZURE_CLIENT_ID": "client",
           "AZURE_FEDERATED_TOKEN_FILE": str(fifo), "AZURE_AUTHORITY_HOST": "http://127.0.0.1:9"}
    with pytest.raises(AzureCredentialError, match="it is a FIFO"):
        arm_token(None, "scope", env=env)  # type: ignore[arg-type]
    big = tmp_path / "big-token"
    big.write_text("x" * (64 * 1024 + 1))
    with pytest.raises(AzureCredentialError, match="larger than 64 KiB"):
        arm_token(None, "scope", env={**env, "AZURE_FEDERATED_TOKEN_FILE": str(big)})  # type: ignore[arg-type]
