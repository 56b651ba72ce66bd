"""Turns Google Benchmark's JSON report into Ember's benchmark lines (one JSON object per line).

A benchmark named "BM_x/impl:ember/..." reports impl "ember"; the median aggregate becomes "median"
(in the benchmark's time unit) and its user counters (bytes/s, FLOP/s) are passed through."""
import json
import sys

report = json.load(sys.stdin)
reps = {}
for b in report.get("benchmarks", []):
    if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median":
        name = b["run_name"]
        impl = "ember"
        for part in name.split("/"):
            if part.startswith("impl:"):
                impl = part[len("impl:"):]
        line = {"bench": name, "impl": impl, "unit": b.get("time_unit", "ns"),
                "median": b["real_time"], "n": b.get("repetitions", 1)}
        for key, value in b.items():
            if key.endswith("_per_second") or key in ("FLOPS", "TFLOPS", "GBps", "TBps", "per_call", "GFLOP/s", "bytes_per_second"):
                line[key] = value
        print(json.dumps(line))
