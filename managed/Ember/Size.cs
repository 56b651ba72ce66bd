using System.Collections;
using System.Globalization;

namespace Ember;

/// <summary>
/// The sizes of a tensor's dims (<c>torch.Size</c>): an immutable list of <see cref="long"/> that indexes
/// like PyTorch (<c>shape[^1]</c> for the last dim) and converts to <see cref="ReadOnlySpan{T}"/> so
/// that it can be passed wherever a shape goes (<c>x.View(y.Shape)</c>).
/// </summary>
public readonly struct Size : IReadOnlyList<long>, IEquatable<Size>
{
    private readonly long[]? _sizes;

    /// <summary>Wraps sizes without copying; the array must never change afterwards.</summary>
    internal Size(long[] sizes) => _sizes = sizes;

    /// <summary>Creates a size from the given dims (copied).</summary>
    public Size(params ReadOnlySpan<long> sizes) => _sizes = sizes.ToArray();

    /// <summary>Number of dims.</summary>
    public int Count => _sizes?.Length ?? 0;

    /// <summary>Number of dims (for index-from-end support).</summary>
    public int Length => Count;

    /// <summary>Size of one dim.</summary>
    public long this[int index] => (_sizes ?? [])[index];

    /// <summary>Number of elements a tensor of this size holds (<c>torch.Size.numel()</c>).</summary>
    public long NumEl()
    {
        long n = 1;
        foreach (long s in AsSpan())
            n *= s;
        return n;
    }

    /// <summary>The dims as a read-only span.</summary>
    public ReadOnlySpan<long> AsSpan() => _sizes;

    /// <summary>A copy of the dims.</summary>
    public long[] ToArray() => AsSpan().ToArray();

    /// <summary>The dims as a read-only span.</summary>
    public static implicit operator ReadOnlySpan<long>(Size size) => size._sizes;

    /// <inheritdoc/>
    public IEnumerator<long> GetEnumerator() => ((IEnumerable<long>)(_sizes ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(Size other) => AsSpan().SequenceEqual(other.AsSpan());

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Size other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (long s in AsSpan())
            hash.Add(s);
        return hash.ToHashCode();
    }

    /// <summary>Equal dims.</summary>
    public static bool operator ==(Size left, Size right) => left.Equals(right);

    /// <summary>Different dims.</summary>
    public static bool operator !=(Size left, Size right) => !left.Equals(right);

    /// <summary>The dims in brackets, as error messages and PyTorch print them: <c>[2, 3]</c>.</summary>
    public override string ToString() =>
        "[" + string.Join(", ", (_sizes ?? []).Select(s => s.ToString(CultureInfo.InvariantCulture))) + "]";
}
