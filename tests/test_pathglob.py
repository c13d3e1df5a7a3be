"""The repository path matcher behind ``policy.imageInputs.paths``: a table of patterns and
paths, and the patterns validation refuses."""

import fnmatch

import pytest

from os_tooling.core.pathglob import matches, matching, pattern_problem

# (pattern, path, matches?)
TABLE = [
    # a literal file, only at the root
    ("Makefile", "Makefile", True),
    ("Makefile", "images/Makefile", False),
    ("Makefile", "Makefile.bak", False),
    ("Makefile", "makefile", False),  # case-sensitive
    # '*' stays within one directory
    ("packer/*.json", "packer/flatcar.json", True),
    ("packer/*.json", "packer/.hidden.json", True),  # a leading dot is not special
    ("packer/*.json", "packer/old/flatcar.json", False),
    ("packer/*.json", "packer/flatcar.json.bak", False),
    ("packer/*.json", "other/packer/flatcar.json", False),
    ("*", "Makefile", True),
    ("*", "ansible/site.yml", False),
    ("ansible/*", "ansible/site.yml", True),
    ("ansible/*", "ansible/roles/x.yml", False),
    ("*.sh", "build.sh", True),
    ("*.sh", "scripts/build.sh", False),
    # '**' crosses directories
    ("ansible/**", "ansible/site.yml", True),
    ("ansible/**", "ansible/roles/teleport/tasks/main.yml", True),
    ("ansible/**", "ansible", False),  # the folder's files, not a file named like the folder
    ("ansible/**", "ansible-lint.yml", False),
    ("ansible/**", "tests/ansible/x.yml", False),
    ("**/*.json", "flatcar.json", True),  # zero directories
    ("**/*.json", "packer/old/flatcar.json", True),
    ("**/*.json", "packer/flatcar.yaml", False),
    ("images/**/packer/*.json", "images/packer/a.json", True),
    ("images/**/packer/*.json", "images/capi/packer/a.json", True),
    ("images/**/packer/*.json", "images/capi/x/packer/a.json", True),
    ("images/**/packer/*.json", "images/capi/packer/sub/a.json", False),
    ("**", "anything/at/all", True),
    ("**/Makefile", "Makefile", True),
    ("**/Makefile", "images/capi/Makefile", True),
    # '?' and sets: one character, never '/'
    ("scripts/build-?.sh", "scripts/build-1.sh", True),
    ("scripts/build-?.sh", "scripts/build-10.sh", False),
    ("a?b", "a/b", False),
    ("packer/flatcar-[0-9].json", "packer/flatcar-7.json", True),
    ("packer/flatcar-[0-9].json", "packer/flatcar-x.json", False),
    ("packer/flatcar-[!0-9].json", "packer/flatcar-x.json", True),
    ("packer/flatcar-[!0-9].json", "packer/flatcar-7.json", False),
    ("a[!x]b", "a/b", False),
    ("a[/]b", "a/b", False),
    ("x[]]y", "x]y", True),  # ']' first in a set is a member
    ("x[ab", "x[ab", True),  # an unclosed '[' is literal
    # regex characters are literal
    ("images/a+b(1).json", "images/a+b(1).json", True),
    ("images/a+b(1).json", "images/aab1.json", False),
    ("v1.2/x", "v112/x", False),
    ("$HOME/x", "$HOME/x", True),
    ("a^b", "a^b", True),
    ("a[\\]b", "a\\b", True),
]


@pytest.mark.parametrize("pattern,path,expected", TABLE)
def test_match_table(pattern, path, expected):
    assert matches(pattern, path) is expected


def test_fnmatch_would_get_the_directory_rule_wrong():
    # why the project has its own matcher: fnmatch's '*' crosses '/'
    assert fnmatch.fnmatchcase("packer/old/flatcar.json", "packer/*.json")
    assert not matches("packer/*.json", "packer/old/flatcar.json")


@pytest.mark.parametrize("pattern,path,expected", [
    ("**/" * 80 + "x", "a/" * 2000 + "y", False),  # a regex would backtrack for ages on these
    ("*a" * 128, "a" * 4000, True),
    ("*a" * 127 + "b", "a" * 4000, False),
    ("a/**/" * 50 + "b", "a/" * 2000 + "c", False),
    ("a/**/" * 50 + "b", "a/" * 60 + "b", True),
])
def test_hostile_patterns_are_matched_in_linear_time(pattern, path, expected):
    # counted, not timed: every look at a character of the path goes through __getitem__, and
    # the matcher may look at each at most a few times per token of the pattern (a backtracking
    # matcher looks at them exponentially often on these)
    class CountingPath(str):
        looks = 0

        def __getitem__(self, index):
            CountingPath.looks += 1
            return str.__getitem__(self, index)

    counted = CountingPath(path)
    assert matches(pattern, counted) is expected
    assert 0 < CountingPath.looks <= 2 * (len(pattern) + 1) * (len(path) + 1)


def test_matching_keeps_the_order_and_any_pattern_counts():
    paths = ["docs/a.md", "packer/b.json", "ansible/site.yml", "Makefile", "packer/x/c.json"]
    assert matching(["ansible/**", "packer/*.json"], paths) == ["packer/b.json", "ansible/site.yml"]
    assert matching([], paths) == []


@pytest.mark.parametrize("pattern", ["ansible/**", "packer/*.json", "Makefile", "**/*.json",
                                     "images/**/packer/*.json", ".github/workflows/*.yaml"])
def test_good_patterns(pattern):
    assert pattern_problem(pattern) is None


@pytest.mark.parametrize("pattern,words", [
    ("", "empty"),
    ("/ansible/**", "leading '/'"),
    ("ansible/", "'ansible/**'"),
    ("ansible\\roles", "'/'"),
    ("a//b", "empty"),
    ("./ansible/**", "'.'"),
    ("ansible/../x", "'..'"),
    ("packer/**.json", "whole path segment"),
    ("**x/y", "whole path segment"),
    ("x" * 257, "at most 256"),
])
def test_bad_patterns_say_why(pattern, words):
    problem = pattern_problem(pattern)
    assert problem is not None and words in problem
