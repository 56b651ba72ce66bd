using Microsoft.Extensions.DependencyInjection;

namespace Ember.Hosting;

/// <summary>Registers Ember with a <see cref="IServiceCollection"/>.</summary>
public static class EmberServiceCollectionExtensions
{
    /// <summary>
    /// Validates the options, points the native-library resolver at <see cref="EmberOptions.NativePath"/>
    /// at once, and registers <see cref="IEmberRuntime"/> as a singleton that applies the thread count,
    /// loads the requested backends and checks the default device when it is first resolved (resolve it at
    /// startup to fail fast).
    /// Calling it again refines the same options.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    /// <exception cref="InvalidOperationException">The native library was already loaded from another path.</exception>
    public static IServiceCollection AddEmber(this IServiceCollection services, Action<EmberOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        // A second call refines the options of the first, as repeated Configure calls do.
        var existing = services.FirstOrDefault(d => d.ServiceType == typeof(EmberOptions))?.ImplementationInstance as EmberOptions;
        EmberOptions options = existing ?? new EmberOptions();
        configure?.Invoke(options);
        Validate(options);
        EmberNative.Configure(options.NativePath);
        if (existing is null)
        {
            services.AddSingleton(options);
            services.AddSingleton<IEmberRuntime>(provider => new EmberRuntime(provider.GetRequiredService<EmberOptions>()));
        }
        return services;
    }

    private static void Validate(EmberOptions options)
    {
        var problems = new List<string>();
        if (options.NativePath is { } path)
        {
            if (string.IsNullOrWhiteSpace(path))
                problems.Add("NativePath is empty; leave it null for the default search");
            else if (!File.Exists(path) && !Directory.Exists(path))
                problems.Add($"NativePath '{path}' is neither a file nor a directory");
        }
        if (options.DefaultDevice is { } device && !Device.TryParse(device, out _))
            problems.Add($"DefaultDevice '{device}' is not a device (expected cpu, cuda, cuda:N, hip, metal)");
        if (options.NumThreads is int threads && threads < 1)
            problems.Add($"NumThreads must be at least 1 (got {threads})");
        foreach (string backend in options.Backends)
        {
            if (string.IsNullOrWhiteSpace(backend))
                problems.Add("Backends contains an empty name");
            else if (!EmberRuntime.BackendNames.ContainsKey(backend) && !File.Exists(backend))
                problems.Add($"Backends: '{backend}' is neither a known backend ({string.Join(", ", EmberRuntime.BackendNames.Keys)}) nor an existing plugin file");
        }
        if (problems.Count > 0)
            throw new ArgumentException("invalid Ember options: " + string.Join("; ", problems), nameof(options));
    }
}
