namespace Ember;

/// <summary>
/// One entry of a tensor index, as in PyTorch's <c>x[0, 1:3, ..., None, mask]</c> (TorchSharp's
/// <c>TensorIndex</c>): a single position, a slice, an ellipsis, a new axis, a boolean, or a tensor of
/// integer positions or a boolean mask (advanced indexing). Converts implicitly from <see cref="int"/>,
/// <see cref="long"/>, <see cref="System.Index"/> (<c>^1</c>), <see cref="System.Range"/> (<c>1..^1</c>),
/// <see cref="bool"/> and <see cref="Tensor"/>:
/// <code>
/// Tensor row = x[0];                     // x[0]
/// Tensor mid = x[.., 1..^1];             // x[:, 1:-1]
/// Tensor odd = x[TensorIndex.Slice(1, null, 2)]; // x[1::2]
/// x[mask] = 0;                           // x[mask] = 0
/// </code>
/// </summary>
public readonly struct TensorIndex
{
    internal enum Kinds
    {
        Single,
        Slice,
        Ellipsis,
        None,
        Bool,
        Tensor,
    }

    internal Kinds Kind { get; }

    // Single: Start (FromEnd1 counts from the end). Slice: Start..Stop by Step (null means open).
    internal long Start { get; }

    internal long? SliceStart { get; }

    internal long? SliceStop { get; }

    internal long Step { get; }

    internal bool FromEnd { get; }

    internal bool StartFromEnd { get; }

    internal bool StopFromEnd { get; }

    internal bool BoolValue { get; }

    internal Tensor? TensorValue { get; }

    private TensorIndex(Kinds kind, long start = 0, bool fromEnd = false, long? sliceStart = null, bool startFromEnd = false,
        long? sliceStop = null, bool stopFromEnd = false, long step = 1, bool boolValue = false, Tensor? tensor = null)
    {
        Kind = kind;
        Start = start;
        FromEnd = fromEnd;
        SliceStart = sliceStart;
        StartFromEnd = startFromEnd;
        SliceStop = sliceStop;
        StopFromEnd = stopFromEnd;
        Step = step;
        BoolValue = boolValue;
        TensorValue = tensor;
    }

    /// <summary>All the dims not otherwise indexed (Python's <c>...</c>).</summary>
    public static TensorIndex Ellipsis { get; } = new(Kinds.Ellipsis);

    /// <summary>A new dim of size 1 (Python's <c>None</c>, NumPy's <c>newaxis</c>).</summary>
    public static TensorIndex None { get; } = new(Kinds.None);

    /// <summary>One position of a dim, which is removed (Python's <c>x[i]</c>); negative counts from the end.</summary>
    public static TensorIndex Single(long index) => new(Kinds.Single, index);

    /// <summary>Positions <paramref name="start"/>, start+step, ... below <paramref name="stop"/> (Python's <c>start:stop:step</c>); null is open, negative counts from the end.</summary>
    /// <exception cref="ArgumentException"><paramref name="step"/> is not positive.</exception>
    public static TensorIndex Slice(long? start = null, long? stop = null, long step = 1)
    {
        if (step <= 0)
            throw new ArgumentException($"slice step must be positive, got {step}", nameof(step));
        return new(Kinds.Slice, sliceStart: start, sliceStop: stop, step: step);
    }

    /// <summary>A boolean: true adds a dim of size 1, false a dim of size 0 (Python's <c>x[True]</c>).</summary>
    public static TensorIndex Bool(bool value) => new(Kinds.Bool, boolValue: value);

    /// <summary>An integer tensor of positions, or a boolean mask (advanced indexing).</summary>
    public static TensorIndex Tensor(Tensor index) => new(Kinds.Tensor, tensor: index ?? throw new ArgumentNullException(nameof(index)));

    /// <summary>A single position.</summary>
    public static implicit operator TensorIndex(int index) => Single(index);

    /// <summary>A single position.</summary>
    public static implicit operator TensorIndex(long index) => Single(index);

    /// <summary>A single position; <c>^1</c> is the last.</summary>
    public static implicit operator TensorIndex(Index index) => new(Kinds.Single, index.Value, fromEnd: index.IsFromEnd);

    /// <summary>A slice with step 1; <c>1..^1</c> drops the first and the last.</summary>
    public static implicit operator TensorIndex(Range range) =>
        new(Kinds.Slice, sliceStart: range.Start.Value, startFromEnd: range.Start.IsFromEnd, sliceStop: range.End.Value, stopFromEnd: range.End.IsFromEnd);

    /// <summary>A boolean index.</summary>
    public static implicit operator TensorIndex(bool value) => Bool(value);

    /// <summary>An integer tensor of positions, or a boolean mask.</summary>
    public static implicit operator TensorIndex(Tensor index) => Tensor(index);

    /// <summary>Python's spelling of the entry, e.g. <c>1:-1:2</c>.</summary>
    public override string ToString() => Kind switch
    {
        Kinds.Single => FromEnd ? $"-{Start}" : $"{Start}",
        Kinds.Slice => $"{Bound(SliceStart, StartFromEnd)}:{Bound(SliceStop, StopFromEnd)}{(Step == 1 ? "" : $":{Step}")}",
        Kinds.Ellipsis => "...",
        Kinds.None => "None",
        Kinds.Bool => BoolValue ? "True" : "False",
        _ => $"tensor of shape {TensorValue!.Shape}",
    };

    private static string Bound(long? v, bool fromEnd) => v is null ? "" : fromEnd ? (v == 0 ? "" : $"-{v}") : $"{v}";

    /// <summary>The number of dims of the indexed tensor this entry consumes.</summary>
    internal int Consumes => Kind switch
    {
        Kinds.Single or Kinds.Slice => 1,
        Kinds.Tensor => TensorValue!.DType is DType.Bool or DType.UInt8 ? Math.Max(TensorValue.Dim, 0) : 1,
        _ => 0,
    };

    /// <summary>The slice bounds resolved against a dim of <paramref name="size"/>; an end counted from the end of ^0 is the size.</summary>
    internal (long Start, long Stop) Resolve(long size)
    {
        long start = SliceStart is { } s ? (StartFromEnd ? size - s : s) : 0;
        long stop = SliceStop is { } e ? (StopFromEnd ? size - e : e) : long.MaxValue;
        return (start, stop);
    }
}
