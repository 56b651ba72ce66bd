namespace Ember.Hosting;

/// <summary>Applies <see cref="EmberOptions"/> to the engine once, when the runtime is first resolved.</summary>
internal sealed class EmberRuntime : IEmberRuntime
{
    public EmberRuntime(EmberOptions options)
    {
        if (options.NumThreads is int threads)
            Torch.SetNumThreads(threads);
        foreach (string backend in options.Backends)
            LoadBackend(backend);
    }

    public int AbiVersion => EmberNative.AbiVersion;

    public string? NativePath => EmberNative.LoadedPath;

    public int NumThreads => Torch.GetNumThreads();

    public IReadOnlyList<DeviceType> AvailableBackends =>
        Enum.GetValues<DeviceType>().Where(EmberNative.IsAvailable).ToArray();

    public long CpuBytesAllocated => EmberNative.CpuBytesAllocated;

    private static void LoadBackend(string backend)
    {
        if (!BackendNames.TryGetValue(backend, out DeviceType type))
        {
            EmberNative.LoadBackend(Path.GetFullPath(backend));
            return;
        }
        if (EmberNative.IsAvailable(type))
            return;
        string file = OperatingSystem.IsWindows() ? $"ember_{backend.ToLowerInvariant()}.dll"
            : OperatingSystem.IsMacOS() ? $"libember_{backend.ToLowerInvariant()}.dylib"
            : $"libember_{backend.ToLowerInvariant()}.so";
        string? directory = Path.GetDirectoryName(EmberNative.LoadedPath ?? "");
        string path = string.IsNullOrEmpty(directory) ? file : Path.Combine(directory, file);
        try
        {
            EmberNative.LoadBackend(path);
        }
        catch (EmberBackendException e)
        {
            throw new EmberBackendException($"the '{backend}' backend was requested in AddEmber but could not be loaded from '{path}': {e.Message}", e);
        }
        if (!EmberNative.IsAvailable(type))
            throw new EmberBackendException($"the '{backend}' backend was requested in AddEmber and its plugin '{path}' loaded, but it reports no usable device");
    }

    internal static readonly Dictionary<string, DeviceType> BackendNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["cuda"] = DeviceType.CUDA,
        ["hip"] = DeviceType.HIP,
        ["metal"] = DeviceType.Metal,
    };
}
