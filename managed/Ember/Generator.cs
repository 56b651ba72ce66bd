using System.Runtime.InteropServices;
using Ember.Interop;

namespace Ember;

/// <summary>A random number generator with its own state (<c>torch.Generator</c>), for reproducible sampling independent of the default one.</summary>
public sealed unsafe class Generator : IDisposable
{
    private readonly GeneratorHandle _handle;

    /// <summary>Creates a generator seeded with <paramref name="seed"/>.</summary>
    public Generator(long seed = 0)
    {
        ember_generator g;
        Errors.Check(NativeMethods.ember_generator_create(unchecked((ulong)seed), &g));
        _handle = new GeneratorHandle(g.Handle);
    }

    /// <summary>Restarts the generator from a seed (<c>Generator.manual_seed</c>); returns this generator.</summary>
    public Generator ManualSeed(long seed)
    {
        Errors.Check(NativeMethods.ember_generator_manual_seed(Handle, unchecked((ulong)seed)));
        GC.KeepAlive(this);
        return this;
    }

    /// <summary>This generator's state as 16 uint8 values (<c>Generator.get_state</c>).</summary>
    public Tensor GetState()
    {
        Tensor state = GetState(Handle);
        GC.KeepAlive(this);
        return state;
    }

    /// <summary>Restores a state from <see cref="GetState()"/> (<c>Generator.set_state</c>); returns this generator.</summary>
    /// <exception cref="ArgumentException"><paramref name="state"/> is not 16 uint8 values.</exception>
    public Generator SetState(Tensor state)
    {
        SetState(Handle, state);
        GC.KeepAlive(this);
        return this;
    }

    // The state travels as the little-endian seed followed by the little-endian offset.
    internal static Tensor GetState(ember_generator handle)
    {
        (ulong seed, ulong offset) = GetRawState(handle);
        var bytes = new byte[StateBytes];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, seed);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), offset);
        return Torch.Tensor<byte>(bytes, [StateBytes]);
    }

    internal static void SetState(ember_generator handle, Tensor state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.DType != DType.UInt8 || state.NumEl != StateBytes || state.Dim != 1)
            throw new ArgumentException(
                $"set_rng_state: expected a state of shape [{StateBytes}] and dtype uint8, got shape {state.Shape} and dtype {state.DType.ToTorchString()}", nameof(state));
        byte[] bytes = state.ToArray<byte>();
        ulong seed = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        ulong offset = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8));
        SetRawState(handle, (seed, offset));
    }

    /// <summary>The state as numbers, for callers that must not create tensors (they could land in a scope).</summary>
    internal static (ulong Seed, ulong Offset) GetRawState(ember_generator handle)
    {
        ulong seed, offset;
        Errors.Check(NativeMethods.ember_generator_get_state(handle, &seed, &offset));
        return (seed, offset);
    }

    internal static void SetRawState(ember_generator handle, (ulong Seed, ulong Offset) state) =>
        Errors.Check(NativeMethods.ember_generator_set_state(handle, state.Seed, state.Offset));

    private const int StateBytes = 16;

    /// <summary>Frees the generator.</summary>
    public void Dispose() => _handle.Dispose();

    private ember_generator Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return new ember_generator(_handle.DangerousGetHandle());
        }
    }

    /// <summary>The native handle, or the null handle that selects the default generator.</summary>
    internal static ember_generator HandleOf(Generator? generator) => generator is null ? default : generator.Handle;

    private sealed class GeneratorHandle : SafeHandle
    {
        public GeneratorHandle(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle() =>
            NativeMethods.ember_generator_release(new ember_generator(handle)) == ember_status.EMBER_OK;
    }
}
