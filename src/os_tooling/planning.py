"""Plan a release from two manifest texts: validation first, then the policy.

Shared by ``plan`` (PRs) and ``release`` (merges) so that both say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def plan_texts(base_text: str | None, base_label: str, head_text: str, head_label: str,
               options: PlanOptions) -> PlanOutcome:
    """``base_text`` None means the manifest did not exist at the base: every tool is added."""
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
    result = plan(base, head_report.manifest, options)
    return PlanOutcome(result, [], base_label, head_label, head_report.manifest, base)
