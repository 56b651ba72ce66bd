#!/usr/bin/env bash
# Runs Ember's benchmarks and, where PyTorch is installed, the same cases in PyTorch, in one run on
# one machine. Every line printed is one JSON object:
#   {"bench": NAME, "impl": "ember"|"pytorch"|"openblas"|"memcpy", "unit": ..., "median": ..., "n": ...}
# Usage: benchmarks/run.sh BUILD_DIR [filter]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD_DIR="${1:?usage: benchmarks/run.sh BUILD_DIR [filter]}"
FILTER="${2:-}"
THREADS="${EMBER_BENCH_THREADS:-2}"
# Debian's python3-torch lives under the system interpreter, which may not be the first on PATH.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# Native (Google Benchmark): repetitions give medians; the converter prints our JSON lines.
if [ -x "$BUILD_DIR/native/bench/ember_bench" ]; then
  "$BUILD_DIR/native/bench/ember_bench" --benchmark_filter="${FILTER:-.}" \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_format=json 2>/dev/null | "$PY" "$HERE/gbench_to_jsonl.py"
fi

# Managed (call-to-result from C#).
if [ -d "$HERE/Ember.Benchmarks" ]; then
  dotnet run -c Release --project "$HERE/Ember.Benchmarks" -p:EmberNativeDir="$BUILD_DIR/lib" -- \
    --threads "$THREADS" ${FILTER:+--filter "$FILTER"}
fi

# PyTorch beside it, when this machine has it (Debian: python3-torch libopenblas0-pthread).
if "$PY" -c 'import torch' 2>/dev/null; then
  for script in "$HERE"/pytorch/bench_*.py; do
    [ -e "$script" ] || continue
    "$PY" "$script" --threads "$THREADS" ${FILTER:+--filter "$FILTER"}
  done
else
  echo '{"note": "PyTorch not installed: apt-get install python3-torch libopenblas0-pthread for side-by-side numbers"}'
fi
