using System.Globalization;

namespace Ember;

/// <summary>
/// A brain floating-point number (<c>torch.bfloat16</c>): the upper 16 bits of an IEEE single, with
/// round-to-nearest-even conversion from <see cref="float"/> as PyTorch does.
/// </summary>
public readonly struct BFloat16 : IEquatable<BFloat16>, IComparable<BFloat16>, IFormattable
{
    /// <summary>The raw 16 bits.</summary>
    public ushort RawValue { get; }

    private BFloat16(ushort bits) => RawValue = bits;

    /// <summary>Builds a value from its raw 16 bits.</summary>
    public static BFloat16 FromBits(ushort bits) => new(bits);

    /// <summary>Rounds a single to the nearest bfloat16 (ties to even); NaN stays NaN.</summary>
    public static explicit operator BFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return new BFloat16((ushort)((bits >> 16) | 0x0040)); // keep it a quiet NaN
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return new BFloat16((ushort)((bits + roundingBias) >> 16));
    }

    /// <summary>Rounds a double to bfloat16 through single precision.</summary>
    public static explicit operator BFloat16(double value) => (BFloat16)(float)value;

    /// <summary>Widens to single precision exactly.</summary>
    public static implicit operator float(BFloat16 value) => BitConverter.UInt32BitsToSingle((uint)value.RawValue << 16);

    /// <summary>Widens to double precision exactly.</summary>
    public static implicit operator double(BFloat16 value) => (float)value;

    /// <summary>True when the value is NaN.</summary>
    public static bool IsNaN(BFloat16 value) => float.IsNaN(value);

    /// <inheritdoc/>
    public bool Equals(BFloat16 other) => ((float)this).Equals((float)other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => ((float)this).GetHashCode();

    /// <inheritdoc/>
    public int CompareTo(BFloat16 other) => ((float)this).CompareTo((float)other);

    /// <summary>Numeric equality (NaN is not equal to itself; +0 equals -0).</summary>
    public static bool operator ==(BFloat16 left, BFloat16 right) => (float)left == (float)right;

    /// <summary>Numeric inequality.</summary>
    public static bool operator !=(BFloat16 left, BFloat16 right) => (float)left != (float)right;

    /// <inheritdoc/>
    public override string ToString() => ((float)this).ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ((float)this).ToString(format, formatProvider);
}
