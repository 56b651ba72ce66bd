using System.Diagnostics;
using System.Text.Json;

namespace Ember.Benchmarks;

/// <summary>Times a body and prints one JSON line: the median over repetitions of the mean time per call.</summary>
internal static class Harness
{
    public static string? Filter { get; set; }

    public static void Run(string bench, string unit, int callsPerRep, Action body, int reps = 7, Dictionary<string, double>? extra = null)
    {
        if (Filter is not null && !bench.Contains(Filter, StringComparison.Ordinal))
            return;
        for (int i = 0; i < Math.Max(1, callsPerRep / 4); i++)
            body();  // warm up: JIT tiers, caches, the pool's threads
        var samples = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < callsPerRep; i++)
                body();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds / callsPerRep;
            samples[r] = unit switch { "us" => seconds * 1e6, "ms" => seconds * 1e3, "ns" => seconds * 1e9, _ => seconds };
        }
        Array.Sort(samples);
        var line = new Dictionary<string, object> { ["bench"] = bench, ["impl"] = "ember", ["unit"] = unit, ["median"] = Math.Round(samples[reps / 2], 4), ["n"] = reps };
        if (extra is not null)
            foreach (var (k, v) in extra)
                line[k] = v;
        Console.WriteLine(JsonSerializer.Serialize(line));
    }
}
