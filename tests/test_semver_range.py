"""The range reader (core/semver_range.py) against blang/semver, the reader of the releases
repository's Go test: a reference table written by the real blang (bench/blang_table.py), and
properties that must hold for every range built from it."""

from __future__ import annotations

from pathlib import Path

import pytest
import semver
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from os_tooling.core.semver_range import RangeError, parse_range, parse_version

TABLE = yaml.safe_load((Path(__file__).parent / "data" / "blang-ranges.yaml").read_text())
VERSIONS: list[str] = TABLE["versions"]
CASES = [(c["range"], c["matches"], c.get("note", "")) for c in TABLE["cases"]]
VALID = [(text, set(matches)) for text, matches, note in CASES if matches is not None and not note]
# joined with spaces, a part with "||" would split the alternative it stands in
SIMPLE = [(text, matches) for text, matches in VALID if "||" not in text]


def matching(text: str) -> set[str] | None:
    try:
        read = parse_range(text)
    except RangeError:
        return None
    return {v for v in VERSIONS if read.contains(parse_version(v))}


@pytest.mark.parametrize("text,matches,note", CASES, ids=[repr(c[0]) for c in CASES])
def test_reference_table(text, matches, note):
    """Every range of the table: the versions blang says it contains, or an error."""
    assert matching(text) == (None if matches is None else set(matches))


def test_table_covers_what_it_must():
    """The table is the reference: it has the documented forms, the real requests and errors."""
    texts = {text for text, _, _ in CASES}
    assert {">= 34.2.0 < 35.0.0", "1.x || >=2.0.x <2.2.x", "!=1.2.3", "v1.2.3", "~1.2.x"} <= texts
    assert sum(matches is None for _, matches, _ in CASES) >= 20
    assert len(VALID) >= 60


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SIMPLE), st.sampled_from(SIMPLE), st.sampled_from(["  ", " ", "   "]))
def test_space_is_and(first, second, gap):
    assert matching(first[0] + gap + second[0]) == first[1] & second[1]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(VALID), st.sampled_from(VALID), st.sampled_from([" || ", "  ||  "]))
def test_double_bar_is_or(first, second, bar):
    assert matching(first[0] + bar + second[0]) == first[1] | second[1]


def test_double_bar_needs_spaces():
    """blang splits at spaces first: ``>1.2.3||<1.0.0`` is one (unreadable) comparison."""
    assert matching(">1.2.3||<1.0.0") is None


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(VALID), st.lists(st.sampled_from([" ", "  "]), min_size=2, max_size=2))
def test_surrounding_spaces_change_nothing(case, pads):
    assert matching(pads[0] + case[0] + pads[1]) == case[1]


# -- comparisons against an independent semver implementation (python-semver) -------------------
_NUM = st.integers(0, 30).map(str)
_PRE_ID = st.one_of(_NUM, st.sampled_from(["rc", "alpha", "beta", "x", "a-b", "RC", "0a"]))
_PRE = st.lists(_PRE_ID, min_size=1, max_size=3).map(lambda ids: "-" + ".".join(ids))
SEMVERS = st.builds(lambda a, b, c, pre, build: f"{a}.{b}.{c}{pre}{build}", _NUM, _NUM, _NUM,
                    st.one_of(st.just(""), _PRE), st.sampled_from(["", "+b1", "+build.5"]))
# blang reads any "x" in a comparison as a wildcard (see the table): bounds have none
BOUNDS = SEMVERS.filter(lambda text: "x" not in text)
_EXPECT = {">": lambda c: c > 0, ">=": lambda c: c >= 0, "<": lambda c: c < 0,
           "<=": lambda c: c <= 0, "=": lambda c: c == 0, "==": lambda c: c == 0,
           "": lambda c: c == 0, "!=": lambda c: c != 0, "!": lambda c: c != 0}


@settings(max_examples=500, deadline=None)
@given(BOUNDS, SEMVERS, st.sampled_from(sorted(_EXPECT)), st.sampled_from(["", " "]))
def test_comparisons_order_versions_as_semver_does(bound, version, op, space):
    """Prereleases below their release, numeric identifiers below alphanumeric ones, build
    metadata ignored: python-semver says the same for every pair."""
    if op in ("", "!"):
        space = ""  # blang splits "! 1.2.3" at the space (see the table's quirks)
    read = parse_range(f"{op}{space}{bound}")
    expected = _EXPECT[op](semver.Version.parse(version).compare(bound))
    assert read.contains(parse_version(version)) is expected


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 50), st.integers(0, 50), SEMVERS)
def test_wildcards_expand_as_blang_documents(major, minor, version):
    v = parse_version(version)

    def same(wild: str, plain: str) -> None:
        assert parse_range(wild).contains(v) == parse_range(plain).contains(v), (wild, plain)

    same(f"{major}.{minor}.x", f">={major}.{minor}.0 <{major}.{minor + 1}.0")
    same(f">={major}.{minor}.x", f">={major}.{minor}.0")
    same(f"<={major}.{minor}.x", f"<{major}.{minor + 1}.0")
    same(f">{major}.{minor}.x", f">={major}.{minor + 1}.0")
    same(f"<{major}.{minor}.x", f"<{major}.{minor}.0")
    same(f"{major}.x", f">={major}.0.0 <{major + 1}.0.0")
    same(f">{major}.x", f">={major + 1}.0.0")
    same(f"<={major}.x", f"<{major + 1}.0.0")
    assert not parse_range(f"!={major}.{minor}.x").contains(v)  # blang: both parts must hold


@settings(max_examples=300, deadline=None)
@given(SEMVERS)
def test_versions_read_like_python_semver(text):
    v = parse_version(text)
    ref = semver.Version.parse(text)
    assert (v.major, v.minor, v.patch) == (ref.major, ref.minor, ref.patch)
    assert str(v) == str(ref)


@pytest.mark.parametrize("text", ["v1.2.3", "1.2", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+",
                                  "1.2.3-a..b", "18446744073709551616.0.0", " 1.2.3", "1.2.3 ",
                                  "", "1.2.3.4", "٣.0.0"])
def test_strict_versions(text):
    with pytest.raises(RangeError):
        parse_version(text)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=40),
                 st.text(alphabet=" <>=!|x0123456789.-+abv\t~^*", max_size=30)))
def test_any_text_reads_or_is_a_range_error(text):
    """Hostile input never escapes as another exception, and a range that reads is usable."""
    try:
        read = parse_range(text)
    except RangeError as exc:
        assert str(exc)
        return
    for version in VERSIONS:
        assert read.contains(parse_version(version)) in (True, False)


def test_absurd_input_is_bounded():
    with pytest.raises(RangeError, match="characters long"):
        parse_range(">=1.0.0 " * 500)
    with pytest.raises(RangeError, match="too large"):
        parse_range(">=" + "9" * 30 + ".0.0")
