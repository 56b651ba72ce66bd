using System.Collections.Generic;

namespace Ember.Bindings.Generator;

/// <summary>A C enum: its C name, its C# underlying type and its constants in declaration order.</summary>
internal sealed record EnumModel(string Name, string Underlying, IReadOnlyList<EnumMember> Members, long Size);

/// <summary>One enum constant, its value already formatted as a C# literal.</summary>
internal sealed record EnumMember(string Name, string Value);

/// <summary>A C struct with a definition in the headers.</summary>
internal sealed record StructModel(string Name, IReadOnlyList<FieldModel> Fields, long Size)
{
    /// <summary>Whether the C# struct needs the unsafe modifier (pointer fields or fixed buffers).</summary>
    public bool NeedsUnsafe => System.Linq.Enumerable.Any(Fields, f => f.FixedLength != null || f.Type.Contains('*'));
}

/// <summary>A struct field; FixedLength is set for a fixed-size array (emitted as a fixed buffer).</summary>
internal sealed record FieldModel(string Name, string Type, long Offset, long? FixedLength);

/// <summary>A typedef of a pointer to an incomplete struct: an opaque handle.</summary>
internal sealed record HandleModel(string Name, long Size);

/// <summary>
/// A function declaration, with C# types already mapped. NoBlock is set for a declaration marked EMBER_NOBLOCK
/// (it never blocks, never calls back and returns in nanoseconds): it is imported with [SuppressGCTransition].
/// </summary>
internal sealed record FunctionModel(string Name, string ReturnType, IReadOnlyList<ParameterModel> Parameters, bool NoBlock = false);

/// <summary>A function parameter.</summary>
internal sealed record ParameterModel(string Name, string Type);

/// <summary>An integer object-like macro; Type is int or long, Value a C# literal.</summary>
internal sealed record ConstantModel(string Name, string Type, string Value);

/// <summary>Everything the generator found in the headers.</summary>
internal sealed class HeaderModel
{
    public List<EnumModel> Enums { get; } = new();
    public List<StructModel> Structs { get; } = new();
    public List<HandleModel> Handles { get; } = new();
    public List<FunctionModel> Functions { get; } = new();
    public List<ConstantModel> Constants { get; } = new();

    /// <summary>The headers the model was read from, relative to the repository root, '/'-separated.</summary>
    public SortedSet<string> SourceFiles { get; } = new(System.StringComparer.Ordinal);

    /// <summary>Non-fatal libclang diagnostics (warnings), formatted with file:line.</summary>
    public List<string> Warnings { get; } = new();
}
