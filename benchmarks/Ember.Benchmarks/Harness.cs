using System.Diagnostics;
using System.Text.Json;

namespace Ember.Benchmarks;

/// <summary>Times a body and prints one JSON line: the median over repetitions of the mean time per call.</summary>
internal static class Harness
{
    public static string? Filter { get; set; }

    /// <summary>The least time each case runs before its timed repetitions.</summary>
    public static double WarmUpSeconds { get; set; } = 1.0;

    public static void Run(string bench, string unit, int callsPerRep, Action body, int reps = 7, Dictionary<string, double>? extra = null)
    {
        if (Filter is not null && !bench.Contains(Filter, StringComparison.Ordinal))
            return;
        // Warm up for a second at least: the JIT recompiles hot methods at tier 1 on a background thread a while
        // after their first 30 calls, and on a 2-core machine that thread would share the cores with the timed calls.
        long warm = Stopwatch.GetTimestamp();
        for (int i = 0; i < Math.Max(1, callsPerRep / 4) || Stopwatch.GetElapsedTime(warm).TotalSeconds < WarmUpSeconds; i++)
            body();
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
