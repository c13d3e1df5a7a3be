"""Render docs/versioning-policy.md from the policy table in core/policy.py.

``python -m os_tooling.report.policy_doc > docs/versioning-policy.md``; a test keeps the file
identical to this output, and every table row has its own test in tests/test_policy.py.
"""

from __future__ import annotations

from os_tooling.core.policy import POLICY_TABLE

INTRO = """\
# Versioning policy

`os-tooling` is one semantic version for the whole set of binaries baked into the node images
(the release version of capi-image-builder). This page says which change of the tooling
manifest, and of the other files that go into the image, is which release level. It is
generated from `src/os_tooling/core/policy.py` (`python -m os_tooling.report.policy_doc`), and
the tests check it against the code.

For a base and a head manifest each tool contributes a level, and so do the changed files under
`policy.imageInputs`; the release level is the highest of all, and at least any level declared
by hand.

| change | tooling level |
|---|---|
"""

RULES = """
## How the levels are computed

- A tool's own level comes first: which part of its version differs (for `0.y.z` versions a
  change of `y` counts as `policy.preOneZero`, default `major`; a change of `z` is a patch).
- Then `policy.tools.<name>` maps that level to a tooling level, e.g.
  `node-exporter: {major: minor}` for a helper whose majors do not reach customers. The map
  applies to version changes only; added/removed tools and provider changes follow the table.
- Policy is read from both manifests: each change is judged under the base policy and under
  the head policy, and the higher answer wins, so a PR cannot lower its own release level by
  changing the policy in the same change. A relaxed policy applies from the next change on. A
  change of the policy block alone is level `none`.
- A binary whose version changes changes the image: it is always at least a patch. Policy
  levels (`preOneZero` and the targets of `policy.tools`) are `patch`, `minor` or `major`.
- Image inputs: an image is named by its Flatcar, Kubernetes and os-tooling versions, so
  os-tooling must change whenever anything that goes into the image changes, not only the
  manifest. `policy.imageInputs.paths` lists glob patterns of repository paths (relative to
  the repository root) that do, and `policy.imageInputs.level` the level such a change is at
  least (default `patch`):

  ```yaml
  policy:
    imageInputs:
      paths: ["ansible/**", "packer/*.json", "images/**", Makefile]
      level: patch
  ```

  `*` and `?` match within one directory (`packer/*.json` is not `packer/old/x.json`), `**` as
  a whole path segment matches any number of directories (`ansible/**`, `**/*.json`), `[abc]`
  one character of a set. A change is a file added, changed or removed (a move counts as both
  paths); for a PR (`plan --base-ref REF`) the files the PR changes (`git diff REF...HEAD`),
  for `release` the files changed since the current version's tag. They make one change row
  of kind `image-input` ("changes image inputs (ansible/roles/teleport/tasks/main.yml, +3
  more): at least a patch": a handful named, the rest counted); its `paths` list (JSON) names
  them all. The manifest itself is always
  judged by its content, never as an image input; files outside the patterns (docs, CI,
  tests) change nothing. Like the rest of the policy, the changed files are judged under the
  base's patterns and the head's, and the higher level wins: a PR cannot escape by editing or
  dropping the patterns in the same change. A declared level still raises the level. Without
  `imageInputs` only the manifest counts (and `validate` notes the folders that look like
  image inputs).
- A version going down is an error unless `--allow-downgrade` is given; then it counts as the
  level of the part that differs.
- Declared levels raise the level (never lower it): `--declared-level`, a PR label
  `release/major|minor|patch` (`--label-prefix` changes the prefix), or a commit trailer
  `Release-Level: minor` in the commits since the base. They are for people, for changes the
  manifest does not show; Renovate's labels from the preset (`binary/<update type>`) are not
  declared levels, so the policy decides a manifest change.
- capi-image-builder below 1.0.0: a major becomes a minor (like python-semantic-release's
  `major_on_zero: false`) unless `--major-on-zero`.
- The current version is `--current-version`, else the highest `vX.Y.Z` tag of the
  repository (prereleases ignored), else none: then `current_version` and `next_version`
  are `null`. With level `none` the next version equals the current one.

## Example

```
$ os-tooling plan --base-ref origin/main
plan: os-tooling 1.33.1 -> 1.34.0 (minor)
  minor  teleport  17.4.2 -> 17.5.0  minor version changed

$ os-tooling plan --base-ref origin/main        # a PR that changes Ansible roles only
plan: os-tooling 1.33.1 -> 1.33.2 (patch)
  patch  (image inputs)  changes image inputs (ansible/roles/teleport/tasks/main.yml, +3 more): at least a patch
```
"""


def render() -> str:
    rows = "".join(f"| {change} | {level} |\n" for change, level in POLICY_TABLE)
    return INTRO + rows + RULES


if __name__ == "__main__":
    print(render(), end="")
