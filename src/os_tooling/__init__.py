"""os-tooling: the binaries baked into node images as one automated semver component."""

__version__ = "0.1.0"
