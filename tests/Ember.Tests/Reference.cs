using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ember.Tests;

/// <summary>PyTorch reference values written by tests/reference/make_tensor_reference.py.</summary>
internal static class Reference
{
    private static readonly Lazy<ReferenceFile> s_file = new(Load);

    public static IReadOnlyList<OpCase> Cases => s_file.Value.Cases;

    public static IReadOnlyList<PrintCase> Prints => s_file.Value.Prints;

    private static ReferenceFile Load()
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "tensor_reference.json");
        var options = new JsonSerializerOptions
        {
            PropertyNameCaseInsensitive = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        return JsonSerializer.Deserialize<ReferenceFile>(File.ReadAllText(path), options)
            ?? throw new InvalidDataException($"{path} is empty");
    }

    public static DType ParseDType(string name) => name switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        "float16" => DType.Float16,
        "bfloat16" => DType.BFloat16,
        "int8" => DType.Int8,
        "uint8" => DType.UInt8,
        "int16" => DType.Int16,
        "int32" => DType.Int32,
        "int64" => DType.Int64,
        "bool" => DType.Bool,
        _ => throw new InvalidDataException($"unknown dtype {name}"),
    };
}

internal sealed class ReferenceFile
{
    public List<OpCase> Cases { get; set; } = [];

    public List<PrintCase> Prints { get; set; } = [];
}

/// <summary>A tensor written by the reference script: dtype, shape and row-major values.</summary>
internal sealed class RefTensor
{
    public string DType { get; set; } = "";

    public long[] Shape { get; set; } = [];

    public double[] Data { get; set; } = [];

    /// <summary>Builds the tensor in its own dtype, from typed .NET data (no engine cast involved).</summary>
    public Tensor ToTensor()
    {
        DType dtype = Reference.ParseDType(DType);
        return dtype switch
        {
            Ember.DType.Float32 => Torch.Tensor<float>(Data.Select(v => (float)v).ToArray(), Shape),
            Ember.DType.Float64 => Torch.Tensor<double>(Data, Shape),
            Ember.DType.Float16 => Torch.Tensor<Half>(Data.Select(v => (Half)v).ToArray(), Shape),
            Ember.DType.BFloat16 => Torch.Tensor<BFloat16>(Data.Select(v => (BFloat16)v).ToArray(), Shape),
            Ember.DType.Int8 => Torch.Tensor<sbyte>(Data.Select(v => (sbyte)v).ToArray(), Shape),
            Ember.DType.UInt8 => Torch.Tensor<byte>(Data.Select(v => (byte)v).ToArray(), Shape),
            Ember.DType.Int16 => Torch.Tensor<short>(Data.Select(v => (short)v).ToArray(), Shape),
            Ember.DType.Int32 => Torch.Tensor<int>(Data.Select(v => (int)v).ToArray(), Shape),
            Ember.DType.Int64 => Torch.Tensor<long>(Data.Select(v => (long)v).ToArray(), Shape),
            Ember.DType.Bool => Torch.Tensor<bool>(Data.Select(v => v != 0).ToArray(), Shape),
            _ => throw new InvalidDataException(DType),
        };
    }
}

internal sealed class OpCase
{
    public string Name { get; set; } = "";

    public string Op { get; set; } = "";

    public List<RefTensor> Inputs { get; set; } = [];

    public Dictionary<string, JsonElement> Args { get; set; } = [];

    public RefTensor Expected { get; set; } = new();

    public override string ToString() => Name;
}

internal sealed class PrintCase
{
    public string Name { get; set; } = "";

    public RefTensor Input { get; set; } = new();

    public string Text { get; set; } = "";

    public override string ToString() => Name;
}
