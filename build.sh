#!/usr/bin/env bash
# Ember's one entry point on Linux and macOS. See README.md.
#   ./build.sh                 build native (CMake, Release) and managed
#   ./build.sh test            build, check the bindings, run native (ctest) and managed (NUnit) tests
#   ./build.sh bench [filter]  run the benchmarks (JSON lines), Ember beside PyTorch where present
#   ./build.sh bindings [--check]  regenerate the P/Invoke bindings (or fail when they are stale)
#   ./build.sh demo [args]     train the FashionMNIST MLP on the CPU (the main job)
#   ./build.sh pack [--rid RID] [--version V]  produce the NuGet packages into build/packages
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
BUILD_DIR="${EMBER_BUILD_DIR:-$ROOT/build/native}"
NATIVE_LIB_DIR="$BUILD_DIR/lib"
CONFIG="${EMBER_CONFIG:-Release}"
RID="${EMBER_RID:-linux-x64}"
JOBS="${EMBER_JOBS:-$(nproc 2>/dev/null || echo 2)}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# ---- prerequisites -------------------------------------------------------------------------
# Debian/Ubuntu packages the build needs; installed when running as root, else printed.
APT_BUILD=(cmake g++ make pkg-config libopenblas-pthread-dev libgtest-dev libgmock-dev libbenchmark-dev)
APT_DEMO=(dataset-fashion-mnist)

missing_apt() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

ensure_apt() {
  command -v dpkg-query >/dev/null || return 0  # not Debian-like: rely on the tools being present
  local missing
  missing="$(missing_apt "$@")"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ]; then
    log "installing: $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    die "missing packages: $missing
Install them with:  sudo apt-get install -y $missing"
  fi
}

ensure_dotnet() {
  command -v dotnet >/dev/null && return 0
  die "the .NET SDK 10 is missing. Install it (https://learn.microsoft.com/dotnet/core/install/linux-debian)
or put 'dotnet' on PATH, then run this again."
}

# ---- steps --------------------------------------------------------------------------------
build_native() {
  ensure_apt "${APT_BUILD[@]}"
  log "native: configure + build ($CONFIG) in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$CONFIG" -DEMBER_RID="$RID" >/dev/null
  cmake --build "$BUILD_DIR" -j "$JOBS"
}

dotnet_props=()
build_managed() {
  ensure_dotnet
  dotnet_props=(-c "$CONFIG" -p:EmberNativeDir="$NATIVE_LIB_DIR")
  log "managed: restore + build"
  dotnet build "$ROOT/Bindings.sln" "${dotnet_props[@]}" -nologo -v quiet -clp:ErrorsOnly
}

bindings() {
  ensure_dotnet
  log "bindings: ${1:-regenerate}"
  dotnet run -c Release --project "$ROOT/bindings/Ember.Bindings.Generator" -- \
    --root "$ROOT" --header native/include/ember/ember.h --out bindings/generated/Ember.Native.g.cs "$@"
}

# Adds one runner's counts to the totals: passed failed skipped.
TOTAL_PASSED=0 TOTAL_FAILED=0 TOTAL_SKIPPED=0
add_counts() {
  TOTAL_PASSED=$((TOTAL_PASSED + $1))
  TOTAL_FAILED=$((TOTAL_FAILED + $2))
  TOTAL_SKIPPED=$((TOTAL_SKIPPED + $3))
}

run_native_tests() {
  log "native tests (ctest)"
  local out rc=0 total failed skipped
  out="$(ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" 2>&1)" || rc=$?
  printf '%s\n' "$out" | grep -v -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed' || true
  total="$(printf '%s\n' "$out" | sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' | tail -1)"
  failed="$(printf '%s\n' "$out" | sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' | tail -1)"
  # One "***Skipped" line per skipped test (the "(Skipped)" summary list repeats them).
  skipped="$(printf '%s\n' "$out" | grep -c -E '\*\*\*Skipped' || true)"
  if [ -z "$total" ]; then  # ctest did not run: count it as one failure
    add_counts 0 1 0
    return
  fi
  add_counts $((total - failed - skipped)) "$failed" "$skipped"
  [ "$rc" = 0 ] || [ "$failed" != 0 ] || add_counts 0 1 0
}

run_managed_tests() {
  log "managed tests (NUnit)"
  local results="$ROOT/build/test-results" rc=0 f
  rm -rf "$results"
  dotnet test "$ROOT/Bindings.sln" "${dotnet_props[@]}" --no-build --logger trx \
    --results-directory "$results" -v quiet || rc=$?
  local found=0
  for f in "$results"/*.trx; do
    [ -e "$f" ] || continue
    found=1
    local counters p fl t e
    counters="$(grep -o '<Counters [^>]*>' "$f" | head -1)"
    p="$(printf '%s' "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')"
    fl="$(printf '%s' "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')"
    # Ignored tests (e.g. GPU tests without a GPU) are counted in total but not executed.
    t="$(printf '%s' "$counters" | sed -n 's/.* total="\([0-9]*\)".*/\1/p')"
    e="$(printf '%s' "$counters" | sed -n 's/.* executed="\([0-9]*\)".*/\1/p')"
    add_counts "${p:-0}" "${fl:-0}" "$(( ${t:-0} - ${e:-0} ))"
  done
  if [ "$found" = 0 ] || { [ "$rc" != 0 ] && [ "$TOTAL_FAILED" = 0 ]; }; then
    add_counts 0 1 0  # the runner itself failed (build, crash): never report green
  fi
}

run_consumer_test() {
  [ -x "$ROOT/tests/consumer/run.sh" ] || return 0
  log "consumer test (packages from a local feed)"
  if EMBER_RID="$RID" "$ROOT/tests/consumer/run.sh" "$NATIVE_LIB_DIR"; then add_counts 1 0 0; else add_counts 0 1 0; fi
}

cmd_test() {
  build_native
  build_managed
  local bindings_ok=1
  bindings --check || bindings_ok=0
  if [ "$bindings_ok" = 1 ]; then add_counts 1 0 0; else add_counts 0 1 0; fi
  run_native_tests
  run_managed_tests
  run_consumer_test
  local line="$TOTAL_PASSED passed, $TOTAL_FAILED failed"
  [ "$TOTAL_SKIPPED" = 0 ] || line="$line, $TOTAL_SKIPPED skipped"
  echo "$line"
  [ "$TOTAL_FAILED" = 0 ]
}

cmd_bench() {
  build_native
  build_managed
  "$ROOT/benchmarks/run.sh" "$BUILD_DIR" "${1:-}"
}

cmd_demo() {
  ensure_apt "${APT_DEMO[@]}"
  build_native
  build_managed
  log "demo: FashionMNIST MLP, Adam lr 1e-3, batch 64, 5 epochs, CPU"
  dotnet run -c "$CONFIG" --no-build --project "$ROOT/examples/FashionMnist" -- \
    --model mlp --optimizer adam --lr 1e-3 --epochs 5 --batch-size 64 --device cpu \
    --data /usr/share/datasets/fashion-mnist --save "$ROOT/build/fashion-mnist-mlp.safetensors" "$@"
}

# Packs Ember, Ember.Hosting and Ember.Runtime.{rid} (and Ember.Runtime.Cuda.{rid} when the plugin was
# built) into $PACKAGES_DIR, with symbol packages beside them.
PACKAGES_DIR="$ROOT/build/packages"
cmd_pack() {
  local version="${EMBER_VERSION:-0.1.0-dev}"
  while [ $# -gt 0 ]; do
    case "$1" in
      --rid) RID="$2"; shift 2 ;;
      --version) version="$2"; shift 2 ;;
      *) die "pack: unknown option '$1' (expected --rid RID, --version V)" ;;
    esac
  done
  build_native
  ensure_dotnet
  log "pack: NuGet packages $version for $RID into ${PACKAGES_DIR#"$ROOT"/}"
  rm -rf "$PACKAGES_DIR"
  local repo props
  repo="$(git -C "$ROOT" remote get-url origin 2>/dev/null || true)"
  props=(-c "$CONFIG" -p:Version="$version" -p:EmberRid="$RID" -p:EmberNativeDir="$NATIVE_LIB_DIR"
         -p:EmberRepositoryUrl="$repo" -o "$PACKAGES_DIR" -nologo -v quiet -clp:ErrorsOnly)
  dotnet pack "$ROOT/packaging/Ember/Ember.Package.csproj" "${props[@]}"
  dotnet pack "$ROOT/managed/Ember.Hosting/Ember.Hosting.csproj" "${props[@]}"
  dotnet pack "$ROOT/packaging/Ember.Runtime/Ember.Runtime.csproj" "${props[@]}"
  local cuda_dir="${EMBER_CUDA_DIR:-$ROOT/build/cuda}" cuda
  for cuda in "$cuda_dir/libember_cuda.so" "$cuda_dir/lib/libember_cuda.so"; do
    [ -f "$cuda" ] && break
  done
  if [ -f "$cuda" ]; then
    dotnet pack "$ROOT/packaging/Ember.Runtime.Cuda/Ember.Runtime.Cuda.csproj" "${props[@]}" -p:EmberCudaDir="$(dirname "$cuda")"
  else
    echo "pack: skipping Ember.Runtime.Cuda.$RID: no libember_cuda.so in $cuda_dir (build the plugin with -DEMBER_CUDA=ON, or set EMBER_CUDA_DIR)"
  fi
  ls -l "$PACKAGES_DIR"
}

case "${1:-build}" in
  build) build_native; build_managed ;;
  test) cmd_test ;;
  bench) shift; cmd_bench "$@" ;;
  bindings) shift; ensure_dotnet; bindings "$@" ;;
  demo) shift; cmd_demo "$@" ;;
  pack) shift; cmd_pack "$@" ;;
  -h|--help|help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (try ./build.sh help)" ;;
esac
