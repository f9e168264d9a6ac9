#!/usr/bin/env bash
# Build and cache everything the kind tier runs (never committed, nothing pulled from a container registry):
#   tools       kind and helm (Go modules), the control-plane binaries of e2e/controlplane/build.sh
#   node bins   kubelet, kubeadm, kube-scheduler, kube-proxy (same wrapper module and Go cache), coredns, pause
#   rootfs      Debian root filesystems made with mmdebstrap and imported into Docker
#   images      control-plane images (saved as one tarball the node preloads), the kind node image,
#               the controller image (the project's Dockerfile) and the fake AWS endpoint image
# Each step runs only when its inputs (pins, files) changed; it prints its time, and on failure the step
# name and its log file. Four chains of steps run side by side (the Kubernetes node binaries; kind and coredns;
# the node and kube-proxy root filesystems; the Python base, wheels and the two Python images),
# then the control-plane images and the node image. The last lines of stdout are KEY=VALUE pairs for e2e/kind.
# `build.sh helm` builds only helm (no Docker needed).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

K8S=${K8S:-1.36.3}
ETCD=${ETCD:-3.6.16}
KIND=${KIND:-0.33.0}
HELM=${HELM:-3.22.0}
COREDNS=${COREDNS:-1.14.2}
SUITE=${DEBIAN_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${KIND_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lattice-controller-kind}
PAUSE_IMAGE=localhost/lattice-pause:1
ETCD_TAG="$ETCD-0"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local} CGO_ENABLED=0 GOFLAGS=-mod=mod DOCKER_BUILDKIT=0
mkdir -p "$CACHE/logs" "$CACHE/stamps"

log() { printf '[kind-build] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
command -v go >/dev/null || die "Go >= 1.26 required (go not found)"

hash_of() { # hash of strings and of files/directories (bytecode caches ignored) given as arguments
  local a
  for a in "$@"; do
    if [ -d "$a" ]; then
      (cd "$a" && find . -type f -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum)
    elif [ -f "$a" ]; then sha256sum < "$a"
    else printf '%s\n' "$a"; fi
  done | sha256sum | cut -c1-12
}

# run_step NAME KEY FUNCTION: run FUNCTION unless the stamp NAME-KEY exists; output to logs/NAME.log.
run_step() {
  local name=$1 key=$2 fn=$3 stamp="$CACHE/stamps/$1-$2" logf="$CACHE/logs/$1.log" t0
  if [ -f "$stamp" ] && { [ -z "${4:-}" ] || docker image inspect "$4" >/dev/null 2>&1; }; then
    log "cached: $name"
    return 0
  fi
  t0=$(date +%s)
  log "step: $name"
  # in the background so that `set -e` holds inside the step (it is ignored in an `if` condition)
  ( "$fn" ) > "$logf" 2>&1 &
  if ! wait $!; then
    log "FAILED: $name after $(( $(date +%s) - t0 ))s; log: $logf"
    tail -n 15 "$logf" | sed 's/^/  | /' >&2
    exit 1
  fi
  rm -f "$CACHE/stamps/$name"-*
  touch "$stamp"
  log "done: $name in $(( $(date +%s) - t0 ))s"
}

# 1. helm (also what the lint env needs to render the chart) and kind
TOOLS="$CACHE/tools-kind$KIND-helm$HELM"
build_helm() {
  mkdir -p "$TOOLS"
  GOBIN="$TOOLS" GOFLAGS= go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@v$HELM"
  "$TOOLS/helm" version --short
}
build_kind() {
  mkdir -p "$TOOLS"
  GOBIN="$TOOLS" GOFLAGS= go install "sigs.k8s.io/kind@v$KIND"
  "$TOOLS/kind" version
}
run_step helm "$HELM" build_helm
if [ "${1:-}" = helm ]; then # `build.sh helm`: helm only, no Docker needed (the lint env renders the chart)
  echo "HELM=$TOOLS/helm"
  exit 0
fi
command -v docker >/dev/null || die "docker not found (install docker.io, or run python -m e2e.kind up)"
docker info >/dev/null 2>&1 || die "docker daemon not reachable"
command -v mmdebstrap >/dev/null || die "mmdebstrap not found (apt-get install mmdebstrap)"

# 2. node binaries from the same k8s.io/kubernetes wrapper module as the control plane
. "$REPO/e2e/controlplane/k8s-module.sh"
NODEBIN="$CACHE/bin-k8s$K8S"
NODE_CMDS=(kubelet kubeadm kube-scheduler kube-proxy)
build_node_bins() {
  local w
  w=$(mktemp -d)
  k8s_wrapper_module "$w" "$K8S" "${NODE_CMDS[@]}"
  k8s_build "$w" "$K8S" "$NODEBIN" "${NODE_CMDS[@]}"
  rm -rf "$w"
  "$NODEBIN/kubelet" --version
}

# coredns built from the pinned module with only the plugins of kubeadm's Corefile (and log): a main
# package of our own in a wrapper module, so that the cloud DNS providers, tracing and the other plugins'
# modules are neither downloaded nor compiled.
OTHERBIN="$CACHE/bin-coredns$COREDNS"
COREDNS_PLUGINS=(errors health ready kubernetes metrics forward cache loop reload loadbalance log)
build_other_bins() {
  local w p
  mkdir -p "$OTHERBIN"
  w=$(mktemp -d)
  (
    cd "$w"
    go mod init local.invalid/coredns >/dev/null 2>&1
    go mod edit -go=1.26.0 -require="github.com/coredns/coredns@v$COREDNS"
    {
      printf 'package main\n\nimport (\n\t"github.com/coredns/coredns/coremain"\n'
      for p in "${COREDNS_PLUGINS[@]}"; do printf '\t_ "github.com/coredns/coredns/plugin/%s"\n' "$p"; done
      printf ')\n\nfunc main() { coremain.Run() }\n'
    } > main.go
    go mod tidy
    go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$OTHERBIN/coredns" .
  )
  rm -rf "$w"
  (cd "$HERE/pause" && go build -trimpath -ldflags "-s -w" -o "$OTHERBIN/pause" .)
  "$OTHERBIN/coredns" -version
  "$OTHERBIN/coredns" -plugins
}

# 3. Debian root filesystems → Docker images
# rootfs NAME PACKAGES: Debian minbase + PACKAGES as image lattice-local/NAME:<suite>-<hash of packages>
rootfs_image() { echo "lattice-local/$1:$SUITE-$(hash_of "$SUITE" "$2")"; }
make_rootfs() {
  mmdebstrap --variant=minbase --include="$ROOTFS_PKGS" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    "$SUITE" - "$MIRROR" | docker import - "$ROOTFS_IMAGE"
}
rootfs() {
  ROOTFS_PKGS=$2
  ROOTFS_IMAGE=$(rootfs_image "$1" "$2")
  run_step "rootfs-$1" "${ROOTFS_IMAGE##*:}" make_rootfs "$ROOTFS_IMAGE"
}
NODE_PKGS="systemd,systemd-sysv,containerd,runc,containernetworking-plugins,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,bash,ca-certificates,jq,procps"
PY_PKGS="python3,python3-venv,python3-pip,ca-certificates"
PROXY_PKGS="iptables,nftables,conntrack,kmod"
NODE_ROOTFS=$(rootfs_image node "$NODE_PKGS")
PYTHON_BASE=$(rootfs_image python "$PY_PKGS")
NET_BASE=$(rootfs_image netbase "$PROXY_PKGS")

# 4. the controller image (the project's Dockerfile) and the fake AWS endpoint image, on the Debian base.
# Offline: the wheels of constraints.txt are downloaded once on this machine (its pip configuration, its
# trust store) into the cache, and the image builds install from them with no index.
CONTROLLER_IMAGE=lattice-controller:0.1.0
FAKEAWS_IMAGE=lattice-fakeaws:dev
WHEELS="$CACHE/wheels-$(hash_of "$REPO/constraints.txt" "$REPO/pyproject.toml")"
download_wheels() { # with pip from a throwaway venv (the calling environment may have none, e.g. uv's)
  local w
  w=$(mktemp -d)
  rm -rf "$WHEELS.tmp" && mkdir -p "$WHEELS.tmp"
  python3 -m venv "$w/pip"
  (cd "$REPO" && "$w/pip/bin/python" -m pip download -q -d "$WHEELS.tmp" -c constraints.txt . setuptools 'moto[server]' boto3)
  rm -rf "$WHEELS" "$w" && mv "$WHEELS.tmp" "$WHEELS"
  ls "$WHEELS" | wc -l
}
image_context() { # the Dockerfile's allow-listed files plus the wheelhouse, in a fresh directory
  local ctx
  ctx=$(mktemp -d)
  cp "$REPO/constraints.txt" "$REPO/pyproject.toml" "$REPO/README.md" "$REPO/.dockerignore" "$ctx/"
  mkdir -p "$ctx/e2e"
  cp -r "$REPO/lattice_controller" "$ctx/"
  cp -r "$REPO/e2e/__init__.py" "$REPO/e2e/fakeaws" "$ctx/e2e/"
  cp -rl "$WHEELS" "$ctx/wheels" 2>/dev/null || cp -r "$WHEELS" "$ctx/wheels"
  echo "$ctx"
}
offline_build() { # DOCKERFILE TAG
  local ctx
  ctx=$(image_context)
  docker build -f "$1" --build-arg "BASE_IMAGE=$PYTHON_BASE" --build-arg PIP_NO_INDEX=1 \
    --build-arg PIP_FIND_LINKS=/src/wheels -t "$2" "$ctx"
  rm -rf "$ctx"
}
build_controller() { offline_build "$REPO/Dockerfile" "$CONTROLLER_IMAGE"; }
build_fakeaws() { offline_build "$HERE/fakeaws.Dockerfile" "$FAKEAWS_IMAGE"; }

# The four chains, side by side; a failed step fails its chain (its FAILED line names the log), and the
# build after every chain has ended.
CP_PATH="$CACHE/logs/controlplane.path"
k8s_chain() {
  run_step node-binaries "$K8S" build_node_bins
  # the control-plane binaries of e2e/controlplane/build.sh (cached when the other tiers ran first)
  bash "$REPO/e2e/controlplane/build.sh" | tail -n 1 > "$CP_PATH"
}
tools_chain() {
  run_step kind "$KIND" build_kind
  run_step coredns-pause "$COREDNS-$(hash_of "$HERE/pause" "${COREDNS_PLUGINS[*]}")" build_other_bins
}
rootfs_chain() {
  rootfs node "$NODE_PKGS"
  rootfs netbase "$PROXY_PKGS"
}
python_chain() {
  rootfs python "$PY_PKGS"
  run_step wheels "${WHEELS##*-}" download_wheels
  run_step controller-image "$(hash_of "$PYTHON_BASE" "$REPO/Dockerfile" "$REPO/constraints.txt" \
    "$REPO/pyproject.toml" "$REPO/lattice_controller")" build_controller "$CONTROLLER_IMAGE"
  run_step fakeaws-image "$(hash_of "$PYTHON_BASE" "$HERE/fakeaws.Dockerfile" "$REPO/constraints.txt" \
    "$REPO/e2e/fakeaws")" build_fakeaws "$FAKEAWS_IMAGE"
}
chains_t0=$(date +%s)
pids=()
for chain in k8s_chain tools_chain rootfs_chain python_chain; do
  "$chain" &
  pids+=("$!")
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || die "build failed (see the FAILED line above)"
log "chains done in $(( $(date +%s) - chains_t0 ))s"

# 5. control-plane images (one tarball the node image preloads), with the control-plane binaries of
# e2e/controlplane/build.sh (kube-apiserver, kube-controller-manager, kubectl, etcd; also the Gateway API CRDs)
# and the node binaries
CP=$(cat "$CP_PATH")
IMAGES="$CACHE/images"
CP_TAR="$IMAGES/control-plane-k8s$K8S-etcd$ETCD-coredns$COREDNS.tar"
one_binary_image() { # TAG BINARY PATH_IN_IMAGE BASE
  local ctx
  ctx=$(mktemp -d)
  cp "$2" "$ctx/bin"
  printf 'FROM %s\nCOPY bin %s\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nENTRYPOINT ["%s"]\n' \
    "$4" "$3" "$3" > "$ctx/Dockerfile"
  docker build -q -t "$1" "$ctx"
  rm -rf "$ctx"
}
build_cp_images() {
  local r=registry.k8s.io c
  for c in kube-apiserver kube-controller-manager; do
    one_binary_image "$r/$c:v$K8S" "$CP/$c" "/usr/local/bin/$c" scratch
  done
  one_binary_image "$r/kube-scheduler:v$K8S" "$NODEBIN/kube-scheduler" /usr/local/bin/kube-scheduler scratch
  one_binary_image "$r/kube-proxy:v$K8S" "$NODEBIN/kube-proxy" /usr/local/bin/kube-proxy "$NET_BASE"
  one_binary_image "$r/etcd:$ETCD_TAG" "$CP/etcd" /usr/local/bin/etcd scratch
  one_binary_image "$r/coredns/coredns:v$COREDNS" "$OTHERBIN/coredns" /coredns scratch
  one_binary_image "$PAUSE_IMAGE" "$OTHERBIN/pause" /pause scratch
  # stand-in for the workload images the scenario manifests name (loaded by e2e/kind under those names)
  one_binary_image lattice-local/workload-stand-in:1 "$OTHERBIN/pause" /pause scratch
  mkdir -p "$IMAGES"
  docker save -o "$CP_TAR.tmp" "$r/kube-apiserver:v$K8S" "$r/kube-controller-manager:v$K8S" \
    "$r/kube-scheduler:v$K8S" "$r/kube-proxy:v$K8S" "$r/etcd:$ETCD_TAG" "$r/coredns/coredns:v$COREDNS" "$PAUSE_IMAGE"
  mv "$CP_TAR.tmp" "$CP_TAR"
}
run_step control-plane-images "$(hash_of "$K8S" "$ETCD" "$COREDNS" "${COREDNS_PLUGINS[*]}" "$NET_BASE" "$OTHERBIN/pause")" build_cp_images \
  lattice-local/workload-stand-in:1

# 6. the kind node image: rootfs + kind's node files (from the pinned kind module) + binaries, images preloaded
KIND_MOD=$(k8s_moddir "sigs.k8s.io/kind@v$KIND" Dir)
NODE_KEY=$(hash_of "$NODE_ROOTFS" "$HERE/node" "$KIND" "$K8S" "$CP_TAR")
NODE_IMAGE="lattice-local/kind-node:v$K8S-$NODE_KEY"
build_node_image() {
  local ctx
  ctx=$(mktemp -d)
  cp -r "$HERE/node/." "$ctx/"
  mkdir -p "$ctx/kind" "$ctx/bin"
  cp -r "$KIND_MOD/images/base/files/." "$ctx/kind/"
  chmod -R u+w "$ctx/kind"
  cp "$NODEBIN/kubelet" "$NODEBIN/kubeadm" "$CP/kubectl" "$ctx/bin/"
  docker build -t "$NODE_IMAGE-stage" --build-arg "ROOTFS_IMAGE=$NODE_ROOTFS" --build-arg "K8S_VERSION=$K8S" \
    --build-arg "PAUSE_IMAGE=$PAUSE_IMAGE" "$ctx"
  rm -rf "$ctx"
  # preload: containerd in a throwaway container imports the images (content only), then commit
  cid=$(docker run -d --entrypoint sleep --security-opt seccomp=unconfined "$NODE_IMAGE-stage" infinity)
  trap 'docker rm -f "${cid:-}" >/dev/null 2>&1 || true' EXIT
  docker exec "$cid" sh -c 'mkdir -p /run/containerd && (containerd >/var/log/containerd-build.log 2>&1 &)'
  for _ in $(seq 60); do docker exec "$cid" ctr version >/dev/null 2>&1 && break; sleep 1; done
  docker exec -i "$cid" ctr -n k8s.io images import --all-platforms --no-unpack --digests - < "$CP_TAR"
  docker exec "$cid" ctr -n k8s.io images ls -q
  docker exec "$cid" sh -c 'kill "$(pidof containerd)"; sleep 2; rm -f /var/log/containerd-build.log'
  docker commit --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'CMD []' "$cid" "$NODE_IMAGE"
  docker rm -f "$cid" >/dev/null
  docker rmi "$NODE_IMAGE-stage"
}
run_step node-image "$NODE_KEY" build_node_image "$NODE_IMAGE"

echo "KIND=$TOOLS/kind"
echo "HELM=$TOOLS/helm"
echo "KUBECTL=$CP/kubectl"
echo "GATEWAY_CRDS=$CP/gateway-api"
echo "NODE_IMAGE=$NODE_IMAGE"
echo "CONTROLLER_IMAGE=$CONTROLLER_IMAGE"
echo "FAKEAWS_IMAGE=$FAKEAWS_IMAGE"
echo "ETCD_TAG=$ETCD_TAG"
