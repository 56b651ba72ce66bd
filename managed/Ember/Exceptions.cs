using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Ember.Interop;

namespace Ember;

/// <summary>An internal fault of the Ember engine (<c>EMBER_ERROR_INTERNAL</c>); the base of Ember's own exceptions.</summary>
public class EmberException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public EmberException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public EmberException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>A backend failed to load or reported a fault (<c>EMBER_ERROR_BACKEND</c>).</summary>
public class EmberBackendException : EmberException
{
    /// <summary>Creates the exception with a message.</summary>
    public EmberBackendException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public EmberBackendException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>Shapes that do not fit together, e.g. <c>[2, 3] + [4]</c> (<c>EMBER_ERROR_SHAPE</c>).</summary>
public class ShapeMismatchException : ArgumentException
{
    /// <summary>Creates the exception with a message.</summary>
    public ShapeMismatchException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public ShapeMismatchException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>A dtype that an op does not support or allow, or a .NET type that does not match a tensor's dtype (<c>EMBER_ERROR_DTYPE</c>).</summary>
public class DTypeException : ArgumentException
{
    /// <summary>Creates the exception with a message.</summary>
    public DTypeException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public DTypeException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>Tensors on different devices, or a device that is not available (<c>EMBER_ERROR_DEVICE</c>).</summary>
public class DeviceException : InvalidOperationException
{
    /// <summary>Creates the exception with a message.</summary>
    public DeviceException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public DeviceException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>The engine could not allocate device or host memory (<c>EMBER_ERROR_OUT_OF_MEMORY</c>).</summary>
public class EmberOutOfMemoryException : OutOfMemoryException
{
    /// <summary>Creates the exception with a message.</summary>
    public EmberOutOfMemoryException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public EmberOutOfMemoryException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>Turns native status codes into typed exceptions carrying <c>ember_last_error()</c>'s message.</summary>
internal static unsafe class Errors
{
    /// <summary>Throws the exception for a failed status; the caller tests for <c>EMBER_OK</c> inline.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(ember_status status)
    {
        if (status != ember_status.EMBER_OK)
            Throw(status);
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    [StackTraceHidden]
    public static void Throw(ember_status status) => throw Create(status, LastError());

    public static string LastError()
    {
        byte* message = NativeMethods.ember_last_error();
        string text = message == null ? "" : new string((sbyte*)message);
        return text.Length == 0 ? "(the engine gave no message)" : text;
    }

    public static Exception Create(ember_status status, string message) => status switch
    {
        ember_status.EMBER_ERROR_INVALID_ARGUMENT => new ArgumentException(message),
        ember_status.EMBER_ERROR_SHAPE => new ShapeMismatchException(message),
        ember_status.EMBER_ERROR_DTYPE => new DTypeException(message),
        ember_status.EMBER_ERROR_DEVICE => new DeviceException(message),
        ember_status.EMBER_ERROR_OUT_OF_MEMORY => new EmberOutOfMemoryException(message),
        ember_status.EMBER_ERROR_NOT_IMPLEMENTED => new NotSupportedException(message),
        ember_status.EMBER_ERROR_BACKEND => new EmberBackendException(message),
        ember_status.EMBER_ERROR_INTERNAL => new EmberException(message),
        _ => new EmberException($"unknown native status {(int)status}: {message}"),
    };
}
