#!/usr/bin/env bash
# Build and cache the test control-plane binaries and Gateway API CRDs (never committed).
# Prints the asset directory on its last line of stdout; progress and step timings go to stderr.
# Idempotent: a finished cache (marked .complete) is reused; an interrupted build restarts cleanly.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

K8S=${K8S:-1.36.3}
ETCD=${ETCD:-3.6.16}
KWOK=${KWOK:-0.8.0}
GATEWAY_API=${GATEWAY_API:-1.6.3}
BUILD_KWOK=${BUILD_KWOK:-1}
CACHE_ROOT=${K8S_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lattice-controller-k8s}
OUT="$CACHE_ROOT/k8s$K8S-etcd$ETCD-kwok$KWOK-gw$GATEWAY_API"

log() { printf '[build] %s\n' "$*" >&2; }
if [ -f "$OUT/.complete" ]; then
  log "cached: $OUT"
  echo "$OUT"
  exit 0
fi

. "$HERE/build-common.sh"

# 1. kube-apiserver, kube-controller-manager, kubectl from k8s.io/kubernetes via a wrapper module.
# shellcheck source=e2e/controlplane/k8s-module.sh
. "$HERE/k8s-module.sh"
K8S_CMDS=(kube-apiserver kube-controller-manager kubectl)
step "kubernetes v$K8S wrapper module"
k8s_wrapper_module "$W/k8s" "$K8S" "${K8S_CMDS[@]}"
step_end "kubernetes module download"

step "kubernetes build"
k8s_build "$W/k8s" "$K8S" "$TMP" "${K8S_CMDS[@]}"
step_end "kubernetes build"

# 2. etcd from go.etcd.io/etcd/server/v3 in its own wrapper module.
step "etcd v$ETCD"
mkdir -p "$W/etcd" && cd "$W/etcd"
go mod init local.invalid/etcdbin >/dev/null 2>&1
go mod edit -go=1.26.0 -require=go.etcd.io/etcd/server/v3@v$ETCD
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
go mod tidy >&2 2>&1 || true
go build -trimpath -buildvcs=false -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=mod" -o "$TMP/etcd" go.etcd.io/etcd/server/v3
step_end "etcd"

# 3. kwok and its stage configs.
if [ "$BUILD_KWOK" = 1 ]; then
  step "kwok v$KWOK"
  GOBIN="$TMP" GOFLAGS= go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK"
  KD=$(k8s_moddir "sigs.k8s.io/kwok@v$KWOK" Dir)
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    cat "$KD/kustomize/stage/$f"; printf '\n---\n'
  done > "$TMP/kwok-stages.yaml"
  step_end "kwok"
fi

# 4. Gateway API CRDs.
step "gateway-api v$GATEWAY_API CRDs"
GD=$(k8s_moddir "sigs.k8s.io/gateway-api@v$GATEWAY_API" Dir)
test -d "$GD/config/crd/standard" && test -d "$GD/config/crd/experimental"
mkdir -p "$TMP/gateway-api"
cp -r "$GD/config/crd/standard" "$GD/config/crd/experimental" "$TMP/gateway-api/"
chmod -R u+w "$TMP/gateway-api"
step_end "crds"

# 5. Smoke test, then publish atomically.
"$TMP/kube-apiserver" --version >&2
"$TMP/etcd" --version >&2 | head -1
[ "$BUILD_KWOK" = 1 ] && { "$TMP/kwok" --help >/dev/null; }
rm -rf "$OUT"
mv "$TMP" "$OUT"
touch "$OUT/.complete"
log "ready: $OUT"
echo "$OUT"
