using System.Buffers.Binary;
using System.IO.Compression;

namespace Ember.Vision.Datasets;

/// <summary>
/// Reads IDX files of unsigned bytes (the MNIST family's format), plain or gzipped: a big-endian
/// header of two zero bytes, the type code 0x08, the number of dims and one int32 size per dim,
/// then the data. Every inconsistency is an <see cref="InvalidDataException"/> naming the file;
/// nothing is allocated before the sizes agree with the file.
/// </summary>
internal static class IdxReader
{
    private const byte UnsignedByte = 0x08;

    // Deflate never expands data more than about 1032 times; a larger claim is a corrupt size.
    private const long MaxGzipRatio = 1100;

    /// <summary>Reads the file's data and sizes; <paramref name="expectedDims"/> is 3 for images, 1 for labels.</summary>
    public static (byte[] Data, int[] Sizes) Read(string path, int expectedDims, string role)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long fileLength = file.Length;
        bool gzip = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        uint? gzipSize = null;
        Stream stream = file;
        if (gzip)
        {
            Span<byte> magic = stackalloc byte[2];
            if (fileLength < 18 || file.Read(magic) != 2 || magic[0] != 0x1f || magic[1] != 0x8b)
                throw Invalid(path, "is not a gzip file (no gzip signature 1f 8b)");
            Span<byte> trailer = stackalloc byte[4];
            file.Seek(-4, SeekOrigin.End);
            file.ReadExactly(trailer);
            gzipSize = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
            file.Seek(0, SeekOrigin.Begin);
            stream = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        }
        using (stream == file ? null : stream)
        {
            Span<byte> head = stackalloc byte[4];
            int got = ReadFully(stream, head, path);
            if (got < 4)
                throw Invalid(path, $"is truncated: it ends after {got} bytes, inside the 4-byte IDX header");
            if (head[0] != 0 || head[1] != 0)
                throw Invalid(path, $"has the bad magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(head):X8}; an IDX file starts with two zero bytes");
            if (head[2] != UnsignedByte)
                throw Invalid(path, $"has data type 0x{head[2]:X2}; {role} must be unsigned bytes (0x08)");
            if (head[3] != expectedDims)
                throw Invalid(path, $"has {head[3]} dimensions; {role} must have {expectedDims}");

            Span<byte> sizeBytes = stackalloc byte[4 * expectedDims];
            got = ReadFully(stream, sizeBytes, path);
            if (got < sizeBytes.Length)
                throw Invalid(path, $"is truncated: it ends inside the header, after {4 + got} bytes");
            var sizes = new int[expectedDims];
            long payload = 1;
            for (int d = 0; d < expectedDims; d++)
            {
                sizes[d] = BinaryPrimitives.ReadInt32BigEndian(sizeBytes[(4 * d)..]);
                if (sizes[d] < 0)
                    throw Invalid(path, $"gives dimension {d} the negative size {sizes[d]}");
                payload = payload * sizes[d]; // at most 2^31 per factor, checked below before it can overflow
                if (payload > Array.MaxLength)
                    throw Invalid(path, $"has sizes [{string.Join(", ", sizes[..(d + 1)])}...] that describe more than {Array.MaxLength} bytes");
            }
            long total = 4 + sizeBytes.Length + payload;
            string described = $"sizes [{string.Join(", ", sizes)}] describe {payload} bytes of data";
            if (!gzip && total != fileLength)
            {
                throw Invalid(path, total > fileLength
                    ? $"is truncated: its {described} but only {fileLength - 4 - sizeBytes.Length} follow the header"
                    : $"has {fileLength - total} trailing bytes: its {described} but {fileLength - 4 - sizeBytes.Length} follow the header");
            }
            if (gzip)
            {
                if ((uint)total != gzipSize)
                    throw Invalid(path, $"does not match its header: the {described} ({total} bytes in all) but the gzip trailer records {gzipSize} bytes of content (a truncated, padded or corrupt file)");
                if (payload > fileLength * MaxGzipRatio)
                    throw Invalid(path, $"claims more data than {fileLength} compressed bytes can hold: its {described}");
            }
            byte[] data = GC.AllocateUninitializedArray<byte>((int)payload);
            got = ReadFully(stream, data, path);
            if (got < payload)
                throw Invalid(path, $"is truncated: its {described} but only {got} follow the header");
            if (ReadFully(stream, head[..1], path) != 0)
                throw Invalid(path, $"has trailing data after the {payload} bytes its header describes");
            return (data, sizes);
        }
    }

    /// <summary>Reads until the buffer is full or the stream ends; corrupt compressed data names the file.</summary>
    private static int ReadFully(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int n = stream.Read(buffer[total..]);
                if (n == 0)
                    break;
                total += n;
            }
            return total;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: the compressed data is corrupt: {e.Message}", e);
        }
    }

    public static InvalidDataException Invalid(string path, string message) => new($"{path} {message}.");
}
