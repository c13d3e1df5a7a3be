"""Known providers (README) and the release directories that map to them (docs/gate.md)."""

from __future__ import annotations

PROVIDERS: dict[str, str] = {
    "capa": "AWS",
    "eks": "AWS EKS",
    "capz": "Azure",
    "capv": "vSphere",
    "capvcd": "VMware Cloud Director",
    "capmox": "Proxmox",
}
