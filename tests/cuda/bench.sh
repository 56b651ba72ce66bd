#!/usr/bin/env bash
# Runs the GPU benchmarks beside PyTorch on a machine with a GPU, after tests/cuda/run.sh has built
# the plugin (build/cuda/lib/libember_cuda.so). Every line printed is one JSON object.
#   EMBER_PREBUILT   the CPU build's folder with native/bench/ember_bench (default build/native)
#   EMBER_MANAGED_BENCH  a published benchmarks/Ember.Benchmarks (dotnet publish -o DIR), optional
#   DOTNET           the `dotnet` host to run it with (default: the one on PATH)
#   tests/cuda/bench.sh [filter]   (default: every GPU case)
set -euo pipefail
cd "$(dirname "$0")/../.."
prebuilt="${EMBER_PREBUILT:-build/native}"
plugin="$PWD/build/cuda/lib/libember_cuda.so"
[[ -f "$plugin" ]] || { echo "tests/cuda/bench.sh: $plugin not found: run tests/cuda/run.sh first" >&2; exit 1; }
export EMBER_CUDA_PLUGIN="$plugin"
filter="${1:-}"

"$prebuilt/native/bench/ember_bench" --benchmark_filter="${filter:-cuda}" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_format=json 2>/dev/null |
  python3 benchmarks/gbench_to_jsonl.py
# The CUDA runtime's own per-call costs: the floor under the per-op host cost.
if [[ -z "$filter" || "$filter" == *floor* ]]; then
  nvcc -O2 -std=c++17 -arch=sm_90 benchmarks/cuda/launch_floor.cu -L"$(dirname "$(command -v nvcc)")/../lib64/stubs" -lcuda -o build/cuda/launch_floor &&
    build/cuda/launch_floor
fi
if [[ -n "${EMBER_MANAGED_BENCH:-}" ]]; then
  cp "$plugin" "$EMBER_MANAGED_BENCH/"
  "${DOTNET:-dotnet}" "$EMBER_MANAGED_BENCH/Ember.Benchmarks.dll" --filter "${filter:-cuda}" ||
    echo "{\"error\": \"managed benchmarks failed with status $?\"}"
fi
if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  for script in benchmarks/pytorch/bench_cuda*.py; do
    python3 "$script" ${filter:+--filter "$filter"}
  done
fi
