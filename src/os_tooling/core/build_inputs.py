"""What an image build of one provider takes from the tooling manifest (pure, no I/O).

The manifest is the single source of truth for the binaries baked into a node image: the
build gets their versions from it, in the forms a build consumes them:

- Packer var-file (flat JSON object): ``<name>_version`` per tool (``-`` -> ``_``),
  ``os_tooling_version``, and ``ansible_user_vars`` = the same ``<name>_version=<value>`` pairs
  joined by spaces, the way kubernetes-sigs/image-builder hands extra variables to Ansible;
- environment lines ``OS_TOOLING_VERSION`` and ``OS_TOOLING_<NAME>_VERSION``.

Values are the version as the manifest writes it (a leading ``v`` stays: upstream download
URLs need the tag's own spelling). Names become variable names, so a name that would not make
a safe one (possible in an ``os-tooling.json`` release asset, never in a valid manifest) is
refused, never mangled. Tool names have no ``_``, so ``-`` -> ``_`` cannot make two tools
share a variable; only a tool named ``os-tooling`` could, and it is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from os_tooling.core.manifest import Manifest

OS_TOOLING_VAR = "os_tooling_version"
ANSIBLE_USER_VARS = "ansible_user_vars"
ENV_PREFIX = "OS_TOOLING_"
_TOOL_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")  # the manifest schema's rule
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VALUE = re.compile(r"[0-9A-Za-z.+-]{1,200}")  # a semantic version's characters, nothing else


class BuildInputsError(ValueError):
    """The manifest's tools cannot be turned into build variables (one line)."""


def var_name(tool: str) -> str:
    """``node-exporter`` -> ``node_exporter_version``; refuses what is not a tool name."""
    if not isinstance(tool, str) or not _TOOL_NAME.fullmatch(tool):
        raise BuildInputsError(f"tool name {tool!r} cannot be a build variable name (lowercase "
                               "letters, digits and '-' only)")
    return f"{tool.replace('-', '_')}_version"


def env_name(var: str) -> str:
    name = ENV_PREFIX + var.upper()
    if not _ENV_NAME.fullmatch(name):  # var_name already guarantees it; kept as the last guard
        raise BuildInputsError(f"{name!r} is not a valid environment variable name")
    return name


@dataclass(frozen=True)
class BuildVars:
    provider: str
    os_tooling_version: str | None  # None: the working-tree manifest, not a release
    tools: tuple[tuple[str, str], ...]  # (name, version text), manifest order

    def packer(self) -> dict[str, str]:
        """The Packer var-file: string values only (Packer's JSON var-files take no null)."""
        pairs = {var_name(name): version for name, version in self.tools}
        out = dict(pairs)
        if self.os_tooling_version is not None:
            out[OS_TOOLING_VAR] = self.os_tooling_version
        out[ANSIBLE_USER_VARS] = " ".join(f"{k}={v}" for k, v in pairs.items())
        return out

    def env(self) -> list[tuple[str, str]]:
        """``(NAME, value)`` pairs: ``OS_TOOLING_VERSION`` (when known), then one per tool."""
        out = []
        if self.os_tooling_version is not None:
            out.append(("OS_TOOLING_VERSION", self.os_tooling_version))
        out += [(env_name(var_name(name)), version) for name, version in self.tools]
        return out

    def to_json(self) -> dict:
        return {"os_tooling_version": self.os_tooling_version, "provider": self.provider,
                "tools": dict(self.tools), "vars": self.packer()}


def build_vars(manifest: Manifest, provider: str, os_tooling_version: str | None) -> BuildVars:
    """The build inputs of ``provider``: only the tools whose providers include it."""
    tools: list[tuple[str, str]] = []
    if os_tooling_version is not None and not _VALUE.fullmatch(os_tooling_version):
        raise BuildInputsError(f"os-tooling version {os_tooling_version!r} is not a plain version")
    for tool in manifest.tools:
        if provider not in tool.providers:
            continue
        var = var_name(tool.name)
        if var == OS_TOOLING_VAR:
            raise BuildInputsError(f"tool {tool.name!r} would overwrite the build variable "
                                   f"{OS_TOOLING_VAR}: rename the tool")
        version = str(tool.version)
        if not _VALUE.fullmatch(version):  # a parsed Version always passes; the last guard
            raise BuildInputsError(f"version {version!r} of tool {tool.name!r} is not a plain "
                                   "version")
        tools.append((tool.name, version))
    return BuildVars(provider, os_tooling_version, tuple(tools))
