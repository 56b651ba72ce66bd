using System.Runtime.CompilerServices;
using Ember.Interop;

namespace Ember;

/// <summary>Builds the by-value scalars of the C ABI; an integer scalar keeps integer tensors integral, as a Python int does.</summary>
internal static class Scalar
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ember_scalar Of(long value) => new() { i = value, kind = (int)ember_scalar_kind.EMBER_SCALAR_INT };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ember_scalar Of(double value) => new() { f = value, kind = (int)ember_scalar_kind.EMBER_SCALAR_FLOAT };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ember_scalar Of(bool value) => new() { i = value ? 1 : 0, kind = (int)ember_scalar_kind.EMBER_SCALAR_BOOL };
}
