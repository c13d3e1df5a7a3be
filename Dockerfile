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
# pip and setuptools are build tools: they stay in this stage. Trimmed as well (the image test
# runs validate, plan and an AWS gate inside the image to prove nothing needed went):
# - botocore ships ~400 service models; the stores load ec2 and s3, credentials may need sts,
#   sso and sso-oidc;
# - cryptography comes with PyJWT for GitHub App tokens, which the action never signs (PyJWT
#   imports it only when present).
RUN python3 -m venv /opt/os-tooling \
 && /opt/os-tooling/bin/pip install --no-cache-dir ".[cloud,action]" \
 && /opt/os-tooling/bin/pip uninstall --yes pip setuptools cryptography \
 && find /opt/os-tooling/lib/python3*/site-packages/botocore/data -mindepth 1 -maxdepth 1 -type d \
      ! -name ec2 ! -name s3 ! -name sts ! -name sso ! -name sso-oidc -exec rm -rf {} +

# --- runtime ----------------------------------------------------------------------------------
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
# git reads the checked-out repository (base manifests, tags, changed files). Its version
# follows the digest-pinned base's Debian suite: pinning a point release would break the
# build as soon as Debian's security archive replaces it.
# Debian's git depends on Perl for scripts we never run (svn, send-email, ...); the C commands we
# use (rev-parse, cat-file, log, tag, diff) do not need it, so Perl goes after the install.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install --yes --no-install-recommends git \
 && dpkg --purge --force-depends perl perl-modules-5.36 libperl5.36 liberror-perl git-man \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
 && git config --system --add safe.directory '*'
COPY --from=build /opt/os-tooling /opt/os-tooling
ENV PATH=/opt/os-tooling/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
ENTRYPOINT ["/opt/os-tooling/bin/python", "-m", "os_tooling.action"]
