using System.Runtime.InteropServices;
using Ember.Interop;

namespace Ember;

/// <summary>Owns the one native reference of a <see cref="Tensor"/>; its finalizer is the safety net for a forgotten tensor.</summary>
internal sealed class TensorHandle : SafeHandle
{
    public TensorHandle(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() =>
        NativeMethods.ember_tensor_release(new ember_tensor(handle)) == ember_status.EMBER_OK;
}
