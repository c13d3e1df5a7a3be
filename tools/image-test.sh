#!/usr/bin/env bash
# Build the action's Dockerfile for real and run its entrypoint inside the image.
#
# There is no Docker engine and no registry here, so: Debian's buildah (vfs storage, chroot
# isolation) builds the Dockerfile on a Debian base made locally with debootstrap, passed in
# through the Dockerfile's BASE_IMAGE build ARG (whose default stays the pinned slim Python
# image). The base is made once and cached in $OS_TOOLING_IMAGE_CACHE.
#
# Then the image's own ENTRYPOINT runs, without network, the way a runner starts a Docker
# action: INPUT_* variables, a pull_request event file, $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY
# files, a checked-out git repository in /github/workspace owned by another user. The outputs
# are checked, and the size our runtime dependencies add to the base is reported.
#
# Usage: tools/image-test.sh          (root, or sudo for apt-get/debootstrap/buildah)
#   OS_TOOLING_IMAGE_CACHE  where the base and buildah's storage live (/var/cache/os-tooling-base)
#   OS_TOOLING_KEEP_IMAGE=1 keep localhost/os-tooling-action:test afterwards
#   DEBIAN_MIRROR           debootstrap's mirror (http://deb.debian.org/debian)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${OS_TOOLING_IMAGE_CACHE:-/var/cache/os-tooling-base}
SUITE=${OS_TOOLING_BASE_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_TAG=localhost/os-tooling-base:$SUITE
IMAGE_TAG=localhost/os-tooling-action:test
STORE=(--storage-driver vfs --root "$CACHE/storage" --runroot "$CACHE/runroot")
START=$SECONDS

say() { printf '[image-test %3ds] %s\n' "$((SECONDS - START))" "$*"; }
fail() { printf '[image-test] FAILED: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || fail "run as root (or install sudo): buildah and debootstrap need it"
    SUDO=(sudo)
fi
bah() { "${SUDO[@]}" buildah "${STORE[@]}" "$@"; }

# --- 1. tools ---------------------------------------------------------------------------------
if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
    say "installing buildah and debootstrap"
    "${SUDO[@]}" apt-get update -q
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        buildah debootstrap
fi
"${SUDO[@]}" mkdir -p "$CACHE"

# --- 2. the Debian base, made once ------------------------------------------------------------
ROOTFS_TAR=$CACHE/$SUITE-rootfs.tar
if [ ! -s "$ROOTFS_TAR" ]; then
    say "making a $SUITE base with debootstrap (once; cached in $CACHE)"
    tmp=$("${SUDO[@]}" mktemp -d "$CACHE/debootstrap.XXXXXX")
    "${SUDO[@]}" debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        "$SUITE" "$tmp/rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
        || { tail -20 "$CACHE/debootstrap.log" >&2; fail "debootstrap"; }
    # Like Debian's "slim" images (and so python:*-slim): no docs, man pages or locales.
    "${SUDO[@]}" tee "$tmp/rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
EOF
    "${SUDO[@]}" rm -rf "$tmp/rootfs/var/cache/apt/archives/"*.deb "$tmp/rootfs/var/lib/apt/lists/"*
    "${SUDO[@]}" tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
    "${SUDO[@]}" mv "$tmp/rootfs.tar" "$ROOTFS_TAR"
    "${SUDO[@]}" rm -rf "$tmp"
fi
if ! bah inspect --type image "$BASE_TAG" >/dev/null 2>&1; then
    say "importing the base as $BASE_TAG"
    ctr=$(bah from scratch)
    bah add "$ctr" "$ROOTFS_TAR" / >/dev/null
    bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
    bah commit --quiet "$ctr" "$BASE_TAG" >/dev/null
    bah rm "$ctr" >/dev/null
fi

# --- 3. build the project's Dockerfile on it --------------------------------------------------
# A machine whose egress goes through a TLS-inspecting proxy names its CA bundle in PIP_CERT
# (or SSL_CERT_FILE); the build's pip gets it through a read-only mount, the Dockerfile is untouched.
build_extra=()
host_ca=${PIP_CERT:-${SSL_CERT_FILE:-}}
if [ -n "$host_ca" ] && [ -s "$host_ca" ]; then
    printf '[global]\ncert = /etc/ssl/certs/host-ca-bundle.crt\n' | "${SUDO[@]}" tee "$CACHE/pip.conf" >/dev/null
    build_extra+=(--volume "$host_ca:/etc/ssl/certs/host-ca-bundle.crt:ro"
                  --volume "$CACHE/pip.conf:/etc/pip.conf:ro")
fi
bah rmi --prune >/dev/null 2>&1 || true  # images left by an earlier run (vfs: full copies)
say "building Dockerfile with BASE_IMAGE=$BASE_TAG"
build_start=$SECONDS
bah bud --quiet --isolation chroot --pull-never --layers=false "${build_extra[@]}" \
    --build-arg "BASE_IMAGE=$BASE_TAG" -f "$ROOT/Dockerfile" -t "$IMAGE_TAG" "$ROOT" \
    >"$CACHE/build.log" 2>&1 || { tail -30 "$CACHE/build.log" >&2; fail "buildah bud"; }
say "built $IMAGE_TAG in $((SECONDS - build_start))s"

# --- 4. a runner's view: workspace, event, file commands ----------------------------------------
work=$(mktemp -d)
containers=()
cleanup() {
    for c in "${containers[@]}"; do bah rm "$c" >/dev/null 2>&1 || true; done
    [ -n "${OS_TOOLING_KEEP_IMAGE:-}" ] || bah rmi "$IMAGE_TAG" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

repo=$work/workspace
git init -q -b main "$repo"
g() { git -C "$repo" -c user.name=t -c user.email=t@example.invalid -c commit.gpgsign=false \
      -c tag.gpgsign=false "$@"; }
cp "$ROOT/examples/manifests/os-tooling.yaml" "$repo/os-tooling.yaml"
g add os-tooling.yaml && g commit -q -m "base" && g tag -a v1.4.0 -m v1.4.0
base_sha=$(g rev-parse HEAD)
sed -i 's/version: 17\.4\.2/version: 17.5.0/' "$repo/os-tooling.yaml"
grep -q 'version: 17.5.0' "$repo/os-tooling.yaml" || fail "sample manifest has no teleport 17.4.2"
g commit -q -am "Update teleport to 17.5.0"
head_sha=$(g rev-parse HEAD)
cat >"$work/event.json" <<EOF
{"action": "synchronize", "number": 7,
 "pull_request": {"number": 7, "title": "Update teleport to 17.5.0 \`\$(id)\` ::error::x",
   "labels": [], "head": {"sha": "$head_sha", "ref": "renovate/teleport",
   "repo": {"full_name": "example/capi-image-builder"}},
   "base": {"sha": "$base_sha", "ref": "main", "repo": {"full_name": "example/capi-image-builder"}}},
 "repository": {"full_name": "example/capi-image-builder"}}
EOF

ctr=$(bah from --pull-never "$IMAGE_TAG")
containers+=("$ctr")
bah copy "$ctr" "$repo" /github/workspace >/dev/null
bah copy "$ctr" "$work/event.json" /github/workflow/event.json >/dev/null
# The runner's checkout belongs to another user than the container's root.
bah run --isolation chroot "$ctr" -- sh -c \
    'mkdir -p /github/file_commands /github/home && : >/github/file_commands/output &&
     : >/github/file_commands/summary && chown -R 1001:1001 /github/workspace'

mapfile -t entrypoint < <(bah inspect --type image "$IMAGE_TAG" | python3 -c \
    'import json, sys; print(*json.load(sys.stdin)["OCIv1"]["config"].get("Entrypoint") or [], sep="\n")')
[ "${#entrypoint[@]}" -gt 0 ] || fail "the image has no ENTRYPOINT"

run_action() {  # run_action COMMAND [extra --env ...]; no network: a namespace without one
    local command=$1; shift
    "${SUDO[@]}" unshare --net buildah "${STORE[@]}" run --isolation chroot \
        --workingdir /github/workspace \
        --env GITHUB_ACTIONS=true --env CI=true --env HOME=/github/home \
        --env GITHUB_WORKSPACE=/github/workspace --env GITHUB_EVENT_NAME=pull_request \
        --env GITHUB_EVENT_PATH=/github/workflow/event.json \
        --env GITHUB_OUTPUT=/github/file_commands/output \
        --env GITHUB_STEP_SUMMARY=/github/file_commands/summary \
        --env GITHUB_REPOSITORY=example/capi-image-builder --env "GITHUB_SHA=$head_sha" \
        --env "INPUT_COMMAND=$command" --env INPUT_TOKEN=ghs_imagetestnotarealtoken \
        --env INPUT_COMMENT=false "$@" "$ctr" -- "${entrypoint[@]}"
}

say "running the entrypoint: validate"
run_action validate >"$work/validate.log" 2>&1 || { cat "$work/validate.log"; fail "validate"; }
say "running the entrypoint: plan on the pull_request event"
run_action plan >"$work/plan.log" 2>&1 || { cat "$work/plan.log"; fail "plan"; }
sed 's/^/    | /' "$work/plan.log"
bah run --isolation chroot "$ctr" -- cat /github/file_commands/output >"$work/output"
bah run --isolation chroot "$ctr" -- cat /github/file_commands/summary >"$work/summary"

python3 - "$work/output" "$work/summary" "$work/plan.log" <<'EOF'
import sys

def records(text):
    out, lines, i = {}, text.split("\n"), 0
    while i < len(lines):
        line = lines[i]; i += 1
        if "<<" in line:
            name, delim = line.split("<<", 1)
            start = i
            while lines[i] != delim:
                i += 1
            out.setdefault(name, []).append("\n".join(lines[start:i])); i += 1
        elif line:
            sys.exit(f"unexpected line in GITHUB_OUTPUT: {line!r}")
    return out

out = records(open(sys.argv[1], encoding="utf-8").read())
want = {"ok": "true", "level": "minor", "current-version": "1.4.0", "next-version": "1.5.0"}
for name, value in want.items():
    if out.get(name, [None])[-1] != value:
        sys.exit(f"output {name}: expected {value!r}, got {out.get(name)!r}")
if len(out["ok"]) != 2:  # validate, then plan
    sys.exit(f"expected two runs in GITHUB_OUTPUT, got {len(out['ok'])}")
summary = open(sys.argv[2], encoding="utf-8").read()
if "1.5.0" not in summary or "teleport" not in summary:
    sys.exit("the step summary lacks the plan")
log = open(sys.argv[3], encoding="utf-8").read()
if "ghs_imagetestnotarealtoken" in log.replace("::add-mask ::ghs_imagetestnotarealtoken", ""):
    sys.exit("the token appears in the log outside ::add-mask::")
print("    outputs ok: level=minor current-version=1.4.0 next-version=1.5.0")
EOF

say "checking what the trimmed image still needs: AWS models, PyGithub, git"
bah run --isolation chroot "$ctr" -- /opt/os-tooling/bin/python -c '
import boto3, github
import os_tooling.backends.aws_ami, os_tooling.backends.s3, os_tooling.releasing.github
for service, region in (("ec2", "eu-west-1"), ("ec2", "cn-north-1"), ("s3", "eu-central-1"), ("sts", "us-east-1")):
    boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x")
print("    AWS models (ec2, s3, sts) and PyGithub load")
' || fail "a trimmed dependency is missing"
bah run --isolation chroot "$ctr" -- sh -c 'git --version && git -C /github/workspace log --oneline -1 >/dev/null' \
    | sed 's/^/    /' || fail "git does not work in the image"

# --- 5. what our runtime dependencies add ------------------------------------------------------
base_ctr=$(bah from --pull-never "$BASE_TAG")
containers+=("$base_ctr")
kib() { bah run --isolation chroot "$1" -- du -skx "${@:2}" | awk '{s += $1} END {print s}'; }
base_kib=$(kib "$base_ctr" /)
image_kib=$(kib "$ctr" /)
venv_kib=$(kib "$ctr" /opt/os-tooling)
added_mib=$(( (image_kib - base_kib) / 1024 ))
say "size: base $((base_kib / 1024)) MiB, image $((image_kib / 1024)) MiB; our runtime dependencies add ${added_mib} MiB (python venv $((venv_kib / 1024)) MiB, git and the rest $(( (image_kib - base_kib - venv_kib) / 1024 )) MiB; goal <= 80 MiB)"
bah run --isolation chroot "$ctr" -- sh -c \
    'cd /opt/os-tooling/lib/python3*/site-packages && du -sk -- * | sort -rn | head -8' \
    | awk '{printf "    %6.1f MiB  %s\n", $1 / 1024, $2}'
say "image test passed in $((SECONDS - START))s"
