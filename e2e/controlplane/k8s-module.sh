# Sourced by e2e/controlplane/build.sh and e2e/kind/build.sh: commands of k8s.io/kubernetes built through a
# wrapper module, so every build of the same pin shares one module graph and one Go build cache.
# k8s_wrapper_module DIR VERSION CMD...  creates DIR as a module requiring k8s.io/kubernetes@vVERSION, with one
#                                       replace per staging module (derived from the downloaded go.mod)
# k8s_build DIR VERSION OUT CMD...       builds k8s.io/kubernetes/cmd/CMD... into OUT/ with version stamps

k8s_moddir() { go mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["'"$2"'"])'; }

k8s_wrapper_module() {
  local dir=$1 version=$2 gomod staging m c
  shift 2
  mkdir -p "$dir"
  (
    cd "$dir"
    go mod init local.invalid/k8sbins >/dev/null 2>&1
    go mod edit -go=1.26.0 -require="k8s.io/kubernetes@v$version"
    gomod=$(k8s_moddir "k8s.io/kubernetes@v$version" GoMod)
    staging=$(sed -nE 's#^[[:space:]]*(k8s\.io/[^[:space:]]+)[[:space:]]+=>[[:space:]]+\./staging/.*#\1#p' "$gomod")
    echo "$staging" | grep -qx 'k8s.io/api' || { echo "no staging replaces found in $gomod" >&2; exit 1; }
    for m in $staging; do go mod edit -replace="$m=$m@v0.${version#1.}"; done
    printf '[build] staging modules replaced: %s\n' "$(echo "$staging" | wc -l)" >&2
    {
      printf '//go:build tools\n\npackage tools\n\nimport (\n'
      for c in "$@"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c"; done
      printf ')\n'
    } > tools.go
    go mod tidy >&2 2>&1 || go mod download >&2
  )
}

k8s_build() {
  local dir=$1 version=$2 out=$3 minor p x="" pkgs=()
  shift 3
  minor=$(echo "$version" | cut -d. -f2)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x="$x -X $p.gitVersion=v$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    x="$x -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  for p in "$@"; do pkgs+=("k8s.io/kubernetes/cmd/$p"); done
  (cd "$dir" && go build -trimpath -buildvcs=false -tags=selinux,notest -ldflags "-s -w $x" -o "$out/" "${pkgs[@]}")
}
