using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Ember.Interop;

namespace Ember;

/// <summary>
/// A multi-dimensional array on a device (<c>torch.Tensor</c>). A tensor owns one reference to native
/// memory: <see cref="Dispose"/> frees it at once, a <see cref="TensorScope"/> frees what was created
/// inside it, and the GC frees a forgotten tensor eventually. Using a tensor after it was disposed
/// throws <see cref="ObjectDisposedException"/>. A tensor may be used from several threads at once
/// (reads, and ops that produce new tensors); in-place ops need the caller to order them, and
/// <see cref="Dispose"/> must not race with another thread's use of the same tensor.
/// </summary>
/// <remarks>
/// Adding an op: call the generated binding, wrap its result with <see cref="Wrap(ember_status, ember_tensor, Tensor)"/>
/// (or <see cref="Check(ember_status, Tensor)"/> for in-place ops), passing every input tensor so that
/// it stays alive during the native call, and hand the result to the op's recorder in
/// <see cref="Derivatives"/> when the op is differentiable:
/// <code>
/// public Tensor Exp() { ember_tensor r; return Derivatives.Exp(Wrap(NativeMethods.ember_exp(Handle, &amp;r), r, this), this); }
/// </code>
/// </remarks>
public unsafe partial class Tensor : IDisposable
{
    // The native reference: readable after disposal too (identity checks on disposed tensors still work).
    private readonly nint _native;
    private int _closed;
    // Releases the reference should the tensor be forgotten; handed back to its pool on Dispose.
    private TensorFinalizer? _finalizer;

    // Metadata never changes for a given native tensor, so it is read once, on first use.
    private long[]? _shape;
    private int _dtype = -1;
    internal long _device; // (type + 1) << 32 | index, 0 while unknown; one word so that racing readers never see half of it

    /// <summary>Takes ownership of a native reference (one strong reference) and registers with the current scope.</summary>
    internal Tensor(ember_tensor handle)
    {
        _native = handle.Handle;
        _finalizer = TensorFinalizer.Rent(_native);
        _inference = GradMode.CreatesInferenceTensors;
        MemoryPressure.OnTensorCreated();
        TensorScope.OnCreated(this);
    }

    /// <summary>The scope that owns the tensor, or null when the user owns it.</summary>
    internal TensorScope? Scope { get; set; }

    /// <summary>Slot in <see cref="Scope"/>'s list.</summary>
    internal int ScopeSlot { get; set; }

    /// <summary>The native handle; throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
    internal ember_tensor Handle
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (Volatile.Read(ref _closed) != 0)
                ThrowDisposed();
            return new ember_tensor(_native);
        }
    }

    /// <summary>True after <see cref="Dispose"/> (or after the owning scope ended).</summary>
    public bool IsDisposed => Volatile.Read(ref _closed) != 0;

    /// <summary>Frees the native reference now. Views of this tensor stay valid; disposing twice does nothing.</summary>
    public void Dispose()
    {
        Scope?.Remove(this);
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        TensorFinalizer finalizer = _finalizer!;
        _finalizer = null;
        _ = NativeMethods.ember_tensor_release(new ember_tensor(_native));
        finalizer.Return();
    }

    /// <summary>Moves the tensor to the scope enclosing its current one (to the user when there is none) and returns it.</summary>
    public Tensor MoveToOuterScope()
    {
        TensorScope? scope = Scope;
        if (scope is null)
            return this;
        scope.Remove(this);
        TensorScope? outer = scope.Parent;
        while (outer is { IsDisposed: true })
            outer = outer.Parent;
        outer?.Add(this);
        return this;
    }

    /// <summary>Takes the tensor out of any scope: the user owns it from now on. Returns the tensor.</summary>
    public Tensor DetachFromScope()
    {
        Scope?.Remove(this);
        return this;
    }

    // ---- helpers every op uses ----

    /// <summary>Checks a status and wraps the op's result; keeps <paramref name="input"/> alive through the native call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Tensor Wrap(ember_status status, ember_tensor result, Tensor input)
    {
        GC.KeepAlive(input);
        if (status != ember_status.EMBER_OK)
            Errors.Throw(status);
        return new Tensor(result);
    }

    /// <summary>Checks a status and wraps the op's result; keeps both inputs alive through the native call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Tensor Wrap(ember_status status, ember_tensor result, Tensor a, Tensor b)
    {
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        if (status != ember_status.EMBER_OK)
            Errors.Throw(status);
        return new Tensor(result);
    }

    /// <summary>Checks a status and wraps the result of an op that has no tensor input (a factory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Tensor Wrap(ember_status status, ember_tensor result)
    {
        if (status != ember_status.EMBER_OK)
            Errors.Throw(status);
        return new Tensor(result);
    }

    /// <summary>Checks the status of an in-place op on <paramref name="input"/>, keeping it alive through the native call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(ember_status status, Tensor input)
    {
        GC.KeepAlive(input);
        if (status != ember_status.EMBER_OK)
            Errors.Throw(status);
    }

    /// <summary>Checks the status of an in-place op with two tensor inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(ember_status status, Tensor a, Tensor b)
    {
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        if (status != ember_status.EMBER_OK)
            Errors.Throw(status);
    }

    /// <summary>Names the public member that touched a disposed tensor (walks the stack only on this cold path).</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDisposed()
    {
        // The outermost frame still inside Ember is the member the user called.
        string? member = null;
        string assembly = typeof(Tensor).Assembly.GetName().Name!;
        var trace = new StackTrace(1, false);
        for (int i = 0; i < trace.FrameCount; i++)
        {
            StackFrame? frame = trace.GetFrame(i);
            DiagnosticMethodInfo? method = frame is null ? null : DiagnosticMethodInfo.Create(frame);
            if (method is null || method.DeclaringAssemblyName.Split(',')[0] != assembly)
                break;
            string type = method.DeclaringTypeName;
            member = DescribeMember(type[(type.LastIndexOf('.') + 1)..], method.Name);
        }
        throw new ObjectDisposedException(nameof(Tensor),
            member is null
                ? "The tensor has been disposed (by Dispose() or by the scope that owned it) and cannot be used any more."
                : $"The tensor has been disposed (by Dispose() or by the scope that owned it); cannot use it in {member}.");
    }

    private static string DescribeMember(string type, string method) => method switch
    {
        "op_Addition" => "operator +",
        "op_Subtraction" => "operator -",
        "op_Multiply" => "operator *",
        "op_Division" => "operator /",
        "op_UnaryNegation" => "unary operator -",
        _ when method.StartsWith("get_", StringComparison.Ordinal) => $"{type}.{method[4..]}",
        _ => $"{type}.{method}()",
    };

    // ---- metadata ----

    /// <summary>Number of dims (<c>Tensor.dim()</c>).</summary>
    public int Dim => ShapeArray.Length;

    /// <summary>Sizes of the dims (<c>Tensor.shape</c>).</summary>
    public Size Shape => new(ShapeArray);

    /// <summary>Number of elements (<c>Tensor.numel()</c>).</summary>
    public long NumEl
    {
        get
        {
            long n = 1;
            foreach (long s in ShapeArray)
                n *= s;
            return n;
        }
    }

    /// <summary>Element type (<c>Tensor.dtype</c>).</summary>
    public DType DType
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            int cached = _dtype;
            return cached >= 0 ? (DType)cached : LoadDType();
        }
    }

    // Apart from the getter, so that the getter inlines without the native call's frame set-up.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private DType LoadDType()
    {
        int dtype;
        Check(NativeMethods.ember_tensor_dtype(Handle, &dtype), this);
        _dtype = dtype;
        return (DType)dtype;
    }

    /// <summary>The device holding the elements (<c>Tensor.device</c>).</summary>
    public Device Device
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            long cached = _device;
            if (cached == 0)
                cached = LoadDevice();
            return new Device((DeviceType)((cached >> 32) - 1), (int)cached);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long LoadDevice()
    {
        ember_device device;
        Check(NativeMethods.ember_tensor_device(Handle, &device), this);
        return _device = ((long)(device.type + 1) << 32) | (uint)device.index;
    }

    /// <summary>Strides of the dims in elements (<c>Tensor.stride()</c>).</summary>
    public long[] Strides
    {
        get
        {
            long[] strides = new long[Dim];
            fixed (long* p = strides)
                Check(NativeMethods.ember_tensor_strides(Handle, p), this);
            return strides;
        }
    }

    /// <summary>Offset of element 0 in the storage, in elements (<c>Tensor.storage_offset()</c>).</summary>
    public long StorageOffset
    {
        get
        {
            long offset;
            Check(NativeMethods.ember_tensor_offset(Handle, &offset), this);
            return offset;
        }
    }

    /// <summary>True when the elements are laid out row-major without gaps (<c>Tensor.is_contiguous()</c>).</summary>
    public bool IsContiguous
    {
        get
        {
            int contiguous;
            Check(NativeMethods.ember_tensor_is_contiguous(Handle, &contiguous), this);
            return contiguous != 0;
        }
    }

    /// <summary>Size of one element in bytes (<c>Tensor.element_size()</c>).</summary>
    public int ElementSize => DType.ElementSize();

    /// <summary>True for floating dtypes (<c>Tensor.is_floating_point()</c>).</summary>
    public bool IsFloatingPoint => DType.IsFloatingPoint();

    /// <summary>Counter shared with the tensor's views and bumped by every in-place op (<c>Tensor._version</c>).</summary>
    /// <exception cref="AutogradException">The tensor is an inference tensor (<see cref="IsInference"/>), which, as in PyTorch, tracks no version.</exception>
    public long Version
    {
        get
        {
            if (_inference)
                throw new AutogradException("Inference tensors do not track version counter.");
            return VersionCounter;
        }
    }

    /// <summary>The native version counter, also of inference tensors (autograd's own checks read it).</summary>
    internal long VersionCounter
    {
        get
        {
            long version;
            Check(NativeMethods.ember_tensor_version(Handle, &version), this);
            return version;
        }
    }

    /// <summary>True when both tensors view the same storage.</summary>
    public bool SharesStorageWith(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        int shares;
        Check(NativeMethods.ember_tensor_shares_storage(Handle, other.Handle, &shares), this, other);
        return shares != 0;
    }

    /// <summary>Size of one dim; negative dims count from the end (<c>Tensor.size(dim)</c>).</summary>
    public long GetSize(int dim) => ShapeArray[NormalizeDim(dim, Dim)];

    /// <summary>The cached sizes; never handed out (callers get a <see cref="Ember.Size"/> or a copy).</summary>
    internal long[] ShapeArray
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            long[]? shape = _shape;
            return shape ?? LoadShape();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long[] LoadShape()
    {
        ember_tensor h = Handle;
        int ndim;
        Check(NativeMethods.ember_tensor_ndim(h, &ndim), this);
        long[] shape = ndim == 0 ? [] : new long[ndim];
        fixed (long* p = shape)
            Check(NativeMethods.ember_tensor_sizes(h, p), this);
        _shape = shape;
        return shape;
    }

    /// <summary>Maps a possibly negative dim into [0, ndim), naming the valid range when it is out of it.</summary>
    internal static int NormalizeDim(int dim, int ndim)
    {
        int n = Math.Max(ndim, 1);
        if (dim < -n || dim >= n)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})");
        return dim < 0 ? dim + n : dim;
    }
}
