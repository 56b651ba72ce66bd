using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Ember.Interop;

namespace Ember.Serialization;

/// <summary>
/// Reads and writes tensors in the safetensors format (https://huggingface.co/docs/safetensors), so
/// that checkpoints interoperate with PyTorch's <c>safetensors.torch.save_file</c>/<c>load_file</c>:
/// an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
/// range, then the raw little-endian data.
/// </summary>
/// <remarks>
/// Writing sorts the tensors by name (ordinal) and the metadata by key, pads the header with spaces
/// to a multiple of 8 bytes, and replaces the target file only once the new one is complete.
/// Loading memory-maps the file, validates the whole header against the file before allocating any
/// tensor, and copies each tensor's bytes straight into a new CPU tensor. A malformed file gives an
/// <see cref="InvalidDataException"/> naming the file and the defect: a header length over
/// <see cref="MaxHeaderLength"/> or past the end of the file, JSON that is not one object, duplicate
/// names, an unknown dtype, a negative or fractional size, a shape whose byte size differs from its
/// byte range (computed without overflow), a range outside the data, overlapping ranges, bytes no
/// tensor covers, or a bool byte other than 0 and 1.
/// </remarks>
public static unsafe class SafeTensors
{
    /// <summary>The largest header accepted on load (100 MB), as in the reference implementation.</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>The most dims a tensor in a file may have.</summary>
    public const int MaxDims = 64;

    private const string MetadataKey = "__metadata__";

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> (<c>safetensors.torch.save_file</c>).</summary>
    /// <param name="tensors">The tensors by name, on any device and of any layout; names must be unique.</param>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="metadata">Free-form text stored under <c>__metadata__</c>, or null.</param>
    /// <exception cref="ArgumentException">A name is repeated, empty of a tensor, or is <c>__metadata__</c>.</exception>
    public static void Save(IEnumerable<KeyValuePair<string, Tensor>> tensors, string path, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentException.ThrowIfNullOrEmpty(path);
        RequireLittleEndian();
        var named = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            ArgumentNullException.ThrowIfNull(name, nameof(tensors));
            if (name == MetadataKey)
                throw new ArgumentException($"SafeTensors.Save: '{MetadataKey}' is reserved for the metadata and cannot name a tensor.", nameof(tensors));
            if (tensor is null)
                throw new ArgumentException($"SafeTensors.Save: tensor '{name}' is null.", nameof(tensors));
            if (!named.TryAdd(name, tensor))
                throw new ArgumentException($"SafeTensors.Save: the name '{name}' is given twice.", nameof(tensors));
        }
        SortedDictionary<string, string>? meta = null;
        if (metadata is not null)
        {
            meta = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in metadata)
            {
                ArgumentNullException.ThrowIfNull(key, nameof(metadata));
                if (value is null)
                    throw new ArgumentException($"SafeTensors.Save: metadata value of '{key}' is null.", nameof(metadata));
                if (!meta.TryAdd(key, value))
                    throw new ArgumentException($"SafeTensors.Save: the metadata key '{key}' is given twice.", nameof(metadata));
            }
        }

        byte[] header = BuildHeader(named, meta);
        string full = Path.GetFullPath(path);
        string temp = full + ".tmp-" + Environment.ProcessId + "-" + Environment.CurrentManagedThreadId;
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var tensor in named.Values)
                    WriteData(stream, tensor);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Reads every tensor of a safetensors file into new CPU tensors (<c>safetensors.torch.load_file</c>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file (see the remarks).</exception>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Reads every tensor of a safetensors file, and its <c>__metadata__</c> (empty when there is none).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file (see the remarks).</exception>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RequireLittleEndian();
        using var file = MappedFile.Open(path);
        SafeTensorsHeader header = Parse(file, path);
        metadata = new Dictionary<string, string>(header.Metadata);
        byte* data = file.Pointer + header.DataOffset;
        foreach (var entry in header.Tensors)
        {
            if (entry.DType == DType.Bool)
                CheckBools(data + entry.Begin, entry, path);
        }
        var result = new Dictionary<string, Tensor>(header.Tensors.Count, StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Tensors)
                result.Add(entry.Name, FromBytes(data + entry.Begin, entry));
        }
        catch
        {
            foreach (var tensor in result.Values)
                tensor.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Reads and validates the header of a safetensors file without loading any tensor.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file.</exception>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = MappedFile.Open(path);
        return Parse(file, path);
    }

    /// <summary>The safetensors name of a dtype (<c>F32</c>, <c>BF16</c>, <c>BOOL</c>, ...).</summary>
    public static string DTypeName(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Float16 => "F16",
        DType.BFloat16 => "BF16",
        DType.Int8 => "I8",
        DType.UInt8 => "U8",
        DType.Int16 => "I16",
        DType.Int32 => "I32",
        DType.Int64 => "I64",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    private static DType? ParseDType(string name) => name switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "F16" => DType.Float16,
        "BF16" => DType.BFloat16,
        "I8" => DType.Int8,
        "U8" => DType.UInt8,
        "I16" => DType.Int16,
        "I32" => DType.Int32,
        "I64" => DType.Int64,
        "BOOL" => DType.Bool,
        _ => null,
    };

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("SafeTensors: safetensors data is little-endian; big-endian hosts are not supported.");
    }

    // ---- writing ----

    private static byte[] BuildHeader(SortedDictionary<string, Tensor> tensors, SortedDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                long bytes = tensor.NumEl * tensor.ElementSize;
                json.WriteStartObject(name);
                json.WriteString("dtype", DTypeName(tensor.DType));
                json.WriteStartArray("shape");
                foreach (long size in tensor.Shape)
                    json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // Pad with spaces so that the data starts 8-byte aligned, as the reference writer does.
        int padding = (int)(-buffer.Length & 7);
        for (int i = 0; i < padding; i++)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteData(FileStream stream, Tensor tensor)
    {
        long bytes = tensor.NumEl * tensor.ElementSize;
        if (bytes == 0)
            return;
        using Tensor host = tensor.Device == Device.CPU ? tensor.Contiguous() : ToHostContiguous(tensor);
        byte* p = (byte*)host.DataPointer;
        for (long written = 0; written < bytes;)
        {
            int chunk = (int)Math.Min(bytes - written, 1 << 30);
            stream.Write(new ReadOnlySpan<byte>(p + written, chunk));
            written += chunk;
        }
        GC.KeepAlive(host);
    }

    private static Tensor ToHostContiguous(Tensor tensor)
    {
        using Tensor host = tensor.To(Device.CPU);
        return host.Contiguous();
    }

    // ---- reading ----

    private static Tensor FromBytes(byte* data, SafeTensorsEntry entry)
    {
        long[] shape = entry.Shape.ToArray();
        ember_tensor r;
        fixed (long* s = shape)
            return Tensor.Wrap(NativeMethods.ember_from_data(data, entry.End - entry.Begin, s, shape.Length, (int)entry.DType, &r), r);
    }

    private static void CheckBools(byte* data, SafeTensorsEntry entry, string path)
    {
        long length = entry.End - entry.Begin;
        for (long start = 0; start < length; start += int.MaxValue)
        {
            var bytes = new ReadOnlySpan<byte>(data + start, (int)Math.Min(length - start, int.MaxValue));
            int bad = bytes.IndexOfAnyExcept((byte)0, (byte)1);
            if (bad >= 0)
                throw Invalid(path, $"tensor '{entry.Name}' of dtype BOOL holds the byte {bytes[bad]} at element {start + bad}; bool elements must be 0 or 1");
        }
    }

    private static SafeTensorsHeader Parse(MappedFile file, string path)
    {
        long fileLength = file.Length;
        if (fileLength < 8)
            throw Invalid(path, $"the file is {fileLength} bytes long, too short for the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(file.Pointer, 8));
        if (headerLength > MaxHeaderLength)
            throw Invalid(path, $"the header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes");
        if (headerLength > (ulong)(fileLength - 8))
            throw Invalid(path, $"the header length {headerLength} runs past the end of the file ({fileLength} bytes, so at most {fileLength - 8} bytes of header)");
        if (headerLength < 2)
            throw Invalid(path, $"the header length {headerLength} is too small for a JSON object");
        var json = new ReadOnlySpan<byte>(file.Pointer + 8, (int)headerLength);
        if (json[0] != (byte)'{')
            throw Invalid(path, $"the header must begin with '{{' but begins with byte 0x{json[0]:X2}");
        long dataOffset = 8 + (long)headerLength;
        long dataLength = fileLength - dataOffset;

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<SafeTensorsEntry>();
        try
        {
            ReadHeaderJson(json, metadata, entries, path);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"SafeTensors: {path}: the header is not valid JSON: {e.Message}", e);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"SafeTensors: {path}: the header is not valid UTF-8: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"SafeTensors: {path}: the header is not valid JSON: {e.Message}", e);
        }

        foreach (var entry in entries)
        {
            if (entry.End > dataLength)
                throw Invalid(path, $"tensor '{entry.Name}' has data_offsets [{entry.Begin}, {entry.End}] outside the data region of {dataLength} bytes");
        }
        // The ranges, in order, must tile the data region exactly: no gap, no overlap, nothing left over.
        var ordered = entries.ToArray();
        Array.Sort(ordered, static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        string? previous = null;
        foreach (var entry in ordered)
        {
            if (entry.Begin < expected)
                throw Invalid(path, $"tensor '{entry.Name}' (bytes [{entry.Begin}, {entry.End}]) overlaps tensor '{previous}', which ends at byte {expected}");
            if (entry.Begin > expected)
                throw Invalid(path, $"bytes [{expected}, {entry.Begin}) of the data region belong to no tensor (a hole before tensor '{entry.Name}')");
            expected = entry.End;
            previous = entry.Name;
        }
        if (expected != dataLength)
            throw Invalid(path, $"the data region is {dataLength} bytes but the tensors cover only {expected}; {dataLength - expected} trailing bytes belong to no tensor");
        return new SafeTensorsHeader(metadata, entries, dataOffset);
    }

    private static void ReadHeaderJson(ReadOnlySpan<byte> json, Dictionary<string, string> metadata, List<SafeTensorsEntry> entries, string path)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 4 });
        var names = new HashSet<string>(StringComparer.Ordinal);
        Expect(ref reader, JsonTokenType.StartObject, "the header", path);
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndObject)
                break;
            string name = reader.GetString()!;
            if (!names.Add(name))
                throw Invalid(path, $"the name '{name}' appears twice in the header");
            if (name == MetadataKey)
                ReadMetadata(ref reader, metadata, path);
            else
                entries.Add(ReadEntry(ref reader, name, path));
        }
        if (reader.Read())
            throw Invalid(path, $"unexpected {reader.TokenType} after the header object");
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string path)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"'{MetadataKey}'", path);
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndObject)
                return;
            string key = reader.GetString()!;
            Next(ref reader, path);
            if (reader.TokenType != JsonTokenType.String)
                throw Invalid(path, $"metadata value of '{key}' is a {reader.TokenType}, not a string");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw Invalid(path, $"the metadata key '{key}' appears twice");
        }
    }

    private static SafeTensorsEntry ReadEntry(ref Utf8JsonReader reader, string name, string path)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"tensor '{name}'", path);
        DType? dtype = null;
        List<long>? shape = null;
        long[]? offsets = null;
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndObject)
                break;
            string field = reader.GetString()!;
            switch (field)
            {
                case "dtype" when dtype is null:
                    Next(ref reader, path);
                    if (reader.TokenType != JsonTokenType.String)
                        throw Invalid(path, $"tensor '{name}' has a dtype that is a {reader.TokenType}, not a string");
                    string text = reader.GetString()!;
                    dtype = ParseDType(text)
                        ?? throw Invalid(path, $"tensor '{name}' has dtype '{text}', which Ember does not support (F32, F64, F16, BF16, I8, U8, I16, I32, I64, BOOL)");
                    break;
                case "shape" when shape is null:
                    shape = ReadIntegers(ref reader, name, "shape", MaxDims, path);
                    break;
                case "data_offsets" when offsets is null:
                    var pair = ReadIntegers(ref reader, name, "data_offsets", 2, path);
                    if (pair.Count != 2)
                        throw Invalid(path, $"tensor '{name}' has {pair.Count} data_offsets; expected [begin, end]");
                    offsets = [pair[0], pair[1]];
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw Invalid(path, $"tensor '{name}' gives '{field}' twice");
                default:
                    throw Invalid(path, $"tensor '{name}' has an unknown field '{field}' (expected dtype, shape and data_offsets)");
            }
        }
        if (dtype is null || shape is null || offsets is null)
        {
            string missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw Invalid(path, $"tensor '{name}' has no '{missing}'");
        }
        if (offsets[0] > offsets[1])
            throw Invalid(path, $"tensor '{name}' has data_offsets [{offsets[0]}, {offsets[1]}] that end before they begin");
        // Element count times element size, refusing overflow (a hostile shape must not wrap around).
        long bytes = 0;
        if (!shape.Contains(0))
        {
            UInt128 product = (ulong)dtype.Value.ElementSize();
            foreach (long size in shape)
            {
                product *= (ulong)size; // both factors are below 2^63: no UInt128 overflow
                if (product > long.MaxValue)
                    throw Invalid(path, $"tensor '{name}' has shape [{string.Join(", ", shape)}], whose byte size overflows");
            }
            bytes = (long)product;
        }
        var shapeText = "[" + string.Join(", ", shape) + "]";
        if (bytes != offsets[1] - offsets[0])
            throw Invalid(path,
                $"tensor '{name}' of dtype {DTypeName(dtype.Value)} and shape {shapeText} needs {bytes} bytes but its data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]}");
        return new SafeTensorsEntry(name, dtype.Value, new Size([.. shape]), offsets[0], offsets[1]);
    }

    /// <summary>Reads an array of at most <paramref name="limit"/> non-negative integers.</summary>
    private static List<long> ReadIntegers(ref Utf8JsonReader reader, string name, string field, int limit, string path)
    {
        Expect(ref reader, JsonTokenType.StartArray, $"'{field}' of tensor '{name}'", path);
        var values = new List<long>();
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndArray)
                return values;
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value))
                throw Invalid(path, $"'{field}' of tensor '{name}' holds {Describe(ref reader)}, not an integer");
            if (value < 0)
                throw Invalid(path, $"'{field}' of tensor '{name}' holds the negative value {value}");
            if (values.Count == limit)
                throw Invalid(path, $"'{field}' of tensor '{name}' has more than {limit} entries");
            values.Add(value);
        }
    }

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => $"the number {Encoding.UTF8.GetString(reader.ValueSpan)}",
        JsonTokenType.String => $"the string \"{reader.GetString()}\"",
        _ => $"a {reader.TokenType}",
    };

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what, string path)
    {
        Next(ref reader, path);
        if (reader.TokenType != type)
            throw Invalid(path, $"{what} should be a JSON {(type == JsonTokenType.StartObject ? "object" : "array")} but is a {reader.TokenType}");
    }

    private static void Next(ref Utf8JsonReader reader, string path)
    {
        if (!reader.Read())
            throw Invalid(path, "the header JSON ends early");
    }

    private static InvalidDataException Invalid(string path, string message) => new($"SafeTensors: {path}: {message}.");

    /// <summary>A read-only memory map of a whole file.</summary>
    private sealed class MappedFile : IDisposable
    {
        private readonly MemoryMappedFile? _map;
        private readonly MemoryMappedViewAccessor? _view;

        private MappedFile(MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* pointer, long length)
        {
            _map = map;
            _view = view;
            Pointer = pointer;
            Length = length;
        }

        public byte* Pointer { get; }

        public long Length { get; }

        public static MappedFile Open(string path)
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            long length = stream.Length;
            if (length == 0)
            {
                stream.Dispose(); // an empty file cannot be mapped; Parse reports it as too short
                return new MappedFile(null, null, null, 0);
            }
            MemoryMappedFile? map = null;
            MemoryMappedViewAccessor? view = null;
            try
            {
                map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
                view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
                byte* pointer = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
                return new MappedFile(map, view, pointer + view.PointerOffset, length);
            }
            catch
            {
                view?.Dispose();
                if (map is null) stream.Dispose(); else map.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            if (_view is not null)
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _view.Dispose();
            }
            _map?.Dispose();
        }
    }
}

/// <summary>The validated header of a safetensors file.</summary>
public sealed class SafeTensorsHeader
{
    internal SafeTensorsHeader(Dictionary<string, string> metadata, List<SafeTensorsEntry> tensors, long dataOffset)
    {
        Metadata = metadata;
        Tensors = tensors;
        DataOffset = dataOffset;
    }

    /// <summary>The <c>__metadata__</c> strings (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<SafeTensorsEntry> Tensors { get; }

    /// <summary>Where the data region starts in the file: 8 plus the header length.</summary>
    public long DataOffset { get; }
}

/// <summary>One tensor of a safetensors header.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="DType">Its dtype.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Begin">First byte of its data, relative to the data region.</param>
/// <param name="End">One past its last byte.</param>
public readonly record struct SafeTensorsEntry(string Name, DType DType, Size Shape, long Begin, long End);
