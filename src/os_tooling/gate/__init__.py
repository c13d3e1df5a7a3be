"""The release gate: Release CRs -> image names -> image stores, tooling versions and policy."""
