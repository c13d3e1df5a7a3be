#!/usr/bin/env bash
# Build the action's Dockerfile for real, publish it to a registry, pull it back by digest and
# run its entrypoint from the pulled image, the way a release and a job do.
#
# There is no Docker engine here and no registry on the network, so: Debian's buildah (overlay
# storage as a runner's Docker has, or vfs where the kernel refuses overlay mounts; chroot
# isolation) and Debian's docker-registry on loopback. The Debian base is made
# locally with debootstrap (cached in $OS_TOOLING_IMAGE_CACHE), pushed to the loopback registry,
# and the Dockerfile is built in an empty store that pulls that base through the BASE_IMAGE
# build ARG (whose default stays the pinned slim Python image): what a runner does for
# `runs.image: Dockerfile`.
#
# The image's own ENTRYPOINT then runs, without network, the way a runner starts a Docker
# action: INPUT_* variables, a pull_request event file, $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY
# files, a checked-out git repository in /github/workspace owned by another user. The outputs
# are checked, and the size our runtime dependencies add to the base is reported.
#
# Then the release mechanics (.github/workflows/release.yaml): the image is pushed, a copy of
# action.yml is pinned to the pushed digest with tools/pin-action-image.py, the reference that
# copy names is pulled into another empty store (what a runner does for `docker://...@sha256`),
# its digest checked against the push, and the entrypoint runs from the pulled image with the
# same outputs. Each phase is timed (bench/action.py reads the timings).
#
# Usage: tools/image-test.sh          (root, or sudo for apt-get/debootstrap/buildah)
#   OS_TOOLING_IMAGE_CACHE   where the base and its buildah storage live (/var/cache/os-tooling-base)
#   OS_TOOLING_IMAGE_TIMINGS write each phase's seconds here, one JSON object per line
#   DEBIAN_MIRROR            debootstrap's mirror (http://deb.debian.org/debian)
#   OS_TOOLING_STORAGE_DRIVER overlay or vfs (default: overlay when this kernel mounts it)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${OS_TOOLING_IMAGE_CACHE:-/var/cache/os-tooling-base}
SUITE=${OS_TOOLING_BASE_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_TAG=localhost/os-tooling-base:$SUITE-slim
IMAGE_TAG=localhost/os-tooling-action:test
START=$SECONDS
TIMINGS=${OS_TOOLING_IMAGE_TIMINGS:-}

say() { printf '[image-test %3ds] %s\n' "$((SECONDS - START))" "$*"; }
fail() { printf '[image-test] FAILED: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || fail "run as root (or install sudo): buildah and debootstrap need it"
    SUDO=(sudo)
fi
# overlay2 is what a runner's Docker uses: a pulled layer is unpacked once, a container is a
# mount. vfs copies every layer's whole tree, which makes both paths pay for the base again.
DRIVER=${OS_TOOLING_STORAGE_DRIVER:-}
if [ -z "$DRIVER" ]; then
    probe=$(mktemp -d)
    mkdir -p "$probe/lower" "$probe/upper" "$probe/work" "$probe/mnt"
    if "${SUDO[@]}" mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" \
            "$probe/mnt" 2>/dev/null; then
        "${SUDO[@]}" umount "$probe/mnt"
        DRIVER=overlay
    else
        DRIVER=vfs
    fi
    "${SUDO[@]}" rm -rf "$probe"
fi
case $DRIVER in overlay|vfs) ;; *) fail "OS_TOOLING_STORAGE_DRIVER must be overlay or vfs, not $DRIVER" ;; esac
STORE=(--storage-driver "$DRIVER" --root "$CACHE/storage-$DRIVER" --runroot "$CACHE/runroot-$DRIVER")  # the base
bah() { "${SUDO[@]}" buildah "${STORE[@]}" "$@"; }
# a store of its own: an empty machine that builds (or pulls) the action's image
store_of() { echo --storage-driver "$DRIVER" --root "$1/root" --runroot "$1/runroot"; }
# overlay stores keep mounts (their home, containers): undone before the folder goes
unmount_under() {
    local dir=$1 mnt
    awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r | while read -r mnt; do
        "${SUDO[@]}" umount -l "$mnt" 2>/dev/null || true
    done
}
in_store() { local dir=$1; shift; "${SUDO[@]}" buildah $(store_of "$dir") "$@"; }
now() { date +%s.%N; }
timing() {  # timing KEY START WHAT: seconds since START, logged and recorded under KEY
    local seconds
    seconds=$(awk -v a="$2" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}')
    say "$3: ${seconds}s"
    [ -z "$TIMINGS" ] || printf '{"phase": "%s", "seconds": %s}\n' "$1" "$seconds" >>"$TIMINGS"
}

# --- 1. tools ---------------------------------------------------------------------------------
if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null \
        || ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null; then
    say "installing buildah, debootstrap, docker-registry and skopeo"
    "${SUDO[@]}" apt-get update -q
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        buildah debootstrap docker-registry skopeo
fi
[ -z "$TIMINGS" ] || printf '{"storage_driver": "%s"}\n' "$DRIVER" >"$TIMINGS"
say "buildah storage driver: $DRIVER"
"${SUDO[@]}" mkdir -p "$CACHE"

# --- 2. the Debian base, made once ------------------------------------------------------------
ROOTFS_TAR=$CACHE/$SUITE-slim-rootfs.tar  # "slim": see below; an older cache is not reused
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
    # What debootstrap installed before that exclusion goes too, as in Debian's slim images.
    # Without this the stand-in is 168 MiB in 9,300 files, the real base about 125 MiB: both
    # paths of bench/action.py would pay for files the real one lacks. (The stdlib's bytecode
    # stays: it errs on the side of a larger base, which only makes pulling look slower.)
    "${SUDO[@]}" find "$tmp/rootfs/usr/share/doc" -type f ! -name copyright -delete
    "${SUDO[@]}" rm -rf "$tmp/rootfs/usr/share/locale/"* "$tmp/rootfs/usr/share/man/"* \
        "$tmp/rootfs/usr/share/info/"* "$tmp/rootfs/usr/share/groff" "$tmp/rootfs/usr/share/lintian"
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

# --- 3. a loopback registry, and the base on it ------------------------------------------------
work=$(mktemp -d)
registry_pid=
cleanup() {
    [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
    unmount_under "$work"
    "${SUDO[@]}" rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REGISTRY=127.0.0.1:$port
mkdir -p "$work/registry"
cat >"$work/registry/config.yml" <<CONFIG
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry/data
http:
  addr: $REGISTRY
CONFIG
docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
    [ "$(curl -fsS "http://$REGISTRY/v2/" 2>/dev/null || true)" = "{}" ] && break
    kill -0 "$registry_pid" 2>/dev/null || { cat "$work/registry/log" >&2; fail "docker-registry exited"; }
    sleep 0.1
done
[ "$(curl -fsS "http://$REGISTRY/v2/")" = "{}" ] || fail "docker-registry does not answer on $REGISTRY"
say "docker-registry on $REGISTRY"
bah push --quiet --tls-verify=false --digestfile "$work/base.digest" "$BASE_TAG" \
    "docker://$REGISTRY/os-tooling-base:$SUITE" >/dev/null
BASE_REF=$REGISTRY/os-tooling-base@$(cat "$work/base.digest")

# --- 4. build the project's Dockerfile, as a runner does for `image: Dockerfile` ------------------
# An empty store: the base comes from the registry, like python:*-slim from Docker Hub.
# A machine whose egress goes through a TLS-inspecting proxy names its CA bundle in PIP_CERT
# (or SSL_CERT_FILE); the build's pip gets it through a read-only mount, the Dockerfile is untouched.
build_extra=()
host_ca=${PIP_CERT:-${SSL_CERT_FILE:-}}
if [ -n "$host_ca" ] && [ -s "$host_ca" ]; then
    printf '[global]\ncert = /etc/ssl/certs/host-ca-bundle.crt\n' | "${SUDO[@]}" tee "$CACHE/pip.conf" >/dev/null
    build_extra+=(--volume "$host_ca:/etc/ssl/certs/host-ca-bundle.crt:ro"
                  --volume "$CACHE/pip.conf:/etc/pip.conf:ro")
fi
BUILT=$work/built  # the store of the machine that builds
say "building Dockerfile with BASE_IMAGE=$BASE_REF"
t=$(now)
in_store "$BUILT" bud --quiet --isolation chroot --tls-verify=false --layers=false \
    "${build_extra[@]}" --build-arg "BASE_IMAGE=$BASE_REF" -f "$ROOT/Dockerfile" \
    -t "$IMAGE_TAG" "$ROOT" >"$CACHE/build.log" 2>&1 \
    || { tail -30 "$CACHE/build.log" >&2; fail "buildah bud"; }
timing build "$t" "build (base pulled from the registry, Dockerfile built)"

# --- 5. a runner's view: workspace, event, file commands ----------------------------------------
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
cat >"$work/event.json" <<EVENT
{"action": "synchronize", "number": 7,
 "pull_request": {"number": 7, "title": "Update teleport to 17.5.0 \`\$(id)\` ::error::x",
   "labels": [], "head": {"sha": "$head_sha", "ref": "renovate/teleport",
   "repo": {"full_name": "example/capi-image-builder"}},
   "base": {"sha": "$base_sha", "ref": "main", "repo": {"full_name": "example/capi-image-builder"}}},
 "repository": {"full_name": "example/capi-image-builder"}}
EVENT

# start_job STORE IMAGE: a container of IMAGE with the workspace and the event, as a runner
# prepares a job; sets $ctr and $entrypoint (the image's own ENTRYPOINT)
start_job() {
    local store=$1 image=$2
    ctr=$(in_store "$store" from --pull-never "$image")
    in_store "$store" copy "$ctr" "$repo" /github/workspace >/dev/null
    in_store "$store" copy "$ctr" "$work/event.json" /github/workflow/event.json >/dev/null
    # The runner's checkout belongs to another user than the container's root.
    in_store "$store" run --isolation chroot "$ctr" -- sh -c \
        'mkdir -p /github/file_commands /github/home && : >/github/file_commands/output &&
         : >/github/file_commands/summary && chown -R 1001:1001 /github/workspace'
    mapfile -t entrypoint < <(in_store "$store" inspect --type image "$image" | python3 -c \
        'import json, sys; print(*json.load(sys.stdin)["OCIv1"]["config"].get("Entrypoint") or [], sep="\n")')
    [ "${#entrypoint[@]}" -gt 0 ] || fail "the image has no ENTRYPOINT"
}

run_action() {  # run_action STORE COMMAND [extra --env ...]; no network: a namespace without one
    local store=$1 command=$2; shift 2
    # shellcheck disable=SC2046  # store_of prints separate options
    "${SUDO[@]}" unshare --net buildah $(store_of "$store") run --isolation chroot \
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

check_outputs() {  # check_outputs STORE LABEL RUNS: the plan's outputs, summary and log
    local store=$1 label=$2 runs=$3
    in_store "$store" run --isolation chroot "$ctr" -- cat /github/file_commands/output >"$work/output"
    in_store "$store" run --isolation chroot "$ctr" -- cat /github/file_commands/summary >"$work/summary"
    python3 - "$work/output" "$work/summary" "$work/plan.log" "$runs" <<'PYTHON'
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
if len(out["ok"]) != int(sys.argv[4]):  # one record per run of the action
    sys.exit(f"expected {sys.argv[4]} run(s) in GITHUB_OUTPUT, got {len(out['ok'])}")
summary = open(sys.argv[2], encoding="utf-8").read()
if "1.5.0" not in summary or "teleport" not in summary:
    sys.exit("the step summary lacks the plan")
log = open(sys.argv[3], encoding="utf-8").read()
if "ghs_imagetestnotarealtoken" in log.replace("::add-mask ::ghs_imagetestnotarealtoken", ""):
    sys.exit("the token appears in the log outside ::add-mask::")
PYTHON
    echo "    $label: outputs ok: level=minor current-version=1.4.0 next-version=1.5.0"
}

t=$(now)
start_job "$BUILT" "$IMAGE_TAG"
say "running the entrypoint: plan on the pull_request event"
t_run=$(now)
run_action "$BUILT" plan >"$work/plan.log" 2>&1 || { cat "$work/plan.log"; fail "plan"; }
timing built-entrypoint "$t_run" "the entrypoint's plan"
timing built-job "$t" "job on the built image (container, plan until its verdict)"
sed 's/^/    | /' "$work/plan.log"
check_outputs "$BUILT" "built image" 1
say "running the entrypoint: validate"
run_action "$BUILT" validate >"$work/validate.log" 2>&1 || { cat "$work/validate.log"; fail "validate"; }

say "checking what the trimmed image still needs: AWS models, PyGithub, git"
in_store "$BUILT" run --isolation chroot "$ctr" -- /opt/os-tooling/bin/python -c '
import boto3, github
import os_tooling.backends.aws_ami, os_tooling.backends.s3, os_tooling.adapters.github_releases
for service, region in (("ec2", "eu-west-1"), ("ec2", "cn-north-1"), ("s3", "eu-central-1"), ("sts", "us-east-1")):
    boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x")
print("    AWS models (ec2, s3, sts) and PyGithub load")
' || fail "a trimmed dependency is missing"
in_store "$BUILT" run --isolation chroot "$ctr" -- sh -c 'git --version && git -C /github/workspace log --oneline -1 >/dev/null' \
    | sed 's/^/    /' || fail "git does not work in the image"
# bump commits (signed off, a UTF-8 message) and pushes over HTTPS: with apt, Perl, gconv and
# the time zones gone, a commit must still be made and read back, and git's HTTPS helper be there
in_store "$BUILT" run --isolation chroot "$ctr" -- sh -c '
    set -e; cd "$(mktemp -d)"; git init -q .; echo x > f; git add f
    git -c user.name=Bump -c user.email=bump@example.invalid commit -q -s -m "Bump teleport ✓ to 17.5.0"
    test "$(git log -1 --format=%s)" = "Bump teleport ✓ to 17.5.0"
    test -x "$(git --exec-path)/git-remote-https"
    /opt/os-tooling/bin/python -c "import email.utils, http.client, json, ssl, xml.etree.ElementTree"
    echo "    git commits and reads back a UTF-8 message; git-remote-https is there"' \
    || fail "git cannot commit in the image (bump needs it)"

# --- 6. what our runtime dependencies add ------------------------------------------------------
base_ctr=$(in_store "$BUILT" from --pull-never "$BASE_REF")
kib() { in_store "$BUILT" run --isolation chroot "$1" -- du -skx "${@:2}" | awk '{s += $1} END {print s}'; }
base_kib=$(kib "$base_ctr" /)
image_kib=$(kib "$ctr" /)
venv_kib=$(kib "$ctr" /opt/os-tooling)
added_mib=$(( (image_kib - base_kib) / 1024 ))
say "size: base $((base_kib / 1024)) MiB, image $((image_kib / 1024)) MiB; our runtime dependencies add ${added_mib} MiB (python venv $((venv_kib / 1024)) MiB, git and the rest $(( (image_kib - base_kib - venv_kib) / 1024 )) MiB; goal <= 80 MiB)"
in_store "$BUILT" run --isolation chroot "$ctr" -- sh -c \
    'cd /opt/os-tooling/lib/python3*/site-packages && du -sk -- * | sort -rn | head -8' \
    | awk '{printf "    %6.1f MiB  %s\n", $1 / 1024, $2}'

# --- 7. publish, pin action.yml, pull back by digest, run: what a release and a job do ----------
t=$(now)
in_store "$BUILT" push --quiet --tls-verify=false --digestfile "$work/image.digest" "$IMAGE_TAG" \
    "docker://$REGISTRY/os-tooling:test" >/dev/null
timing push "$t" "push"
pushed=$(cat "$work/image.digest")
[[ "$pushed" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "buildah push wrote no digest: $pushed"
python3 "$ROOT/tools/pin-action-image.py" --output "$work/action.yml" "$ROOT/action.yml" \
    "$REGISTRY/os-tooling@$pushed" || fail "pin-action-image.py"
changed=$(diff "$ROOT/action.yml" "$work/action.yml" | grep -c '^[<>]' || true)
[ "$changed" = 2 ] || fail "pinning changed $changed lines of action.yml, not just runs.image"
grep -qx "  image: docker://$REGISTRY/os-tooling@$pushed" "$work/action.yml" \
    || fail "the pinned action.yml does not name the pushed digest"
ref=$(python3 "$ROOT/tools/pin-action-image.py" --show "$work/action.yml")  # what a job pulls
say "action.yml pinned: image: docker://$ref"

if [ -n "$TIMINGS" ]; then  # for bench/action.py: what both paths pay, the base image's pull
    t=$(now)
    in_store "$work/base-only" pull --quiet --tls-verify=false "$BASE_REF" >/dev/null
    timing base-pull "$t" "pull of the base image alone (both paths pay it)"
    unmount_under "$work/base-only"
    "${SUDO[@]}" rm -rf "$work/base-only"
fi
PULLED=$work/pulled  # the store of a job's machine: nothing but what it pulls
t=$(now)
in_store "$PULLED" pull --quiet --tls-verify=false "$ref" >/dev/null
timing pull "$t" "pull by digest"
registry_digest=$(skopeo inspect --tls-verify=false "docker://$ref" | python3 -c \
    'import json, sys; print(json.load(sys.stdin)["Digest"])')
[ "$registry_digest" = "$pushed" ] || fail "the registry serves $registry_digest for $ref, pushed $pushed"
pulled_digest=$(in_store "$PULLED" images --no-trunc --digests --format '{{.Digest}}' | sort -u)
[ "$pulled_digest" = "$pushed" ] || fail "pulled $pulled_digest, pushed $pushed"
say "digest checked: pushed, served and pulled $pushed"

t=$(now)
start_job "$PULLED" "$ref"
t_run=$(now)
run_action "$PULLED" plan >"$work/plan.log" 2>&1 || { cat "$work/plan.log"; fail "plan from the pulled image"; }
timing pulled-entrypoint "$t_run" "the entrypoint's plan"
timing pulled-job "$t" "job on the pulled image (container, plan until its verdict)"
check_outputs "$PULLED" "pulled image" 1
say "image test passed in $((SECONDS - START))s"
