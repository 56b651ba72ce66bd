#!/usr/bin/env bash
# Builds the CUDA plugin and runs the GPU tests on a machine with a GPU and the CUDA toolkit, but
# perhaps no .NET SDK and no CPU build tools beyond a compiler: the engine's test program and
# libember come prebuilt from a CPU machine (./build.sh build), in EMBER_PREBUILT (default
# build/native). Output: build/cuda/lib/libember_cuda.so and the test log on stdout.
#
# The managed tests of category cuda run too when EMBER_MANAGED_RUNNER names a published
# tests/cuda/Ember.CudaTestRunner (dotnet publish -o DIR on a CPU machine); DOTNET names the
# `dotnet` host to run it with (default: the one on PATH).
#
#   tests/cuda/run.sh [gtest filter]      (default: Cuda*)
set -euo pipefail
cd "$(dirname "$0")/../.."

prebuilt="${EMBER_PREBUILT:-build/native}"
arch="${EMBER_CUDA_ARCHITECTURES:-90a-real;90-virtual}"

command -v nvcc >/dev/null || { echo "tests/cuda/run.sh: nvcc not found (install the CUDA toolkit)" >&2; exit 1; }
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

cmake -S native/src/cuda -B build/cuda "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DEMBER_CUDA_ARCHITECTURES="$arch" >/dev/null
cmake --build build/cuda -j "$(nproc)"

export EMBER_CUDA_PLUGIN="$PWD/build/cuda/lib/libember_cuda.so"
tests="$prebuilt/native/tests/ember_tests"
[[ -x "$tests" ]] || { echo "tests/cuda/run.sh: $tests not found: build it on a CPU machine first (./build.sh build)" >&2; exit 1; }
set +e
"$tests" --gtest_filter="${1:-Cuda*}"
native_status=$?
set -e

managed_status=0
runner="${EMBER_MANAGED_RUNNER:-}"
if [[ -n "$runner" ]]; then
  cp build/cuda/lib/libember_cuda.so "$runner/"  # the managed side loads plugins beside libember
  set +e
  "${DOTNET:-dotnet}" "$runner/Ember.CudaTestRunner.dll" cuda
  managed_status=$?
  set -e
fi
((native_status == 0 && managed_status == 0))
