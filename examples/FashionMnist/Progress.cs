using System.Diagnostics;

namespace FashionMnist;

/// <summary>
/// Training progress: a redrawn bar with loss and samples/s on a terminal, a plain line every tenth of
/// the epoch when the output is redirected (logs, CI).
/// </summary>
internal sealed class Progress(string label, int total)
{
    private readonly bool _terminal = !Console.IsOutputRedirected;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly int _every = Math.Max(1, total / 10);

    /// <summary>Whether batch <paramref name="done"/> should be reported.</summary>
    public bool Due(int done) => _terminal ? done % 20 == 0 || done == total : done % _every == 0 || done == total;

    /// <summary>Shows the state after <paramref name="done"/> batches.</summary>
    public void Report(int done, double loss, long samples)
    {
        double rate = samples / Math.Max(_watch.Elapsed.TotalSeconds, 1e-9);
        if (_terminal)
        {
            const int width = 30;
            int filled = (int)((long)width * done / total);
            Console.Write($"\r{label} [{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} loss {loss:F4} {rate:F0} samples/s ");
        }
        else
        {
            Console.WriteLine($"{label} batch {done}/{total} loss {loss:F4} {rate:F0} samples/s");
        }
    }

    /// <summary>Ends the bar's line.</summary>
    public void Finish()
    {
        if (_terminal)
            Console.WriteLine();
    }
}
