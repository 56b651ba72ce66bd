using System.Globalization;
using Ember.Interop;

namespace Ember;

/// <summary>Kind of device a tensor lives on (<c>torch.device.type</c>).</summary>
public enum DeviceType
{
    /// <summary>Host memory.</summary>
    CPU = (int)ember_device_type.EMBER_DEVICE_CPU,
    /// <summary>An NVIDIA GPU through the CUDA backend.</summary>
    CUDA = (int)ember_device_type.EMBER_DEVICE_CUDA,
    /// <summary>An AMD GPU through the HIP backend.</summary>
    HIP = (int)ember_device_type.EMBER_DEVICE_HIP,
    /// <summary>An Apple GPU through the Metal backend.</summary>
    Metal = (int)ember_device_type.EMBER_DEVICE_METAL,
}

/// <summary>A device: a type and an index (<c>torch.device</c>), written like PyTorch (<c>cpu</c>, <c>cuda:0</c>).</summary>
public readonly struct Device : IEquatable<Device>
{
    /// <summary>The host.</summary>
    public static Device CPU => new(DeviceType.CPU, 0);

    /// <summary>The CUDA device with the given index.</summary>
    public static Device Cuda(int index = 0) => new(DeviceType.CUDA, index);

    /// <summary>Creates a device.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is negative.</exception>
    public Device(DeviceType type, int index = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        Type = type;
        Index = index;
    }

    /// <summary>Parses a device string like PyTorch's (<c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:1"</c>, <c>"hip:0"</c>, <c>"metal"</c>).</summary>
    public Device(string description) => this = Parse(description);

    /// <summary>The device type.</summary>
    public DeviceType Type { get; }

    /// <summary>The device index within its type (0 for the CPU).</summary>
    public int Index { get; }

    /// <summary>Parses a device string like PyTorch's (<c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:1"</c>).</summary>
    /// <exception cref="FormatException">The text names no known device.</exception>
    public static Device Parse(string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        string text = description.Trim();
        int colon = text.IndexOf(':');
        string name = colon < 0 ? text : text[..colon];
        int index = 0;
        if (colon >= 0 && !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out index))
            throw new FormatException($"invalid device string '{description}': the index after ':' must be a non-negative integer");
        DeviceType type = name.ToLowerInvariant() switch
        {
            "cpu" => DeviceType.CPU,
            "cuda" => DeviceType.CUDA,
            "hip" => DeviceType.HIP,
            "metal" or "mps" => DeviceType.Metal,
            _ => throw new FormatException($"invalid device string '{description}': expected cpu, cuda, hip or metal, optionally followed by ':index'"),
        };
        return new Device(type, index);
    }

    /// <summary>Parses a device string, returning false when it is not one.</summary>
    public static bool TryParse(string? description, out Device device)
    {
        device = CPU;
        if (description is null) return false;
        try
        {
            device = Parse(description);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>PyTorch's spelling: <c>cpu</c>, <c>cuda:0</c>, <c>hip:1</c>, <c>metal:0</c>.</summary>
    public override string ToString() => Type switch
    {
        DeviceType.CPU => "cpu",
        DeviceType.CUDA => "cuda:" + Index.ToString(CultureInfo.InvariantCulture),
        DeviceType.HIP => "hip:" + Index.ToString(CultureInfo.InvariantCulture),
        DeviceType.Metal => "metal:" + Index.ToString(CultureInfo.InvariantCulture),
        _ => $"{Type}:{Index}",
    };

    /// <inheritdoc/>
    public bool Equals(Device other) => Type == other.Type && Index == other.Index;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Device other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Type, Index);

    /// <summary>Equality of type and index.</summary>
    public static bool operator ==(Device left, Device right) => left.Equals(right);

    /// <summary>Inequality of type or index.</summary>
    public static bool operator !=(Device left, Device right) => !left.Equals(right);

    /// <summary>Parses a device string (<c>"cuda:0"</c>), as PyTorch accepts strings wherever a device goes.</summary>
    public static implicit operator Device(string description) => Parse(description);

    internal ember_device ToNative() => new() { type = (int)Type, index = Index };
}
