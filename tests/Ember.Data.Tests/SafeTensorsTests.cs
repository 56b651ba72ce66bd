using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Ember.Serialization;

namespace Ember.Data.Tests;

public class SafeTensorsTests
{
    private static readonly DType[] AllDTypes =
        [DType.Float32, DType.Float64, DType.Float16, DType.BFloat16, DType.Int8, DType.UInt8, DType.Int16, DType.Int32, DType.Int64, DType.Bool];

    /// <summary>Element bits of a tensor, widened to ulong, row-major.</summary>
    private static ulong[] Bits(Tensor t) => t.DType switch
    {
        DType.Float32 => [.. t.ToArray<float>().Select(v => (ulong)BitConverter.SingleToUInt32Bits(v))],
        DType.Float64 => [.. t.ToArray<double>().Select(BitConverter.DoubleToUInt64Bits)],
        DType.Float16 => [.. t.ToArray<Half>().Select(v => (ulong)BitConverter.HalfToUInt16Bits(v))],
        DType.BFloat16 => [.. t.ToArray<BFloat16>().Select(v => (ulong)MemoryMarshalBits(v))],
        DType.Int8 => [.. t.ToArray<sbyte>().Select(v => (ulong)(byte)v)],
        DType.UInt8 => [.. t.ToArray<byte>().Select(v => (ulong)v)],
        DType.Int16 => [.. t.ToArray<short>().Select(v => (ulong)(ushort)v)],
        DType.Int32 => [.. t.ToArray<int>().Select(v => (ulong)(uint)v)],
        DType.Int64 => [.. t.ToArray<long>().Select(v => (ulong)v)],
        DType.Bool => [.. t.ToArray<bool>().Select(v => v ? 1UL : 0UL)],
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    private static ushort MemoryMarshalBits(BFloat16 v) => System.Runtime.CompilerServices.Unsafe.As<BFloat16, ushort>(ref v);

    /// <summary>A tensor of the dtype with varied values, built from float64 by the engine's cast.</summary>
    private static Tensor Sample(DType dtype, params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        double[] values = [.. Enumerable.Range(0, (int)n).Select(i => dtype == DType.Bool ? i % 3 % 2 : (i * 37 % 23) - 11 + 0.25 * (i % 4))];
        using var t = Ember.Torch.Tensor<double>(values, shape);
        return t.To(dtype);
    }

    private static string TempFile(string name = "t.safetensors") => Path.Combine(Fixtures.TempDir(), name);

    [Test]
    public void RoundTripsEveryDtypeAndShape()
    {
        var tensors = new Dictionary<string, Tensor>();
        foreach (var dtype in AllDTypes)
        {
            string n = SafeTensors.DTypeName(dtype);
            tensors[$"{n}.matrix"] = Sample(dtype, 3, 5);
            tensors[$"{n}.scalar"] = Sample(dtype);
            tensors[$"{n}.empty"] = Sample(dtype, 2, 0, 3);
            using var wide = Sample(dtype, 4, 3);
            tensors[$"{n}.transposed"] = wide.Transpose(0, 1);   // not contiguous
        }
        string path = TempFile();
        Ember.Torch.Save(tensors, path, new Dictionary<string, string> { ["epoch"] = "4", ["ünïcode"] = "✓" });
        var loaded = SafeTensors.Load(path, out var metadata);
        Assert.That(metadata, Is.EqualTo(new Dictionary<string, string> { ["epoch"] = "4", ["ünïcode"] = "✓" }));
        Assert.That(loaded.Keys, Is.EquivalentTo(tensors.Keys));
        foreach (var (name, original) in tensors)
        {
            Tensor back = loaded[name];
            Assert.That(back.DType, Is.EqualTo(original.DType), name);
            Assert.That(back.Shape, Is.EqualTo(original.Shape), name);
            Assert.That(back.Device, Is.EqualTo(Device.CPU), name);
            Assert.That(Bits(back), Is.EqualTo(Bits(original)), name);
        }
        foreach (var t in tensors.Values.Concat(loaded.Values))
            t.Dispose();
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Is.EqualTo(new[] { path }), "no temporary file is left");
    }

    [Test]
    public void WritesTheReferenceLayout()
    {
        string path = TempFile();
        using var b = Ember.Torch.Tensor<byte>([7, 8, 9], [3]);
        using var a = Ember.Torch.Tensor<int>([1, -2], [2]);
        SafeTensors.Save([new("b", b), new("a", a)], path, new Dictionary<string, string> { ["k"] = "v" });
        byte[] file = File.ReadAllBytes(path);
        // Worked out by hand from the format: names sorted, compact JSON, spaces up to a multiple of 8.
        string json = "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
                      "\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[8,11]}}";
        string padded = json + new string(' ', (8 - json.Length % 8) % 8);
        Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(file), Is.EqualTo((ulong)padded.Length));
        Assert.That(Encoding.UTF8.GetString(file, 8, padded.Length), Is.EqualTo(padded));
        Assert.That(file[(8 + padded.Length)..], Is.EqualTo(new byte[] { 1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 7, 8, 9 }));
    }

    private static IEnumerable<string> PythonFixtures() =>
        Fixtures.Load(Path.Combine("safetensors", "expected.json")).EnumerateObject().Select(p => p.Name);

    [TestCaseSource(nameof(PythonFixtures))]
    public void ReadsFilesWrittenByPython(string file)
    {
        var expected = Fixtures.SafeTensorsExpected.GetProperty(file);
        var tensors = SafeTensors.Load(Fixtures.PathOf("safetensors", file), out var metadata);
        var expectedTensors = expected.GetProperty("tensors");
        Assert.That(tensors.Keys, Is.EquivalentTo(expectedTensors.EnumerateObject().Select(p => p.Name)));
        foreach (var entry in expectedTensors.EnumerateObject())
        {
            Tensor t = tensors[entry.Name];
            Assert.That(SafeTensors.DTypeName(t.DType), Is.EqualTo(entry.Value.GetProperty("dtype").GetString()), entry.Name);
            Assert.That(t.Shape.ToArray(), Is.EqualTo(entry.Value.GetProperty("shape").Longs()), entry.Name);
            Assert.That(Bits(t), Is.EqualTo(entry.Value.GetProperty("bits").EnumerateArray().Select(x => x.GetUInt64())), entry.Name);
            t.Dispose();
        }
        var expectedMeta = expected.TryGetProperty("metadata", out var m)
            ? m.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!)
            : [];
        Assert.That(metadata, Is.EqualTo(expectedMeta));
    }

    [Test]
    public void ReadHeaderListsTensorsWithoutLoadingThem()
    {
        var header = SafeTensors.ReadHeader(Fixtures.PathOf("safetensors", "with_metadata.safetensors"));
        Assert.That(header.Metadata["epoch"], Is.EqualTo("3"));
        // The Python writer lays data out by dtype, not by name; the header keeps its own order.
        Assert.That(header.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "step", "encoder.weight", "a.first", "encoder.bias", "mask" }));
        var weight = header.Tensors[1];
        Assert.That((weight.DType, weight.Shape.ToArray(), weight.Begin, weight.End), Is.EqualTo((DType.Float32, new long[] { 4, 3 }, 8L, 56L)));
        Assert.That(header.DataOffset % 8, Is.Zero);
    }

    [Test]
    public void SaveRejectsBadArguments()
    {
        using var t = Ember.Torch.Zeros(2);
        string path = TempFile();
        Assert.Throws<ArgumentException>(() => SafeTensors.Save([new("x", t), new("x", t)], path));
        Assert.Throws<ArgumentException>(() => SafeTensors.Save([new("__metadata__", t)], path));
        Assert.Throws<ArgumentException>(() => SafeTensors.Save([new("x", null!)], path));
        Assert.That(File.Exists(path), Is.False);
        Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(path));
    }

    [Test]
    public void SaveReplacesAnExistingFile()
    {
        string path = TempFile();
        File.WriteAllText(path, "old contents that are not safetensors");
        using var t = Ember.Torch.Ones(3);
        Ember.Torch.Save(new Dictionary<string, Tensor> { ["w"] = t }, path);
        var loaded = Ember.Torch.Load(path);
        Assert.That(loaded["w"].ToArray<float>(), Is.EqualTo(new[] { 1f, 1f, 1f }));
        loaded["w"].Dispose();
    }

    // ---- malformed files: each validation rule ----

    /// <summary>Writes a file from a header text (padded to 8 like a real writer unless told otherwise) and data bytes.</summary>
    private static string Malformed(string header, byte[]? data = null, ulong? headerLength = null, bool pad = true)
    {
        byte[] json = Encoding.UTF8.GetBytes(pad ? header + new string(' ', (8 - Encoding.UTF8.GetByteCount(header) % 8) % 8) : header);
        var file = new byte[8 + json.Length + (data?.Length ?? 0)];
        BinaryPrimitives.WriteUInt64LittleEndian(file, headerLength ?? (ulong)json.Length);
        json.CopyTo(file, 8);
        data?.CopyTo(file, 8 + json.Length);
        string path = TempFile("bad.safetensors");
        File.WriteAllBytes(path, file);
        return path;
    }

    private static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    private static void AssertInvalid(string path, string fragment)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Message, Does.Contain(path), "the message names the file");
        Assert.That(e.Message, Does.Contain(fragment));
    }

    private static readonly byte[] Eight = new byte[8];

    [Test]
    public void TooShortFiles()
    {
        string empty = TempFile("empty.safetensors");
        File.WriteAllBytes(empty, []);
        AssertInvalid(empty, "too short");
        string tiny = TempFile("tiny.safetensors");
        File.WriteAllBytes(tiny, [1, 2, 3]);
        AssertInvalid(tiny, "too short");
    }

    [Test]
    public void HeaderLengthIsBounded()
    {
        AssertInvalid(Malformed("{}", headerLength: 100_000_001), "exceeds the limit");
        AssertInvalid(Malformed("{}", headerLength: ulong.MaxValue), "exceeds the limit");
        AssertInvalid(Malformed("{}", headerLength: 9), "runs past the end of the file");
    }

    [TestCase("{\"a\":", "not valid JSON")]
    [TestCase("{} x", "not valid JSON")]
    [TestCase("[]", "must begin with '{'")]
    [TestCase(" {}", "must begin with '{'")]
    [TestCase("{\"a\":[1,2]}", "should be a JSON object")]
    [TestCase("{\"__metadata__\":{\"k\":1}}", "not a string")]
    [TestCase("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", "appears twice")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[]}}", "has no 'data_offsets'")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,0],\"extra\":1}}", "unknown field 'extra'")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", "gives 'dtype' twice")]
    public void HeaderMustBeWellFormed(string header, string fragment) => AssertInvalid(Malformed(header, Eight), fragment);

    [Test]
    public void InvalidUtf8InNames()
    {
        string path = Malformed("{\"aa\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}");
        byte[] bytes = File.ReadAllBytes(path);
        bytes[10] = 0xC3; // "a" becomes the lead byte of a sequence that never ends
        bytes[11] = 0x28;
        File.WriteAllBytes(path, bytes);
        AssertInvalid(path, "header");
    }

    [Test]
    public void DuplicateTensorNames() =>
        AssertInvalid(Malformed("{" + Entry("a", "U8", "[4]", 0, 4) + "," + Entry("a", "U8", "[4]", 4, 8) + "}", Eight), "appears twice");

    [TestCase("F8_E4M3")]
    [TestCase("U16")]
    [TestCase("f32")]
    public void UnknownDtypes(string dtype) =>
        AssertInvalid(Malformed("{" + Entry("a", dtype, "[8]", 0, 8) + "}", Eight), $"dtype '{dtype}'");

    [TestCase("[-1]", "negative value -1")]
    [TestCase("[2.5]", "not an integer")]
    [TestCase("[\"2\"]", "not an integer")]
    [TestCase("[18446744073709551616]", "not an integer")]
    public void ShapeEntriesMustBeNonNegativeIntegers(string shape, string fragment) =>
        AssertInvalid(Malformed("{" + Entry("a", "U8", shape, 0, 8) + "}", Eight), fragment);

    [Test]
    public void TooManyDims() =>
        AssertInvalid(Malformed("{" + Entry("a", "U8", "[" + string.Join(",", Enumerable.Repeat(1, 65)) + "]", 0, 1) + "}", [1]), "more than 64");

    [Test]
    public void ShapeMustMatchTheByteRange()
    {
        AssertInvalid(Malformed("{" + Entry("a", "F32", "[3]", 0, 8) + "}", Eight), "needs 12 bytes");
        AssertInvalid(Malformed("{" + Entry("a", "I64", "[2,0]", 0, 8) + "}", Eight), "needs 0 bytes");
    }

    [Test]
    public void ShapeByteSizeMustNotOverflow()
    {
        // 2^62 * 2^62 * 4 wraps around to 0 in 64-bit arithmetic; it must not pass as an empty tensor.
        AssertInvalid(Malformed("{" + Entry("a", "F32", "[4611686018427387904,4611686018427387904]", 0, 0) + "," + Entry("b", "U8", "[8]", 0, 8) + "}", Eight), "overflows");
        AssertInvalid(Malformed("{" + Entry("a", "U8", "[4294967296,4294967296]", 0, 0) + "," + Entry("b", "U8", "[8]", 0, 8) + "}", Eight), "overflows");
    }

    [Test]
    public void OffsetsMustStayInTheDataRegion()
    {
        AssertInvalid(Malformed("{" + Entry("a", "U8", "[16]", 0, 16) + "}", Eight), "outside the data region");
        AssertInvalid(Malformed("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[5,4]}}", Eight), "end before they begin");
        AssertInvalid(Malformed("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0,0]}}", Eight), "more than 2 entries");
        AssertInvalid(Malformed("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0]}}", Eight), "expected [begin, end]");
        AssertInvalid(Malformed("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[-8,0]}}", Eight), "negative value -8");
    }

    [Test]
    public void RangesMustNotOverlap() =>
        AssertInvalid(Malformed("{" + Entry("a", "U8", "[6]", 0, 6) + "," + Entry("b", "U8", "[4]", 4, 8) + "}", Eight), "overlaps tensor 'a'");

    [Test]
    public void RangesMustCoverTheDataRegion()
    {
        AssertInvalid(Malformed("{" + Entry("a", "U8", "[2]", 0, 2) + "," + Entry("b", "U8", "[4]", 4, 8) + "}", Eight), "belong to no tensor");
        AssertInvalid(Malformed("{" + Entry("a", "U8", "[6]", 0, 6) + "}", Eight), "2 trailing bytes");
        AssertInvalid(Malformed("{}", Eight), "8 trailing bytes");
    }

    [Test]
    public void BoolBytesMustBeZeroOrOne() =>
        AssertInvalid(Malformed("{" + Entry("m", "BOOL", "[8]", 0, 8) + "}", [0, 1, 1, 0, 2, 0, 0, 1]), "byte 2 at element 4");

    [Test]
    public void AValidHandWrittenFileLoads()
    {
        // The same helper with a correct header, so that the failures above are due to their defect alone.
        var path = Malformed("{" + Entry("b", "U8", "[2,2]", 4, 8) + "," + Entry("a", "I16", "[2]", 0, 4) + "," + Entry("z", "F64", "[0]", 8, 8) + "}",
            [1, 0, 255, 255, 9, 8, 7, 6]);
        var t = SafeTensors.Load(path);
        Assert.That(t["a"].ToArray<short>(), Is.EqualTo(new short[] { 1, -1 }));
        Assert.That(t["b"].ToArray<byte>(), Is.EqualTo(new byte[] { 9, 8, 7, 6 }));
        Assert.That(t["z"].Shape.ToArray(), Is.EqualTo(new long[] { 0 }));
        foreach (var v in t.Values) v.Dispose();
    }
}
