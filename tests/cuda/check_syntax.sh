#!/usr/bin/env bash
# Type-checks the CUDA plugin's sources on a machine without a GPU: clang 14 in CUDA mode against
# Debian's CUDA 11.8 headers (apt: clang-14, nvidia-cuda-toolkit from non-free). It catches compile
# errors before device time is spent; it does not replace the nvcc build on the GPU machine.
# <memory> is parsed before the CUDA headers, whose __noinline__ macro breaks libstdc++ 12.
# Usage: tests/cuda/check_syntax.sh [file.cu ...]   (default: every source of the plugin)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CUDA_PATH="${CUDA_PATH:-/usr/lib/cuda}"
command -v clang++-14 >/dev/null || { echo "check_syntax: needs clang++-14 (apt-get install clang-14)"; exit 2; }
[ -d "$CUDA_PATH/include" ] || { echo "check_syntax: no CUDA headers in $CUDA_PATH (apt-get install nvidia-cuda-toolkit, Debian non-free)"; exit 2; }
[ $# -gt 0 ] || set -- "$ROOT"/native/src/cuda/*.cu
failed=0
for f in "$@"; do
  clang++-14 -x cuda --cuda-path="$CUDA_PATH" --cuda-gpu-arch=sm_80 -std=c++20 -nocudainc \
    -Wno-unknown-cuda-version -D__CDPRT_SUPPRESS_SYNC_DEPRECATION_WARNING -Wall -Wextra -Werror \
    -include memory -include __clang_cuda_runtime_wrapper.h -isystem "$CUDA_PATH/include" \
    -fsyntax-only -I"$ROOT/native/include" -I"$ROOT/native/src" "$f" || { echo "FAILED: $f"; failed=1; }
done
exit $failed
