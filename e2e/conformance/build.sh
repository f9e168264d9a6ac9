#!/usr/bin/env bash
# Build and cache the Gateway API conformance suite (sigs.k8s.io/gateway-api/conformance, run by its own
# TestConformance in a wrapper module) as a test binary, next to the control-plane binaries of
# e2e/controlplane/build.sh (never committed).
# Prints the binary's path on its last line of stdout; progress and step timings go to stderr.
# Idempotent: a finished cache (marked .complete) is reused; an interrupted build restarts cleanly.
set -euo pipefail

GATEWAY_API=${GATEWAY_API:-1.6.3}
CACHE_ROOT=${K8S_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lattice-controller-k8s}
OUT="$CACHE_ROOT/gateway-api-conformance-v$GATEWAY_API"

log() { printf '[build-conformance] %s\n' "$*" >&2; }
if [ -f "$OUT/.complete" ]; then
  log "cached: $OUT"
  echo "$OUT/conformance.test"
  exit 0
fi

. "$(cd "$(dirname "$0")/../controlplane" && pwd)/build-common.sh"

# The conformance module replaces sigs.k8s.io/gateway-api with its parent directory; a wrapper module
# pins both to the same release instead (replace lines of a dependency are not honoured anyway).
step "gateway-api/conformance v$GATEWAY_API wrapper module"
cd "$W"
go mod init local.invalid/gwconformance >/dev/null 2>&1
go mod edit -go=1.26.0 \
  -require="sigs.k8s.io/gateway-api/conformance@v$GATEWAY_API" \
  -require="sigs.k8s.io/gateway-api@v$GATEWAY_API" \
  -replace="sigs.k8s.io/gateway-api=sigs.k8s.io/gateway-api@v$GATEWAY_API"
# The suite's own TestConformance, with one change: requests meant for the data plane fail at once
# instead of resolving the Lattice DNS names through the machine's resolver (there is no data plane
# locally; nothing may leave loopback). Every test and assertion is the upstream one.
cat > conformance_test.go <<'GO'
package gwconformance_test

import (
	"context"
	"fmt"
	"net"
	"testing"

	"sigs.k8s.io/gateway-api/conformance"
	"sigs.k8s.io/gateway-api/conformance/utils/roundtripper"
)

func noDataPlane(_ context.Context, _, address string) (net.Conn, error) {
	return nil, fmt.Errorf("no VPC Lattice data plane in the local environment: not dialing %s", address)
}

func TestConformance(t *testing.T) {
	opts := conformance.DefaultOptions(t)
	opts.RoundTripper = &roundtripper.DefaultRoundTripper{
		Debug:             opts.Debug,
		TimeoutConfig:     opts.TimeoutConfig,
		CustomDialContext: noDataPlane,
	}
	conformance.RunConformanceWithOptions(t, opts)
}
GO
go mod tidy >&2 2>&1 || go mod download >&2
step_end "conformance module download"

step "conformance test binary"
go test -c -trimpath -buildvcs=false -ldflags "-s -w" -o "$TMP/conformance.test" .
step_end "conformance build"

# The suite's manifests (embedded in the binary) are copied too: the runner reads the Gateway names from them.
CD=$(go list -m -f '{{.Dir}}' "sigs.k8s.io/gateway-api/conformance")
mkdir -p "$TMP/manifests/base" "$TMP/manifests/tests"
cp "$CD"/base/*.yaml "$TMP/manifests/base/"
cp "$CD"/tests/*.yaml "$TMP/manifests/tests/"
chmod -R u+w "$TMP/manifests"
"$TMP/conformance.test" -test.list '^TestConformance$' | grep -qx TestConformance
rm -rf "$OUT"
mv "$TMP" "$OUT"
touch "$OUT/.complete"
log "ready: $OUT"
echo "$OUT/conformance.test"
