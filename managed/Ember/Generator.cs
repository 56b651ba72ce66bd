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
