"""Use cases: plan, release, gate, discover, release PRs, build; each orchestrates the pure core
with adapters and image stores and returns a plain result (see docs/architecture.md)."""
