using System;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Ember.Data;

/// <summary>
/// A seedable pseudo-random generator for shuffling, sampling and random transforms: the
/// <c>generator=</c> argument of PyTorch's samplers, <c>DataLoader</c> and <c>random_split</c>.
/// </summary>
/// <remarks>
/// It is a managed xoshiro256** generator seeded through SplitMix64, independent of the engine's
/// native generators. The same seed gives the same sequence on every platform and .NET version,
/// so shuffled orders are reproducible; they are not the permutations PyTorch's
/// <c>torch.randperm</c> gives for the same seed. An instance is not thread-safe; the loader only
/// draws from it on one thread at a time.
/// </remarks>
public sealed class DataGenerator
{
    private ulong _s0, _s1, _s2, _s3;

    [ThreadStatic] private static DataGenerator? t_current;

    /// <summary>Creates a generator seeded from the operating system's entropy source.</summary>
    public DataGenerator() : this(RandomSeed()) { }

    /// <summary>Creates a generator with the given seed (<c>torch.Generator().manual_seed(seed)</c>).</summary>
    public DataGenerator(ulong seed) => ManualSeed(seed);

    /// <summary>The seed last given to <see cref="ManualSeed"/> or the constructor.</summary>
    public ulong InitialSeed { get; private set; }

    /// <summary>
    /// The generator shared by samplers, loaders and transforms created without one. It starts from
    /// an unpredictable seed; call <c>DataGenerator.Default.ManualSeed(...)</c> for reproducible runs.
    /// </summary>
    public static DataGenerator Default { get; } = new();

    /// <summary>
    /// The generator random transforms should draw from: while a <see cref="DataLoader{T,TBatch}"/>
    /// fetches a batch, a generator seeded from the loader's base seed and the batch index, so that
    /// results do not depend on <c>NumWorkers</c>; elsewhere <see cref="Default"/>.
    /// </summary>
    public static DataGenerator Current => t_current ?? Default;

    /// <summary>Reseeds the generator; returns it for chaining.</summary>
    public DataGenerator ManualSeed(ulong seed)
    {
        InitialSeed = seed;
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
        return this;
    }

    /// <summary>Reseeds the generator from the operating system's entropy source and returns the seed.</summary>
    public ulong Seed()
    {
        ulong seed = RandomSeed();
        ManualSeed(seed);
        return seed;
    }

    /// <summary>The full state (40 bytes), for checkpoints (<c>Generator.get_state</c>).</summary>
    public byte[] GetState()
    {
        var state = new byte[40];
        BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(0), _s0);
        BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(8), _s1);
        BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(16), _s2);
        BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(24), _s3);
        BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(32), InitialSeed);
        return state;
    }

    /// <summary>Restores a state returned by <see cref="GetState"/> (<c>Generator.set_state</c>).</summary>
    /// <exception cref="ArgumentException">The state is not 40 bytes or is all zero.</exception>
    public void SetState(ReadOnlySpan<byte> state)
    {
        if (state.Length != 40)
            throw new ArgumentException($"DataGenerator.SetState: expected a 40-byte state, got {state.Length} bytes.", nameof(state));
        ulong s0 = BinaryPrimitives.ReadUInt64LittleEndian(state);
        ulong s1 = BinaryPrimitives.ReadUInt64LittleEndian(state[8..]);
        ulong s2 = BinaryPrimitives.ReadUInt64LittleEndian(state[16..]);
        ulong s3 = BinaryPrimitives.ReadUInt64LittleEndian(state[24..]);
        if ((s0 | s1 | s2 | s3) == 0)
            throw new ArgumentException("DataGenerator.SetState: an all-zero state is not a valid xoshiro256** state.", nameof(state));
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
        InitialSeed = BinaryPrimitives.ReadUInt64LittleEndian(state[32..]);
    }

    /// <summary>The next 64 uniformly distributed bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitRotate(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitRotate(_s3, 45);
        return result;
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), without modulo bias.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bound"/> is not positive.</exception>
    public long NextInt64(long bound)
    {
        if (bound <= 0)
            throw new ArgumentOutOfRangeException(nameof(bound), bound, "DataGenerator.NextInt64: the bound must be positive.");
        ulong range = (ulong)bound;
        // Lemire's multiply-and-reject: unbiased, usually one draw.
        UInt128 m = (UInt128)NextUInt64() * range;
        ulong low = (ulong)m;
        if (low < range)
        {
            ulong threshold = (0 - range) % range;
            while (low < threshold)
            {
                m = (UInt128)NextUInt64() * range;
                low = (ulong)m;
            }
        }
        return (long)(ulong)(m >> 64);
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>).</summary>
    public int NextInt32(int bound) => (int)NextInt64(bound);

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A random permutation of 0..n-1 (<c>torch.randperm(n, generator=...)</c>, not the same stream).</summary>
    public int[] RandPerm(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        Shuffle(perm);
        return perm;
    }

    /// <summary>Shuffles the span in place (Fisher-Yates).</summary>
    public void Shuffle<T>(Span<T> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt32(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary>A generator for one unit of work (a batch, a worker) derived from a base seed, so that
    /// the stream depends on the seed and the index only.</summary>
    internal static DataGenerator Derive(ulong baseSeed, long index)
    {
        ulong x = baseSeed ^ (0x9E3779B97F4A7C15UL * (ulong)(index + 1));
        return new DataGenerator(SplitMix64(ref x));
    }

    /// <summary>Makes <paramref name="generator"/> the <see cref="Current"/> one on this thread until the
    /// returned token is disposed.</summary>
    internal static CurrentScope Use(DataGenerator generator)
    {
        var previous = t_current;
        t_current = generator;
        return new CurrentScope(previous);
    }

    internal readonly struct CurrentScope : IDisposable
    {
        private readonly DataGenerator? _previous;
        internal CurrentScope(DataGenerator? previous) => _previous = previous;
        public void Dispose() => t_current = _previous;
    }

    private static ulong RandomSeed()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong BitRotate(ulong x, int k) => (x << k) | (x >> (64 - k));
}
