"""Known providers (SPEC section 2) and the release directories that map to them (section 4)."""

from __future__ import annotations

PROVIDERS: dict[str, str] = {
    "capa": "AWS",
    "eks": "AWS EKS",
    "capz": "Azure",
    "capv": "vSphere",
    "capvcd": "VMware Cloud Director",
    "capmox": "Proxmox",
}
