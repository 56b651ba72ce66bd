namespace Ember;

/// <summary>Anomaly detection state (<c>torch.autograd.detect_anomaly</c>); flows across <c>await</c>.</summary>
internal static class Anomaly
{
    private static readonly AsyncLocal<AnomalyScope.Mode?> s_mode = new();

    // Scopes alive in the process: while there are none, creating a node skips the AsyncLocal read.
    private static int s_open;

    public static bool IsEnabled => Volatile.Read(ref s_open) != 0 && s_mode.Value is { Enabled: true };

    public static bool CheckNan => Volatile.Read(ref s_open) != 0 && s_mode.Value is { Enabled: true, CheckNan: true };

    internal static AnomalyScope.Mode? Current
    {
        get => s_mode.Value;
        set => s_mode.Value = value;
    }

    internal static void Opened() => Interlocked.Increment(ref s_open);

    internal static void Closed() => Interlocked.Decrement(ref s_open);
}

/// <summary>Ends anomaly detection when disposed; returned by <see cref="Autograd.DetectAnomaly"/>.</summary>
public sealed class AnomalyScope : IDisposable
{
    internal sealed record Mode(bool Enabled, bool CheckNan);

    private readonly Mode? _previous;
    private bool _disposed;

    internal AnomalyScope(bool enabled, bool checkNan)
    {
        _previous = Anomaly.Current;
        Anomaly.Current = new Mode(enabled, checkNan);
        Anomaly.Opened();
    }

    /// <summary>Restores the anomaly mode that was current before the scope.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Anomaly.Current = _previous;
        Anomaly.Closed();
    }
}

public static partial class Autograd
{
    /// <summary>
    /// Anomaly detection until the returned scope is disposed (<c>torch.autograd.detect_anomaly()</c>):
    /// every node records the stack trace of the op that created it, and a backward formula that
    /// produces NaN (with <paramref name="checkNan"/>) or throws is reported with that trace. Slow; for debugging.
    /// </summary>
    public static AnomalyScope DetectAnomaly(bool checkNan = true) => new(true, checkNan);

    /// <summary>True inside <see cref="DetectAnomaly"/> (<c>torch.is_anomaly_enabled()</c>).</summary>
    public static bool IsAnomalyEnabled => Anomaly.IsEnabled;
}
