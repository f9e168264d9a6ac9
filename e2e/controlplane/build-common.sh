# Sourced by the Go-built test-binary builds (e2e/controlplane/build.sh, e2e/conformance/build.sh) once
# they know their cache is not complete: checks the Go toolchain, sets the build environment, makes the
# staging directory "$OUT.tmp" (TMP) and a scratch directory W (removed on exit), and defines step/step_end
# (which print each step's time through the caller's log function).

command -v go >/dev/null || { echo "Go >= 1.26 required (go not found)" >&2; exit 2; }
gov=$(go env GOVERSION | sed 's/^go//')
case "$gov" in
  1.2[6-9]*|1.[3-9][0-9]*) ;;
  *) echo "Go >= 1.26 required (found $gov)" >&2; exit 2 ;;
esac

export GOTOOLCHAIN=${GOTOOLCHAIN:-local} CGO_ENABLED=0 GOFLAGS=-mod=mod
TMP="$OUT.tmp"
rm -rf "$TMP"
mkdir -p "$TMP"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

step_start=0
step() { step_start=$(date +%s); log "step: $*"; }
step_end() { log "done: $1 in $(( $(date +%s) - step_start ))s"; }
