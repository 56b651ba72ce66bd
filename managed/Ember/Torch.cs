using Ember.Interop;

namespace Ember;

/// <summary>
/// The <c>torch</c> namespace: tensor factories, random seeding, threads and scopes. Factories take a
/// shape (<c>Torch.Zeros(2, 3)</c> or <c>Torch.Zeros([2, 3], DType.Int64)</c>) and default to float32
/// on the CPU, as PyTorch does.
/// </summary>
public static unsafe partial class Torch
{
    /// <summary>The default floating dtype (<c>torch.get_default_dtype()</c>).</summary>
    public const DType DefaultDType = DType.Float32;

    /// <summary>
    /// Starts a scope that disposes every tensor created until it is disposed, unless moved out with
    /// <see cref="TensorScope.MoveOut"/> or <see cref="Tensor.MoveToOuterScope"/>. Use it with <c>using</c>.
    /// </summary>
    public static TensorScope NewScope() => new();

    /// <summary>Uninitialized elements (<c>torch.empty</c>).</summary>
    public static Ember.Tensor Empty(params ReadOnlySpan<long> size) => Empty(size, null);

    /// <summary>Uninitialized elements (<c>torch.empty</c>).</summary>
    public static Ember.Tensor Empty(ReadOnlySpan<long> size, DType? dtype = null, Device? device = null)
    {
        ember_tensor r;
        fixed (long* s = size)
            return Ember.Tensor.Wrap(NativeMethods.ember_empty(s, size.Length, (int)(dtype ?? DefaultDType), (device ?? Device.CPU).ToNative(), &r), r);
    }

    /// <summary>Zeros (<c>torch.zeros</c>).</summary>
    public static Ember.Tensor Zeros(params ReadOnlySpan<long> size) => Zeros(size, null);

    /// <summary>Zeros (<c>torch.zeros</c>).</summary>
    public static Ember.Tensor Zeros(ReadOnlySpan<long> size, DType? dtype = null, Device? device = null)
    {
        ember_tensor r;
        fixed (long* s = size)
            return Ember.Tensor.Wrap(NativeMethods.ember_zeros(s, size.Length, (int)(dtype ?? DefaultDType), (device ?? Device.CPU).ToNative(), &r), r);
    }

    /// <summary>Ones (<c>torch.ones</c>).</summary>
    public static Ember.Tensor Ones(params ReadOnlySpan<long> size) => Ones(size, null);

    /// <summary>Ones (<c>torch.ones</c>).</summary>
    public static Ember.Tensor Ones(ReadOnlySpan<long> size, DType? dtype = null, Device? device = null) =>
        Full(size, Scalar.Of(1L), dtype ?? DefaultDType, device);

    /// <summary>Every element set to a floating value; the dtype defaults to float32 (<c>torch.full</c>).</summary>
    public static Ember.Tensor Full(ReadOnlySpan<long> size, double value, DType? dtype = null, Device? device = null) =>
        Full(size, Scalar.Of(value), dtype ?? DefaultDType, device);

    /// <summary>Every element set to an integer value; the dtype defaults to int64 as in PyTorch (<c>torch.full</c>).</summary>
    public static Ember.Tensor Full(ReadOnlySpan<long> size, long value, DType? dtype = null, Device? device = null) =>
        Full(size, Scalar.Of(value), dtype ?? DType.Int64, device);

    /// <summary>Every element set to a boolean value; the dtype defaults to bool (<c>torch.full</c>).</summary>
    public static Ember.Tensor Full(ReadOnlySpan<long> size, bool value, DType? dtype = null, Device? device = null) =>
        Full(size, Scalar.Of(value), dtype ?? DType.Bool, device);

    private static Ember.Tensor Full(ReadOnlySpan<long> size, ember_scalar value, DType dtype, Device? device)
    {
        ember_tensor r;
        fixed (long* s = size)
            return Ember.Tensor.Wrap(NativeMethods.ember_full(s, size.Length, value, (int)dtype, (device ?? Device.CPU).ToNative(), &r), r);
    }

    /// <summary>Zeros with the shape, dtype and device of <paramref name="other"/> (<c>torch.zeros_like</c>).</summary>
    public static Ember.Tensor ZerosLike(Ember.Tensor other, DType? dtype = null) => Zeros(other.Shape, dtype ?? other.DType, other.Device);

    /// <summary>Ones with the shape, dtype and device of <paramref name="other"/> (<c>torch.ones_like</c>).</summary>
    public static Ember.Tensor OnesLike(Ember.Tensor other, DType? dtype = null) => Ones(other.Shape, dtype ?? other.DType, other.Device);

    /// <summary>Uninitialized, with the shape, dtype and device of <paramref name="other"/> (<c>torch.empty_like</c>).</summary>
    public static Ember.Tensor EmptyLike(Ember.Tensor other, DType? dtype = null) => Empty(other.Shape, dtype ?? other.DType, other.Device);

    /// <summary>Integers 0, 1, ..., end-1; int64 unless a dtype is given (<c>torch.arange(end)</c>).</summary>
    public static Ember.Tensor Arange(long end, DType? dtype = null, Device? device = null) =>
        Arange(Scalar.Of(0L), Scalar.Of(end), Scalar.Of(1L), dtype ?? DType.Int64, device);

    /// <summary>Integers start, start+step, ... below end; int64 unless a dtype is given (<c>torch.arange(start, end, step)</c>).</summary>
    public static Ember.Tensor Arange(long start, long end, long step = 1, DType? dtype = null, Device? device = null) =>
        Arange(Scalar.Of(start), Scalar.Of(end), Scalar.Of(step), dtype ?? DType.Int64, device);

    /// <summary>Values 0, 1, ... below a floating end; float32 unless a dtype is given (<c>torch.arange(end)</c>).</summary>
    public static Ember.Tensor Arange(double end, DType? dtype = null, Device? device = null) =>
        Arange(Scalar.Of(0.0), Scalar.Of(end), Scalar.Of(1.0), dtype ?? DefaultDType, device);

    /// <summary>Values start, start+step, ... below end; float32 unless a dtype is given (<c>torch.arange(start, end, step)</c>).</summary>
    public static Ember.Tensor Arange(double start, double end, double step = 1, DType? dtype = null, Device? device = null) =>
        Arange(Scalar.Of(start), Scalar.Of(end), Scalar.Of(step), dtype ?? DefaultDType, device);

    private static Ember.Tensor Arange(ember_scalar start, ember_scalar end, ember_scalar step, DType dtype, Device? device)
    {
        ember_tensor r;
        return Ember.Tensor.Wrap(NativeMethods.ember_arange(start, end, step, (int)dtype, (device ?? Device.CPU).ToNative(), &r), r);
    }

    /// <summary>An n-by-m matrix (m defaults to n) with ones on the diagonal (<c>torch.eye</c>).</summary>
    public static Ember.Tensor Eye(long n, long? m = null, DType? dtype = null, Device? device = null)
    {
        ember_tensor r;
        return Ember.Tensor.Wrap(NativeMethods.ember_eye(n, m ?? n, (int)(dtype ?? DefaultDType), (device ?? Device.CPU).ToNative(), &r), r);
    }

    /// <summary>Uniform samples in [0, 1) from the default generator (<c>torch.rand</c>).</summary>
    public static Ember.Tensor Rand(params ReadOnlySpan<long> size) => Rand(size, null);

    /// <summary>Uniform samples in [0, 1) (<c>torch.rand</c>); <paramref name="generator"/> null means the default one.</summary>
    public static Ember.Tensor Rand(ReadOnlySpan<long> size, DType? dtype = null, Device? device = null, Generator? generator = null)
    {
        ember_tensor r;
        fixed (long* s = size)
        {
            ember_status status = NativeMethods.ember_rand(s, size.Length, (int)(dtype ?? DefaultDType), (device ?? Device.CPU).ToNative(), Generator.HandleOf(generator), &r);
            GC.KeepAlive(generator);
            return Ember.Tensor.Wrap(status, r);
        }
    }

    /// <summary>Standard normal samples from the default generator (<c>torch.randn</c>).</summary>
    public static Ember.Tensor Randn(params ReadOnlySpan<long> size) => Randn(size, null);

    /// <summary>Standard normal samples (<c>torch.randn</c>); <paramref name="generator"/> null means the default one.</summary>
    public static Ember.Tensor Randn(ReadOnlySpan<long> size, DType? dtype = null, Device? device = null, Generator? generator = null)
    {
        ember_tensor r;
        fixed (long* s = size)
        {
            ember_status status = NativeMethods.ember_randn(s, size.Length, (int)(dtype ?? DefaultDType), (device ?? Device.CPU).ToNative(), Generator.HandleOf(generator), &r);
            GC.KeepAlive(generator);
            return Ember.Tensor.Wrap(status, r);
        }
    }

    /// <summary>Seeds the default generator (<c>torch.manual_seed</c>).</summary>
    public static void ManualSeed(long seed) => Errors.Check(NativeMethods.ember_manual_seed(unchecked((ulong)seed)));

    /// <summary>
    /// The default generator's state as 16 uint8 values (<c>torch.get_rng_state</c>); restoring it with
    /// <see cref="SetRngState"/> replays the same random numbers.
    /// </summary>
    public static Ember.Tensor GetRngState() => Generator.GetState(default);

    /// <summary>Restores the default generator's state from <see cref="GetRngState"/> (<c>torch.set_rng_state</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="state"/> is not 16 uint8 values.</exception>
    public static void SetRngState(Ember.Tensor state) => Generator.SetState(default, state);

    /// <summary>Sets the size of the engine's thread pool, which also caps BLAS threads (<c>torch.set_num_threads</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public static void SetNumThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Errors.Check(NativeMethods.ember_set_num_threads(threads));
    }

    /// <summary>Size of the engine's thread pool (<c>torch.get_num_threads</c>).</summary>
    public static int GetNumThreads()
    {
        int threads;
        Errors.Check(NativeMethods.ember_get_num_threads(&threads));
        return threads;
    }
}
