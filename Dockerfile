# The os-tooling GitHub Action (action.yml: runs.using docker, image Dockerfile).
#
# BASE_IMAGE is the pinned slim Python image (tag and multi-arch index digest); the image test
# (tools/image-test.sh) builds this same file on a locally made Debian base through this ARG.
# Inputs reach the entrypoint as INPUT_* environment variables; nothing runs through a shell.
ARG BASE_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

# --- build: install the package from this source tree into a venv ----------------------------
FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# pip and setuptools are build tools: they stay in this stage.
RUN python3 -m venv /opt/os-tooling \
 && /opt/os-tooling/bin/pip install --no-cache-dir ".[cloud,action]" \
 && /opt/os-tooling/bin/pip uninstall --yes pip setuptools

# --- runtime ----------------------------------------------------------------------------------
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
# git reads the checked-out repository (base manifests, tags, changed files). Its version
# follows the digest-pinned base's Debian suite: pinning a point release would break the
# build as soon as Debian's security archive replaces it.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install --yes --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
 && git config --system --add safe.directory '*'
COPY --from=build /opt/os-tooling /opt/os-tooling
ENV PATH=/opt/os-tooling/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
ENTRYPOINT ["/opt/os-tooling/bin/python", "-m", "os_tooling.action"]
