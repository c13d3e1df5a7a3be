"""The gate's reports on histories like the releases repository's real one: the real sample in a
git repository, and small changes made here (archive moves of retired provider folders, a vintage
release listing ``kubernetes`` twice, a change of skipped releases only). Every format says the
same numbers: the JSON ``summary``, the text's last line and the Markdown's summary line."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from os_tooling.report.gate import summary_line
from tests.gate_helpers import CATALOG, SAMPLES
from tests.helpers import GitRepo
from tests.report_schema import check

LINE = re.compile(r"(?P<releases>\d+) release files?: (?P<gated>\d+) gated \((?P<ok>\d+) ok, "
                  r"(?P<missing>\d+) missing, (?P<violation>\d+) violation, (?P<error>\d+) error\), "
                  r"(?P<skipped>\d+) skipped(?:; (?P<moved_to_archived>\d+) releases? moved to "
                  r"archived/ unchanged, not gated)?")
ARCHIVE_ONLY = re.compile(r"(?P<moved_to_archived>\d+) releases? moved to archived/ unchanged: "
                          r"nothing to gate")

# a vintage release of a retired provider folder, as in the real history: named v<version>,
# containerlinux instead of flatcar, and kubernetes listed twice
VINTAGE = (SAMPLES / "azure/archived/v11.0.0/release.yaml").read_text().replace(
    "name: v11.0.0", "name: v20.0.0").replace(
    "  - name: kubernetes\n    version: 1.16.3\n",
    "  - name: kubernetes\n    version: 1.16.3\n  - name: kubernetes\n    version: 1.16.3\n")


def numbers(text: str) -> dict[str, int]:
    """The summary numbers a reader sees in a text or Markdown report."""
    found = LINE.search(text) or ARCHIVE_ONLY.search(text)
    assert found is not None, text
    values = {k: int(v) for k, v in found.groupdict().items() if v is not None}
    values.setdefault("moved_to_archived", 0)
    return values


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    """The real sample, committed, with retired provider folders beside it (aws/, kvm/)."""
    repo = GitRepo(tmp_path / "releases")
    shutil.copytree(SAMPLES, repo.path, dirs_exist_ok=True)
    repo.write("aws/v20.0.0/release.yaml", VINTAGE)
    repo.write("aws/v20.0.0/README.md", "# v20.0.0\n")
    repo.write("kvm/v12.0.0/release.yaml", VINTAGE.replace("v20.0.0", "v12.0.0"))
    shutil.copy(CATALOG, repo.path / "images.yaml")
    repo.commit("base")
    repo.git("tag", "base")
    return repo


def gate_all_formats(cli, repo: GitRepo, *extra: str) -> tuple[int, dict, str, str]:
    args = ("gate", "--base-ref", "base", "--repo-root", repo.path, "--catalog",
            repo.path / "images.yaml", *extra)
    outputs = {fmt: cli(*args, "--format", fmt) for fmt in ("json", "text", "markdown")}
    codes = {r.code for r in outputs.values()}
    assert len(codes) == 1 and codes <= {0, 1}, {f: r.err for f, r in outputs.items()}
    return codes.pop(), json.loads(outputs["json"].out), outputs["text"].out, outputs["markdown"].out


def assert_same_numbers(data: dict, text: str, markdown: str) -> None:
    check(data, "gate")  # the documented JSON shape (docs/report.schema.json)
    summary = data["summary"]
    line = summary_line(summary)
    assert text.splitlines()[-1] == f"gate: {'ok' if data['ok'] else 'FAILED'}: {line}"
    assert markdown.splitlines()[2] == line  # under the heading
    expected = {k: summary[k] for k in numbers(line)}
    assert numbers(text.splitlines()[-1]) == expected == numbers(markdown)
    # and the JSON's numbers are those of its own releases
    statuses = [r["status"] for r in data["releases"]]
    assert summary["releases"] == len(statuses)
    assert summary["gated"] == len([s for s in statuses if s != "skipped"])
    assert summary["failing"] == len([s for s in statuses if s in ("missing", "violation", "error")])
    assert summary["moved_to_archived"] == len(data["moved_to_archived"])
    for status in ("ok", "missing", "violation", "error", "skipped"):
        assert summary[status] == statuses.count(status)


def test_archive_moves_of_retired_folders_are_not_gated_and_said_so(cli, repo):
    repo.path.joinpath("aws/archived").mkdir()
    repo.git("mv", "aws/v20.0.0", "aws/archived/v20.0.0")
    repo.path.joinpath("kvm/archived").mkdir()
    repo.git("mv", "kvm/v12.0.0", "kvm/archived/v12.0.0")
    repo.git("mv", "capa/v34.4.0", "capa/archived/v34.4.0")
    repo.commit("archive old releases")

    code, data, text, markdown = gate_all_formats(cli, repo, "--no-tooling-checks")
    assert code == 0 and data["ok"] is True
    assert data["releases"] == []
    assert data["moved_to_archived"] == ["aws/archived/v20.0.0/release.yaml",
                                         "capa/archived/v34.4.0/release.yaml",
                                         "kvm/archived/v12.0.0/release.yaml"]
    assert data["summary"] == {"releases": 0, "gated": 0, "ok": 0, "missing": 0, "violation": 0,
                               "skipped": 0, "error": 0, "failing": 0, "moved_to_archived": 3}
    assert_same_numbers(data, text, markdown)
    assert text == "gate: ok: 3 releases moved to archived/ unchanged: nothing to gate\n"
    assert markdown.startswith("### os-tooling gate: ok :white_check_mark:\n\n"
                               "3 releases moved to archived/ unchanged: nothing to gate\n")
    for report in (text, markdown, json.dumps(data)):
        assert "no release file changed" not in report
        assert "gateable" not in report


def test_an_archive_move_with_an_edit_is_gated_and_the_others_are_counted(cli, repo):
    repo.path.joinpath("aws/archived").mkdir()
    repo.git("mv", "aws/v20.0.0", "aws/archived/v20.0.0")
    repo.git("mv", "capa/v34.4.0", "capa/archived/v34.4.0")
    moved = repo.path / "capa/archived/v34.4.0/release.yaml"
    moved.write_text(moved.read_text().replace("state: active", "state: deprecated"))
    repo.commit("archive, one with an edit")

    code, data, text, markdown = gate_all_formats(cli, repo, "--no-tooling-checks")
    assert code == 0
    [release] = data["releases"]
    assert release["file"] == "capa/archived/v34.4.0/release.yaml" and release["status"] == "ok"
    published = next(c for c in release["checks"] if c["name"] == "published-release")
    assert published["status"] == "ok" and published["base_file"] == "capa/v34.4.0/release.yaml"
    assert data["moved_to_archived"] == ["aws/archived/v20.0.0/release.yaml"]
    assert_same_numbers(data, text, markdown)
    assert text.endswith("gate: ok: 1 release file: 1 gated (1 ok, 0 missing, 0 violation, "
                         "0 error), 0 skipped; 1 release moved to archived/ unchanged, not gated\n")


def test_a_vintage_release_listing_kubernetes_twice_is_skipped_not_an_error(cli, repo):
    vintage = repo.path / "aws/v20.0.0/release.yaml"
    vintage.write_text(vintage.read_text().replace("state: deprecated", "state: active"))
    repo.commit("aws v20.0.0: active again")

    code, data, text, markdown = gate_all_formats(cli, repo, "--no-tooling-checks")
    assert code == 0, text
    [release] = data["releases"]
    assert release["status"] == "skipped" and "vintage" in release["reason"]
    # published: still checked for its node image, which it keeps (both kubernetes entries)
    [kept] = release["checks"]
    assert kept["name"] == "published-release" and kept["status"] == "ok"
    assert "duplicate" not in text + markdown
    assert_same_numbers(data, text, markdown)
    assert data["summary"]["skipped"] == 1 and data["summary"]["gated"] == 0


def test_a_change_hidden_in_the_second_kubernetes_of_a_vintage_release_is_a_violation(cli, repo):
    vintage = repo.path / "aws/v20.0.0/release.yaml"
    lines = vintage.read_text().split("\n")
    second = [i for i, line in enumerate(lines) if line == "  - name: kubernetes"][1]
    lines[second + 1] = "    version: 1.17.0"
    vintage.write_text("\n".join(lines))
    repo.commit("aws v20.0.0: other kubernetes")

    code, data, text, markdown = gate_all_formats(cli, repo, "--no-tooling-checks")
    assert code == 1
    [release] = data["releases"]
    assert release["status"] == "violation"
    [check] = release["checks"]
    assert check["changes"] == [{"component": "kubernetes", "from": "1.16.3, 1.16.3",
                                 "to": "1.16.3, 1.17.0"}]
    assert_same_numbers(data, text, markdown)


def test_a_change_of_skipped_releases_only(cli, repo):
    for relative in ("aks/v35.1.0/release.yaml", "azure/archived/v25.0.0/release.yaml",
                     "azure/archived/v11.0.0/release.yaml"):
        path = repo.path / relative
        path.write_text(path.read_text() + "# reviewed\n")
    repo.commit("comments on skipped releases")

    code, data, text, markdown = gate_all_formats(cli, repo)  # fail-closed mode: nothing to fail
    assert code == 0
    assert [r["status"] for r in data["releases"]] == ["skipped"] * 3
    assert data["summary"]["releases"] == 3 and data["summary"]["gated"] == 0
    assert_same_numbers(data, text, markdown)
    assert "3 release files: 0 gated (0 ok, 0 missing, 0 violation, 0 error), 3 skipped" in text
    assert markdown.startswith("### os-tooling gate: ok :white_check_mark:\n")


def test_the_whole_real_sample_in_one_change(cli, repo, tmp_path):
    """Every release file of the sample changed at once (a state edit each): the numbers of the
    three formats agree, the failing ones included."""
    for path in sorted(repo.path.rglob("release.yaml")):
        path.write_text(path.read_text() + "# touched\n")
    bad = repo.path / "capa/v34.5.0/release.yaml"
    bad.write_text(bad.read_text().replace("version: 1.33.1", "version: 1.33.7"))  # no image
    repo.commit("touch every release")

    code, data, text, markdown = gate_all_formats(cli, repo, "--no-tooling-checks")
    assert code == 1
    assert data["summary"]["releases"] == 19  # the 17 real ones and the two retired vintage
    assert data["summary"]["skipped"] == 7 and data["summary"]["failing"] == 1
    assert_same_numbers(data, text, markdown)


def test_no_tooling_checks_hint_appears_once_per_report(cli, repo):
    for relative in ("capa/v34.5.0", "capa/v34.4.1", "azure/v34.5.0", "vsphere/v34.5.0"):
        path = repo.path / relative / "release.yaml"
        path.write_text(path.read_text().replace("state: active", "state: deprecated"))
    repo.commit("deprecate")

    code, data, text, markdown = gate_all_formats(cli, repo, "--no-tooling-checks")
    assert code == 0
    not_run = [c for r in data["releases"] for c in r["checks"] if c["status"] == "not-run"]
    assert len(not_run) >= 5  # os-tooling-release of each, binary-majors where tooling moved
    assert all(c["reason"] == "--no-tooling-checks" for c in not_run)
    for report in (text, markdown):
        assert report.count("--tooling-repo PATH") == 1, report
    assert text.count("not checked: --no-tooling-checks") == len(not_run)
    assert "- :grey_question: **os-tooling-release** not run for 4 releases: --no-tooling-checks" \
        in markdown
    assert_same_numbers(data, text, markdown)


def test_without_the_choice_each_failing_check_still_says_how_to_fix_it(cli, repo):
    path = repo.path / "capa/v34.5.0/release.yaml"
    path.write_text(path.read_text().replace("state: active", "state: deprecated"))
    repo.commit("deprecate")
    code, data, text, markdown = gate_all_formats(cli, repo)
    assert code == 1  # fail closed
    assert "give a tooling source, or --no-tooling-checks to accept it" in text
    assert_same_numbers(data, text, markdown)


def test_binary_requests_not_run_by_choice_say_why_once(cli, repo):
    requests = repo.path / "capa/requests.yaml"
    requests.write_text(requests.read_text() + '- name: ">= 34.0.0"\n  requests:\n'
                        '  - name: teleport\n    version: ">= 17.0.0"\n')
    repo.commit("a binary request")
    repo.git("tag", "-f", "base")
    for relative in ("capa/v34.5.0", "capa/v34.4.1"):
        path = repo.path / relative / "release.yaml"
        path.write_text(path.read_text() + "# reviewed\n")
    repo.commit("review")

    code, data, text, markdown = gate_all_formats(cli, repo, "--no-tooling-checks")
    assert code == 0
    requests_checks = [c for r in data["releases"] for c in r["checks"] if c["name"] == "requests"]
    assert [c["status"] for c in requests_checks] == ["not-run", "not-run"]
    assert all(c["reason"] == "--no-tooling-checks" for c in requests_checks)
    for report in (text, markdown):
        assert report.count("--tooling-repo PATH") == 1, report
    assert "note: binary-majors, os-tooling-release, requests not run (--no-tooling-checks)" in text
    assert "- :grey_question: **requests** not run for 2 releases: --no-tooling-checks" in markdown
    assert_same_numbers(data, text, markdown)
