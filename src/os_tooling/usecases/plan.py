"""Plan a release from two manifest texts: validation first, then the policy.

Shared by ``plan`` (PRs) and ``release`` (merges) so that both say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from os_tooling.core.findings import Finding
from os_tooling.core.manifest import Manifest, parse_manifest
from os_tooling.core.policy import Plan, PlanOptions, plan


@dataclass
class PlanOutcome:
    plan: Plan | None
    findings: list[Finding] = field(default_factory=list)  # invalid manifests: no plan
    base_label: str = ""
    head_label: str = ""
    head: Manifest | None = None
    base: Manifest | None = None

    @property
    def ok(self) -> bool:
        return self.plan is not None and self.plan.ok and not self.findings


ChangedFiles = Callable[[], tuple[list[str], bool]]  # -> (paths, whether the list is complete)


def plan_texts(base_text: str | None, base_label: str, head_text: str, head_label: str,
               options: PlanOptions, changed_files: ChangedFiles | None = None) -> PlanOutcome:
    """``base_text`` None means the manifest did not exist at the base: every tool is added.

    ``changed_files`` lists the files changed from base to head; it is asked only when a
    manifest has ``policy.imageInputs`` (a git diff or an API call otherwise not needed).
    """
    findings: list[Finding] = []
    base = Manifest()
    if base_text is not None:
        base_report = parse_manifest(base_text, base_label)
        findings += base_report.errors
        base = base_report.manifest or base
    head_report = parse_manifest(head_text, head_label)
    findings += head_report.errors
    if findings:
        return PlanOutcome(None, findings, base_label, head_label)
    assert head_report.manifest is not None
    if changed_files is not None and any(m.policy.image_inputs is not None
                                         for m in (base, head_report.manifest)):
        paths, complete = changed_files()
        options = replace(options, changed_files=tuple(paths), changed_files_complete=complete)
    result = plan(base, head_report.manifest, options)
    return PlanOutcome(result, [], base_label, head_label, head_report.manifest, base)
