"""Forged reports: untrusted text is shown inertly in every report of every command.

A pull request controls tool names, versions, providers, keys, file paths, Release CR names,
labels, titles and commit messages. Each of those reaches some report: text on a terminal or
in the job log, Markdown in the step summary, the sticky PR comment and the release notes,
annotations and step outputs. The Markdown is rendered with cmark-gfm (GitHub's renderer,
tests/gfm.py): table rows keep their cell count, nothing links, no image, no HTML, no mention
or issue reference, no raw control character. Text output has no raw control or format
character, and no line that input began ("FORGED ...").
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
import yaml

from os_tooling.core.escape import json_text, lines, md, md_code, one_line, plain, table, terminal
from tests.action_helpers import TOKEN, parse_file_commands, pull_request_payload, run_action
from tests.gfm import INVISIBLE, check_markdown, check_text, read, render
from tests.helpers import ROOT, GitRepo, manifest_text
from tests.report_schema import check as check_report

pytest_plugins = ["tests.fakes.github"]  # fixture: github_fake

# Each piece tries one way to forge a report; HOSTILE has them all at once.
PIECES = [
    "a|b|c",
    "`c|d`",
    "``e|f``",
    "<img src=x onerror=alert(1)>",
    "![i](http://evil.example/i.png)",
    "[l](http://evil.example/l)",
    "www.evil.example",
    "WWW.evil.example",
    "https://evil.example/u",
    "ftp://evil.example/f",
    "mail@evil.example",
    "mailto:m@evil.example",
    "@acme/admins",
    "@team",
    "#1",
    "acme/repo#12",
    "<!-- os-tooling:gate -->",
    "x\nFORGED line",
    "y\r\nFORGED line",
    "\rFORGED after CR",
    "esc\x1b[2K\x1b]8;;http://evil.example\x07link\x1b]8;;\x07",
    "bel\x07\x08\x7f",
    "c1\x9b31m\x85",
    "bidi\u202eevil\u2066\u200f",
    "sep\u2028FORGED\u2029",
    "zero\u200bwidth\ufeff",
    "back\\|slash\\",
    "*em* _u_ ~~s~~ **b**",
    "&#64;team &amp; &lt;",
    "| --- |",
]
HOSTILE = " ".join(PIECES)
# within the length of a name (a request's name is at most 253 characters)
SHORT_HOSTILE = " ".join(PIECES[i] for i in (0, 3, 5, 6, 12, 14, 16, 17, 20, 23, 24))
# a file or directory name: the same without "/" (and shorter than NAME_MAX)
PATH_PART = ("p|q `r|s` <i> @team www.evil.example m@evil.example #1 [l](x) \x1b[2K\u202e"
             "\nFORGED path")
GITHUB_LINK = "https://github.com/"

CATALOG_NAMES = {  # images of the gate and bump scenarios below
    "capa": ["flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.0.0-gs",
             "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.1.0-gs"],
}
SAMPLE_CR = ROOT / "tests" / "data" / "releases-sample" / "capa" / "v34.5.0" / "release.yaml"


def quoted(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def check_json(text: str) -> dict:
    raw = INVISIBLE.search(text.replace("\n", ""))
    assert raw is None, f"raw {raw.group()!r} in JSON output"
    data = json.loads(text)
    check_report(data)  # hostile values change no report's shape (docs/report.schema.json)
    return data


def all_formats(cli, *args: str, codes=(0, 1)) -> dict[str, str]:
    """The command's text, Markdown and JSON reports, each checked for raw characters."""
    out = {}
    for fmt in ("text", "markdown", "json"):
        result = cli(*args, "--format", fmt)
        assert result.code in codes, (fmt, result.code, result.err)
        check_text(result.err)
        out[fmt] = result.out
    check_text(out["text"])
    check_json(out["json"])
    return out


# -- the escaping itself ------------------------------------------------------------------------
def test_invisible_class_is_every_control_and_format_character():
    """Cc, Cf, Zl, Zp and Cs are escaped; nothing else is (beyond code points that newer
    Unicode versions assign to Cf)."""
    from os_tooling.core import escape

    missed, extra = [], []
    for point in range(0x110000):
        char = chr(point)
        category = unicodedata.category(char)
        hit = escape._INVISIBLE.fullmatch(char) is not None
        if category in ("Cc", "Cf", "Zl", "Zp", "Cs") and not hit:
            missed.append(hex(point))
        if hit and category not in ("Cc", "Cf", "Zl", "Zp", "Cs", "Cn"):
            extra.append(hex(point))
        assert (INVISIBLE.fullmatch(char) is not None) == hit  # the tests' own copy agrees
    assert not missed and not extra


@pytest.mark.parametrize("piece", PIECES)
def test_each_piece_is_inert_in_a_table_cell_text_and_code(piece):
    markdown = table(["Text", "Code", "Last"], [[md(piece), md_code(piece), "end"]])
    page = check_markdown(markdown)
    assert "end" in "".join(page.text)  # the last cell is still the last cell
    check_markdown(f"{md(piece)} and {md_code(piece)}")
    check_text(plain(piece))
    assert "\n" not in plain(piece) and "\n" not in one_line(piece)


def test_md_shows_what_it_escapes():
    """Inert, but still readable: a reader sees the text that was written."""
    page = read(md("@team www.evil.example a@b.example #1 x|y <img>"))
    text = "".join(page.text).replace("\u200b", "").strip()
    assert text == "@team www.evil.example a@b.example #1 x|y <img>"
    assert read(table(["A"], [[md_code("x|y")]])).tags.count("code") == 1
    assert "<code>x|y</code>" in render(table(["A"], [[md_code("x|y")]]))


def test_text_escapes_are_visible_and_json_keeps_the_value():
    assert plain("a\nb\rc\td\x1be\u202ef\U000e0001") == "a\\nb\\rc\\td\\x1be\\u202ef\\U000e0001"
    assert terminal("one\ntwo\x1b[2K\r") == "one\ntwo\\x1b[2K\\r"
    assert lines(["ok", "x\nFORGED"]) == "ok\nx\\nFORGED"
    assert one_line("a\n\n  b\x1b") == "a b\\x1b"
    value = {"k": HOSTILE + "\ud800"}
    text = json_text(json.dumps(value, ensure_ascii=False))
    assert INVISIBLE.search(text) is None
    assert json.loads(text) == value  # the same value, only spelled with \u escapes


def test_a_pipe_in_a_code_span_no_longer_splits_a_cell():
    """The issue's example: a `|` inside backticks split the cell in GitHub's renderer."""
    before = "| Release | Status |\n|---|---|\n| `evil|[x](http://evil.example)` | ok |"
    assert "<a " in render(before)  # what a PR could do with the old table()
    after = table(["Release", "Status"], [[md_code("evil|[x](http://evil.example)"), "ok"]])
    page = check_markdown(after)
    assert "ok" in "".join(page.text)


# -- every command ------------------------------------------------------------------------------
@pytest.fixture
def hostile_dir(tmp_path, monkeypatch) -> Path:
    """A working directory whose child has a hostile name; the CLI runs in tmp_path."""
    monkeypatch.chdir(tmp_path)
    target = tmp_path / PATH_PART
    target.mkdir()
    return target


def hostile_manifest() -> str:
    """Every manifest field hostile: name, version, providers, an unknown key, policy."""
    return "\n".join([
        "tools:",
        f"  - name: {quoted(HOSTILE)}",
        "    # renovate: datasource=github-releases depName=a/b",
        f"    version: {quoted(HOSTILE)}",
        f"    providers: [capa, {quoted(HOSTILE)}]",
        f"    {quoted(HOSTILE)}: 1",
        f"  - name: {quoted('teleport ' + PIECES[0])}",
        f"    version: {quoted('1.0.0 ' + PIECES[17])}",
        "    providers: [capa]",
        "policy:",
        f"  {quoted(HOSTILE)}: major",
        "  tools:",
        f"    {quoted(HOSTILE)}: {{major: {quoted(HOSTILE)}}}",
    ]) + "\n"


def test_validate(cli, hostile_dir):
    (hostile_dir / "os-tooling.yaml").write_text(hostile_manifest())
    path = f"{PATH_PART}/os-tooling.yaml"
    out = all_formats(cli, "validate", path)
    page = check_markdown(out["markdown"])
    assert "FORGED" in "".join(page.text)  # shown, as text
    assert "invalid:" in out["text"] and "\\x1b" in out["text"]
    data = json.loads(out["json"])
    assert data["valid"] is False and data["errors"][0]["path"] == path  # JSON keeps the value
    missing = cli("validate", f"{PATH_PART}/missing.yaml")
    assert missing.code == 2 and len(missing.err.splitlines()) == 1
    check_text(missing.err)


def test_plan_of_an_invalid_manifest(cli, hostile_dir):
    (hostile_dir / "base.yaml").write_text(manifest_text({"name": "teleport", "version": "1.0.0"}))
    (hostile_dir / "head.yaml").write_text(hostile_manifest())
    out = all_formats(cli, "plan", "--base", f"{PATH_PART}/base.yaml",
                      "--head", f"{PATH_PART}/head.yaml")
    check_markdown(out["markdown"])
    assert "not computed" in out["text"]


def test_plan_with_hostile_labels_and_versions(cli, hostile_dir):
    """Semantic versions can carry www.evil.example in a prerelease or build part."""
    base = manifest_text({"name": "teleport", "version": "17.4.2-www.evil.example",
                          "allowPrerelease": True},
                         {"name": "gone", "version": "1.0.0+mail.evil.example"})
    head = manifest_text({"name": "teleport", "version": "17.5.0-a.www.evil.example",
                          "allowPrerelease": True},
                         {"name": "added", "version": "2.0.0+www.evil.example"})
    (hostile_dir / "base.yaml").write_text(base)
    (hostile_dir / "head.yaml").write_text(head)
    out = all_formats(cli, "plan", "--base", f"{PATH_PART}/base.yaml", "--head",
                      f"{PATH_PART}/head.yaml", "--current-version", "1.0.0",
                      "--label", f"release/{HOSTILE}", "--label", HOSTILE)
    page = check_markdown(out["markdown"])
    assert "unknown release level" in "".join(page.text)
    assert json.loads(out["json"])["changes"]  # the plan rows are there too


@pytest.fixture
def releases(tmp_path, monkeypatch) -> Path:
    """A releases repository with hostile Release CRs, and the catalog of their images."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "releases"
    text = SAMPLE_CR.read_text()

    def write(relative: str, content: str) -> None:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)

    # name, flatcar and kubernetes versions hostile
    write("capa/v34.6.0/release.yaml", text.replace("name: aws-34.5.0", f"name: {quoted(HOSTILE)}")
          .replace("version: 4593.2.4", f"version: {quoted('4593.2.4 ' + HOSTILE)}", 1))
    # a hostile directory: no provider can be told from it
    write(f"capa/v34.7.0 {PATH_PART}/release.yaml", text)
    # a skipped release (no flatcar) with a hostile name
    write("aks/v30.0.0/release.yaml", "apiVersion: release.giantswarm.io/v1alpha1\nkind: Release\n"
          f"metadata:\n  name: {quoted(HOSTILE)}\nspec:\n  components:\n"
          "  - {name: kubernetes, version: 1.30.0}\n  state: active\n")
    # a good pair for the binary changes table: os-tooling 1.0.0 -> 1.1.0
    write("capa/v34.4.0/release.yaml", text.replace("aws-34.5.0", "aws-34.4.0")
          .replace("name: os-tooling\n    version: 1.33.1", "name: os-tooling\n    version: 1.0.0"))
    write("capa/v34.5.0/release.yaml", text
          .replace("name: os-tooling\n    version: 1.33.1", "name: os-tooling\n    version: 1.1.0"))
    assert "version: 1.1.0" in (root / "capa/v34.5.0/release.yaml").read_text()
    # requests with hostile names, ranges and issues: a binary request naming nothing, one the
    # hostile-but-valid teleport version satisfies, and a range that cannot be read
    write("capa/requests.yaml", "releases:\n- name: '>= 34.0.0'\n  requests:\n"
          f"  - name: {quoted(SHORT_HOSTILE)}\n    version: '>= 1.0.0'\n"
          f"    issue: {quoted(HOSTILE)}\n"
          "  - name: teleport\n    version: '>= 17.0.0'\n"
          f"- name: '>= 34.5.0'\n  requests:\n  - name: cilium\n    version: {quoted(HOSTILE)}\n")
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG_NAMES))
    return root


@pytest.fixture
def tooling(tmp_path) -> GitRepo:
    """capi-image-builder at a hostile path, tags v1.0.0 and v1.1.0 with hostile-but-valid
    versions (www.evil.example in prerelease and build parts)."""
    repo = GitRepo(tmp_path / f"tooling {PATH_PART}")
    repo.write("os-tooling.yaml", manifest_text(
        {"name": "teleport", "version": "17.4.2-www.evil.example", "allowPrerelease": True},
        {"name": "gone", "version": "1.0.0+mail.evil.example"}))
    repo.commit("one")
    repo.tag("v1.0.0", "os-tooling 1.0.0")
    repo.write("os-tooling.yaml", manifest_text(
        {"name": "teleport", "version": "18.0.0-www.evil.example", "allowPrerelease": True},
        {"name": "added", "version": "2.0.0+https.evil.example"}))
    repo.commit("two")
    repo.tag("v1.1.0", "os-tooling 1.1.0")
    return repo


def test_gate(cli, releases, tooling):
    files = [str(p.relative_to(releases)) for p in sorted(releases.rglob("release.yaml"))]
    out = all_formats(cli, "gate", "--catalog", str(releases.parent / "catalog.yaml"),
                      "--repo-root", str(releases), "--tooling-repo", str(tooling.path),
                      *[str(releases / f) for f in files])
    page = check_markdown(out["markdown"])
    shown = "".join(page.text)
    assert "Binary changes" in shown and "Skipped" in shown and "Problems" in shown
    assert "Requests" in shown and "FORGED" in shown  # the requests' table, hostile text shown
    data = json.loads(out["json"])
    requests = [c for r in data["releases"] for c in r["checks"] if c["name"] == "requests"]
    assert {c["status"] for c in requests} == {"violation", "error"}
    assert SHORT_HOSTILE in {i["name"] for c in requests for i in c.get("requests", [])}
    assert {r["status"] for r in data["releases"]} >= {"error", "skipped"}
    for a in data.get("annotations") or []:  # what the action turns into ::error commands
        check_text(plain(a.get("message")))


def test_bump(cli, releases, tooling):
    target = releases / "capa/v34.4.0/release.yaml"
    hostile_root = releases.parent / PATH_PART / "capa/v34.4.0"
    hostile_root.mkdir(parents=True)
    (hostile_root / "release.yaml").write_text(target.read_text())
    for fmt in ("text", "markdown", "json"):
        result = cli("bump", str(hostile_root / "release.yaml"), "--to-tooling", "1.1.0",
                     "--catalog", str(releases.parent / "catalog.yaml"), "--dry-run",
                     "--tooling-repo", str(tooling.path), "--format", fmt)
        assert result.code == 0, result.err
        {"text": check_text, "markdown": check_markdown, "json": check_json}[fmt](result.out)
    refused = cli("bump", str(hostile_root / "release.yaml"), "--to-tooling", "9.9.9",
                  "--catalog", str(releases.parent / "catalog.yaml"))
    assert refused.code == 1
    check_text(refused.err)
    assert len(refused.err.splitlines()) == 1


def test_describe_and_diff(cli, tooling):
    source = ("--tooling-repo", str(tooling.path))
    describe = all_formats(cli, "describe", "1.1.0", *source)
    check_markdown(describe["markdown"])
    assert "\\n" in describe["text"].splitlines()[0]  # the repository path, shown escaped
    diff = all_formats(cli, "diff", "1.0.0", "1.1.0", *source)
    check_markdown(diff["markdown"])
    missing = cli("describe", "9.9.9", *source)
    assert missing.code == 1
    check_text(missing.err)


def test_available(cli, tmp_path):
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({
        "capa": [f"flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.0.0-gs{PATH_PART}",
                 "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.2.0-gs", HOSTILE],
        "capz": [HOSTILE]}))
    out = all_formats(cli, "available", "--flatcar", "4593.2.4", "--kubernetes", "1.34.10",
                      "--provider", "capa", "--provider", "capz", "--catalog", str(catalog))
    check_markdown(out["markdown"])
    bad = cli("available", "--flatcar", HOSTILE, "--kubernetes", "1.34.10", "--catalog", str(catalog))
    assert bad.code == 2 and len(bad.err.splitlines()) == 1
    check_text(bad.err)


def test_image_name(cli):
    bad = cli("image-name", "--flatcar", HOSTILE, "--kubernetes", "1.34.10", "--tooling", "1.0.0")
    assert bad.code == 2 and len(bad.err.splitlines()) == 1
    check_text(bad.err)
    args = ("image-name", "--flatcar", "4593.2.4", "--kubernetes", "1.34.10", "--tooling",
            "1.0.0-www.evil.example")  # a valid prerelease that looks like a domain
    text, markdown = cli(*args), cli(*args, "--format", "markdown")
    assert text.code == markdown.code == 0
    check_text(text.out)
    assert "<code>" in render(markdown.out)
    check_markdown(markdown.out)


def test_release_pr_bump_and_available(cli, tmp_path):
    """A release PR (branch off main) adds releases with hostile names, versions and paths."""
    repo = GitRepo(tmp_path / "releases")
    repo.write("capa/v34.5.0/release.yaml", SAMPLE_CR.read_text())
    repo.commit("published")
    repo.git("checkout", "-q", "-b", "release-v34.6.0")
    text = SAMPLE_CR.read_text()
    repo.write("capa/v34.6.0/release.yaml", text.replace("name: aws-34.5.0", "name: aws-34.6.0")
               .replace("name: os-tooling\n    version: 1.33.1",
                        f"name: os-tooling\n    version: {quoted('1.33.1 ' + PATH_PART)}"))
    repo.write("capa/v34.7.0/release.yaml", text.replace("name: aws-34.5.0", f"name: {quoted(HOSTILE)}"))
    repo.write(f"capa/v34.8.0 {PATH_PART}/release.yaml", text)
    repo.write("capa/v34.9.0/release.yaml", text.replace("name: aws-34.5.0", "name: aws-34.9.0"))
    repo.commit(f"Add releases {HOSTILE}")
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"capa": [
        "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.33.1-gs",
        "flatcar-stable-4593.2.4-kube-1.34.10-tooling-1.34.0-gs", HOSTILE]}))
    common = ("--base-ref", "main", "--repo-root", str(repo.path), "--catalog", str(catalog))
    bumped = all_formats(cli, "bump", *common, "--latest", "--dry-run")
    check_markdown(bumped["markdown"])
    assert "FORGED" in bumped["text"] and "1.33.1 -> 1.34.0" in bumped["text"]
    available = all_formats(cli, "available", *common)
    page = check_markdown(available["markdown"])
    assert "FORGED" in "".join(page.text) and "<table>" in render(available["markdown"])


@pytest.fixture
def capi(tmp_path) -> GitRepo:
    """capi-image-builder at a hostile path with a released v1.0.0 and a hostile change."""
    repo = GitRepo(tmp_path / f"capi {PATH_PART}")
    repo.write("os-tooling.yaml", manifest_text({"name": "teleport", "version": "17.4.2"}))
    repo.commit("one")
    repo.tag("v1.0.0", "os-tooling 1.0.0")
    repo.write("os-tooling.yaml", manifest_text(
        {"name": "teleport", "version": "17.5.0-www.evil.example", "allowPrerelease": True},
        {"name": "new-agent", "version": "1.0.0+mail.evil.example"}).replace(
        "depName=example/new-agent", "depName=www.evil.example/new-agent"))
    repo.commit(f"change {HOSTILE}\n\nRelease-Level: patch")
    return repo


def test_release_notes(cli, capi):
    out = all_formats(cli, "release", "--local", "--dry-run", "--repo-root", str(capi.path))
    # the only links are the upstream release pages, built from validated parts
    page = check_markdown(out["markdown"], link_ok=lambda href: href.startswith(GITHUB_LINK))
    assert len(page.links) == 2
    data = json.loads(out["json"])
    assert data["outcome"] == "dry-run"
    check_markdown(data["notes"], link_ok=lambda href: href.startswith(GITHUB_LINK))


def test_release_refusals_are_one_clean_line(cli, capi):
    capi.commit(f"more\n\nRelease-Level: {HOSTILE}")
    trailer = cli("release", "--local", "--dry-run", "--repo-root", str(capi.path))
    assert trailer.code == 1 and len(trailer.err.splitlines()) == 1
    check_text(trailer.err)
    label = cli("release", "--local", "--dry-run", "--repo-root", str(capi.path),
                "--label", f"release/{HOSTILE}")
    assert label.code == 1 and len(label.err.splitlines()) == 1
    check_text(label.err)


# -- the action: summary, comment, annotations, outputs ----------------------------------------
def check_action(result) -> None:
    check_text(result.stdout)
    check_text(result.stderr)
    for name, values in parse_file_commands(result.output_text).items():
        for value in values:
            assert INVISIBLE.search(value) is None, (name, value)
    check_markdown(result.summary)


def test_action_plan_with_hostile_pr(tmp_path, github_fake):
    capi = GitRepo(tmp_path / "capi")
    capi.write("os-tooling.yaml", manifest_text({"name": "teleport", "version": "17.4.2"}))
    base = capi.commit("base")
    capi.tag("v1.0.0", "os-tooling 1.0.0")
    capi.write("os-tooling.yaml", manifest_text({"name": "teleport", "version": "17.5.0"}))
    head = capi.commit("bump")
    repo = github_fake.import_git(capi.path, "acme/capi-image-builder")
    pull = repo.add_pull(title=HOSTILE, head_sha=head)
    payload = pull_request_payload(pull.number, base, head, title=HOSTILE,
                                   labels=[f"release/{HOSTILE}", HOSTILE, "release/minor"])
    result = run_action(tmp_path / "run", capi.path,
                        {"command": "plan", "token": TOKEN, "comment": "true", "format": "text"},
                        "pull_request", payload, github_fake.env(token=None))
    assert result.code == 1  # an unknown release level in a label is a finding
    check_action(result)
    [comment] = repo.comments.values()
    page = check_markdown(comment.body, link_ok=lambda href: href.startswith(GITHUB_LINK))
    assert "unknown release level" in "".join(page.text)
    for annotation in result.annotations():
        assert INVISIBLE.search(annotation.data) is None


def test_action_gate_with_hostile_release(tmp_path, releases):
    git = GitRepo(releases)
    git.commit("releases")
    result = run_action(tmp_path / "run", releases,
                        {"command": "gate", "token": TOKEN, "format": "text",
                         "catalog": str(releases.parent / "catalog.yaml"),
                         "tooling-checks": "false",
                         "files": "capa/v34.6.0/release.yaml\naks/v30.0.0/release.yaml"})
    assert result.code == 1
    check_action(result)
    report = json.loads(result.outputs["report"])
    assert report["releases"][0]["name"] == HOSTILE  # the JSON output keeps the exact value
    assert any("FORGED" in a.data for a in result.annotations("error"))
