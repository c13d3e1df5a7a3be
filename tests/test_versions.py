import pytest
import semver
from hypothesis import given, settings
from hypothesis import strategies as st

from os_tooling.core.levels import Level
from os_tooling.core.versions import Version, VersionError, difference_level, highest


@pytest.mark.parametrize("text,expected", [
    ("17.4.2", (17, 4, 2, None, None, "")),
    ("v0.1.44", (0, 1, 44, None, None, "v")),
    ("1.2", (1, 2, 0, None, None, "")),
    ("1.0.0-rc.1+build.5", (1, 0, 0, "rc.1", "build.5", "")),
])
def test_parse(text, expected):
    v = Version.parse(text)
    assert (v.major, v.minor, v.patch, v.prerelease, v.build, v.prefix) == expected


def test_prefix_is_kept_for_display_but_not_for_equality():
    assert str(Version.parse("v1.7.27")) == "v1.7.27"
    assert Version.parse("v1.7.27") == Version.parse("1.7.27")
    assert Version.parse("1.2") == Version.parse("1.2.0")


@pytest.mark.parametrize("text", ["", "1", "v", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3+", "V1.2.3",
                                  " 1.2.3", "1.2.3\n", "1.2.x", "vv1.2.3", "1.2.3-01"])
def test_rejects_non_semver(text):
    with pytest.raises(VersionError):
        Version.parse(text)


def test_absurd_numbers_are_an_error_not_a_crash():
    with pytest.raises(VersionError, match="more than 18 digits"):
        Version.parse("1" * 30 + ".0.0")
    with pytest.raises(VersionError, match="characters long"):
        Version.parse("1" * 5000 + ".0.0")
    with pytest.raises(VersionError, match="characters long"):
        Version.parse("1.0.0-" + "a" * 5000)


def test_build_metadata_ignored_for_ordering():
    assert Version.parse("1.2.3+a") == Version.parse("1.2.3+b")
    assert not Version.parse("1.2.3+a").same_text(Version.parse("1.2.3+b"))


@pytest.mark.parametrize("level,expected", [
    (Level.MAJOR, "2.0.0"), (Level.MINOR, "1.3.0"), (Level.PATCH, "1.2.4"), (Level.NONE, "1.2.3"),
])
def test_bump(level, expected):
    assert str(Version.parse("v1.2.3").bump(level)) == expected


def test_bump_of_prerelease_patch_releases_it():
    assert str(Version.parse("1.2.0-rc.1").bump(Level.PATCH)) == "1.2.0"


def test_difference_level_pre_one_zero():
    a, b = Version.parse("0.1.44"), Version.parse("0.2.0")
    assert difference_level(a, b) is Level.MAJOR
    assert difference_level(a, b, Level.MINOR) is Level.MINOR
    assert difference_level(Version.parse("0.1.4"), Version.parse("0.1.5")) is Level.PATCH


def test_highest_ignores_prereleases_unless_asked():
    versions = [Version.parse(t) for t in ("1.0.0", "1.1.0-rc.1", "0.9.9")]
    assert str(highest(versions)) == "1.0.0"
    assert str(highest(versions, include_prereleases=True)) == "1.1.0-rc.1"
    assert highest([]) is None


_ident = st.one_of(st.integers(0, 10**6).map(str),
                   st.from_regex(r"[0-9]*[A-Za-z-][0-9A-Za-z-]{0,5}", fullmatch=True))
_version = st.builds(
    lambda ma, mi, pa, pre, build: f"{ma}.{mi}.{pa}" + (f"-{'.'.join(pre)}" if pre else "")
    + (f"+{'.'.join(build)}" if build else ""),
    st.integers(0, 10**12), st.integers(0, 50), st.integers(0, 50),
    st.lists(_ident, max_size=3), st.lists(st.from_regex(r"[0-9A-Za-z-]{1,5}", fullmatch=True),
                                           max_size=2))


@settings(max_examples=300, deadline=None)
@given(_version, _version)
def test_ordering_agrees_with_the_semver_package(a, b):
    ours = (Version.parse(a) > Version.parse(b)) - (Version.parse(a) < Version.parse(b))
    assert ours == semver.Version.parse(a).compare(b)
    assert Version.parse(a).core == str(semver.Version.parse(a))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_never_crashes(text):
    try:
        Version.parse(text)
    except VersionError:
        pass
