namespace Ember.Hosting;

/// <summary>Settings for <see cref="EmberServiceCollectionExtensions.AddEmber"/>.</summary>
public sealed class EmberOptions
{
    /// <summary>
    /// The native library file, or the directory holding it; null keeps the default search
    /// (<c>EMBER_NATIVE_PATH</c>, <c>runtimes/{rid}/native</c>, beside the assembly, system paths).
    /// </summary>
    public string? NativePath { get; set; }

    /// <summary>Size of the engine's thread pool; null keeps the engine's default (one thread per core).</summary>
    public int? NumThreads { get; set; }

    /// <summary>
    /// GPU backends to load and require: <c>"cuda"</c>, <c>"hip"</c>, <c>"metal"</c> (the plugin
    /// <c>libember_{name}</c> is looked up beside the native library), or a path to a plugin library.
    /// </summary>
    public IList<string> Backends { get; } = new List<string>();

    /// <summary>
    /// The device the application computes on (<c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:1"</c>); null means the CPU.
    /// It must parse, and when the runtime starts its backend must be loaded with a device of that index.
    /// </summary>
    public string? DefaultDevice { get; set; }
}
