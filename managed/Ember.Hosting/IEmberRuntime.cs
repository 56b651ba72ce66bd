namespace Ember.Hosting;

/// <summary>The configured Ember engine, as registered by <see cref="EmberServiceCollectionExtensions.AddEmber"/>.</summary>
public interface IEmberRuntime
{
    /// <summary>ABI version of the loaded native library.</summary>
    int AbiVersion { get; }

    /// <summary>The file the native library was loaded from (null when the platform's default search found it).</summary>
    string? NativePath { get; }

    /// <summary>Size of the engine's thread pool.</summary>
    int NumThreads { get; }

    /// <summary>The device the options chose (<see cref="EmberOptions.DefaultDevice"/>), the CPU by default.</summary>
    Device DefaultDevice { get; }

    /// <summary>Device types with a loaded backend and at least one device; always includes the CPU.</summary>
    IReadOnlyList<DeviceType> AvailableBackends { get; }

    /// <summary>Every usable device: the CPU, then each device of each loaded GPU backend.</summary>
    IReadOnlyList<Device> Devices { get; }

    /// <summary>Every backend plugin load attempted in this process, with its outcome (<see cref="Torch.Backends.Status"/>).</summary>
    IReadOnlyList<BackendStatus> BackendStatus { get; }

    /// <summary>Bytes currently held by live CPU tensors' storages.</summary>
    long CpuBytesAllocated { get; }
}
