namespace Ember;

/// <summary>
/// The implicit gradient a backward starts from (ones for <c>y.Backward()</c>, 1/n through a mean), without
/// a fill kernel each time: the last small seed made on this thread is kept and handed out as a new
/// reference marked shared, so nothing adds into it in place (the engine copies a shared gradient before
/// storing or changing it). Nodes never change an incoming gradient; should anything else do so, the
/// version check below notices and makes a fresh one.
/// </summary>
internal static class Seeds
{
    // Only a loss-sized seed is kept (a few bytes per thread that ran a backward); larger ones are made each time.
    private const long MaxCachedElements = 16;

    internal sealed class Entry(Tensor value, long[] shape, DType dtype, Device device, double fill, long version)
    {
        public readonly Tensor Value = value;
        public readonly long[] Shape = shape;
        public readonly DType DType = dtype;
        public readonly Device Device = device;
        public readonly double Fill = fill;
        public readonly long Version = version;
    }

    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="fill"/>, owned by the caller (in the current scope).</summary>
    public static Tensor Filled(long[] shape, DType dtype, Device device, double fill) => Filled(AutogradThread.Current, shape, dtype, device, fill);

    /// <summary><see cref="Filled(long[], DType, Device, double)"/> with the calling thread's state already at hand.</summary>
    public static Tensor Filled(AutogradThread thread, long[] shape, DType dtype, Device device, double fill)
    {
        long n = 1;
        foreach (long s in shape)
            n *= s;
        if (n > MaxCachedElements)
            return Make(shape, dtype, device, fill);
        Entry? e = thread.Seed;
        if (e is null || e.DType != dtype || e.Device != device || e.Fill != fill || !Grads.SameShape(e.Shape, shape)
            || e.Value.VersionCounter != e.Version)
        {
            Tensor value = Make(shape, dtype, device, fill).DetachFromScope();
            thread.Seed?.Value.Dispose();
            thread.Seed = e = new Entry(value, shape, dtype, device, fill, value.VersionCounter);
        }
        return e.Value.SharedRef().KnownLayout(shape, dtype);
    }

    private static Tensor Make(long[] shape, DType dtype, Device device, double fill) =>
        (fill == 1.0 ? Torch.Ones(shape, dtype, device) : Torch.Full(shape, fill, dtype, device)).KnownLayout(shape, dtype);
}
