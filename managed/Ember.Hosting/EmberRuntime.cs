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
        DefaultDevice = options.DefaultDevice is null ? Device.CPU : Device.Parse(options.DefaultDevice);
        if (DefaultDevice.Type != DeviceType.CPU)
        {
            int count = EmberNative.DeviceCount(DefaultDevice.Type);
            int index = Math.Max(DefaultDevice.Index, 0);
            if (index >= count)
                throw new EmberBackendException(
                    $"AddEmber: DefaultDevice '{options.DefaultDevice}' is not usable: the {DefaultDevice.Type} backend has {count} device(s)" +
                    (count == 0 ? $"; add \"{DefaultDevice.Type.ToString().ToLowerInvariant()}\" to Backends, or see Torch.Backends.Status: {Describe(Torch.Backends.Status)}" : ""));
        }
    }

    public int AbiVersion => EmberNative.AbiVersion;

    public string? NativePath => EmberNative.LoadedPath;

    public int NumThreads => Torch.GetNumThreads();

    public Device DefaultDevice { get; }

    public IReadOnlyList<DeviceType> AvailableBackends => Torch.Backends.Available;

    public IReadOnlyList<Device> Devices =>
        [.. AvailableBackends.SelectMany(t => t == DeviceType.CPU
            ? [Device.CPU]
            : Enumerable.Range(0, EmberNative.DeviceCount(t)).Select(i => new Device(t, i)))];

    public IReadOnlyList<BackendStatus> BackendStatus => Torch.Backends.Status;

    public long CpuBytesAllocated => EmberNative.CpuBytesAllocated;

    private static void LoadBackend(string backend)
    {
        if (!Torch.Backends.TryLoad(backend, out BackendStatus status))
            throw new EmberBackendException($"the '{backend}' backend was requested in AddEmber but could not be loaded from '{status.Path}': {status.Error}");
        if (BackendNames.TryGetValue(status.Name, out DeviceType type) && !EmberNative.IsAvailable(type))
            throw new EmberBackendException($"the '{backend}' backend was requested in AddEmber and its plugin '{status.Path}' loaded, but it reports no usable device");
    }

    private static string Describe(IReadOnlyList<BackendStatus> statuses) =>
        statuses.Count == 0 ? "no plugin was found" : string.Join("; ", statuses.Select(s => s.Loaded ? $"{s.Name}: loaded" : $"{s.Name}: {s.Error}"));

    internal static readonly Dictionary<string, DeviceType> BackendNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["cuda"] = DeviceType.CUDA,
        ["hip"] = DeviceType.HIP,
        ["metal"] = DeviceType.Metal,
    };
}
