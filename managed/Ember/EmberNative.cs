using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ember.Interop;

namespace Ember;

/// <summary>
/// Finds and loads the native engine (<c>libember.so</c>, <c>ember.dll</c>, <c>libember.dylib</c>) and
/// reports what it provides. Nothing has to be called for plain use: the library is looked up on the
/// first op, in this order: the path given to <see cref="Configure"/>, the <c>EMBER_NATIVE_PATH</c>
/// environment variable (a file or a directory), <c>runtimes/{rid}/native</c> under the application's
/// base directory (<see cref="AppContext.BaseDirectory"/>: a framework-dependent app's layout), the base
/// directory itself (a RID-specific, single-file or Native AOT app), then the platform's default search.
/// <see cref="System.Reflection.Assembly.Location"/> is never used, so single-file and Native AOT apps
/// resolve the same way. One resolver serves the whole process.
/// </summary>
/// <remarks>
/// Backend plugins (<c>libember_cuda.so</c>, ...) lying beside the loaded library are loaded with it;
/// one that fails (no driver, a wrong CUDA version) leaves the CPU working and says why in
/// <see cref="Torch.Backends.Status"/>. Set <c>EMBER_NO_PLUGINS=1</c> to skip that discovery.
/// </remarks>
public static unsafe class EmberNative
{
    /// <summary>Environment variable naming the native library file or the directory that holds it.</summary>
    public const string PathVariable = "EMBER_NATIVE_PATH";

    private static readonly Lock s_lock = new();
    private static string? s_configuredPath;
    private static nint s_library;
    private static string? s_loadedPath;

    /// <summary>Installs the resolver as soon as the Ember assembly is touched, before any P/Invoke can run.</summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The resolver must be in place before the first P/Invoke of this assembly.")]
    internal static void InstallResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(EmberNative).Assembly, Resolve);

    /// <summary>
    /// Chooses the native library to load: a file, or a directory holding it; null or empty keeps the
    /// default search. Call it before the first tensor op (<c>Ember.Hosting</c>'s <c>AddEmber</c> does).
    /// Configuring the same place again is allowed; another place is an error.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another path was configured already, or the library was already loaded from another place.</exception>
    public static void Configure(string? nativePath)
    {
        if (string.IsNullOrWhiteSpace(nativePath))
            return;
        lock (s_lock)
        {
            string full = Path.GetFullPath(nativePath);
            if (s_loadedPath is not null)
            {
                if (SamePlace(full, s_loadedPath))
                    return;
                throw new InvalidOperationException(
                    $"the Ember native library is already loaded from '{s_loadedPath}'; it cannot be switched to '{full}'. " +
                    "Configure the native path before the first tensor op.");
            }
            if (s_configuredPath is not null && !string.Equals(s_configuredPath, full, StringComparison.Ordinal))
                throw new InvalidOperationException(
                    $"the Ember native path is already configured as '{s_configuredPath}'; a second configuration asks for '{full}'. One process has one native library.");
            s_configuredPath = full;
        }
    }

    /// <summary>The file the native library was loaded from, or null while it is not loaded yet (or came from the default search).</summary>
    public static string? LoadedPath
    {
        get
        {
            lock (s_lock)
                return s_loadedPath;
        }
    }

    /// <summary>The ABI version of the loaded native library (loads it when needed).</summary>
    public static int AbiVersion
    {
        get
        {
            int version;
            Errors.Check(NativeMethods.ember_abi_version(&version));
            return version;
        }
    }

    /// <summary>Bytes currently held by live CPU storages of the engine.</summary>
    public static long CpuBytesAllocated
    {
        get
        {
            long bytes;
            Errors.Check(NativeMethods.ember_cpu_bytes_allocated(&bytes));
            return bytes;
        }
    }

    /// <summary>True when a backend for the device type is registered and has at least one device.</summary>
    public static bool IsAvailable(DeviceType type)
    {
        int available;
        Errors.Check(NativeMethods.ember_backend_is_available((int)type, &available));
        return available != 0;
    }

    /// <summary>Number of devices of the type (0 when its backend is not loaded).</summary>
    public static int DeviceCount(DeviceType type)
    {
        int count;
        Errors.Check(NativeMethods.ember_backend_device_count((int)type, &count));
        return count;
    }

    /// <summary>Loads a GPU backend plugin (e.g. <c>libember_cuda.so</c>) into the engine's backend registry.</summary>
    /// <exception cref="EmberBackendException">The plugin failed to load.</exception>
    public static void LoadBackend(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int length = System.Text.Encoding.UTF8.GetByteCount(path);
        Span<byte> utf8 = length < 512 ? stackalloc byte[length + 1] : new byte[length + 1];
        System.Text.Encoding.UTF8.GetBytes(path, utf8);
        utf8[length] = 0;
        fixed (byte* p = utf8)
            Errors.Check(NativeMethods.ember_backend_load(p));
    }

    /// <summary>File name of the library on this platform.</summary>
    internal static string LibraryFileName =>
        OperatingSystem.IsWindows() ? "ember.dll" : OperatingSystem.IsMacOS() ? "libember.dylib" : "libember.so";

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != NativeMethods.LibraryName)
            return 0;
        lock (s_lock)
        {
            if (s_library != 0)
                return s_library;
            var tried = new List<string>();
            foreach (string candidate in Candidates())
            {
                if (!File.Exists(candidate))
                {
                    tried.Add(candidate + " (not found)");
                    continue;
                }
                try
                {
                    return Accept(NativeLibrary.Load(candidate), candidate);
                }
                catch (DllNotFoundException e)
                {
                    tried.Add($"{candidate} (exists but failed to load: {e.Message})");
                }
                catch (BadImageFormatException e)
                {
                    tried.Add($"{candidate} (exists but is not a loadable library: {e.Message})");
                }
            }
            if (NativeLibrary.TryLoad(libraryName, assembly, searchPath, out nint fallback))
                return Accept(fallback, null);
            tried.Add($"the platform's default search for '{libraryName}' (not found)");
            throw new DllNotFoundException(
                $"the Ember native library ({LibraryFileName}) was not found. Tried, in order:{Environment.NewLine}  " +
                string.Join(Environment.NewLine + "  ", tried) + Environment.NewLine +
                $"Add the runtime package for this platform (dotnet add package {RuntimePackage}), or set {PathVariable} to the library or its directory.");
        }
    }

    /// <summary>The places tried before the default search, in order (the configured path, then EMBER_NATIVE_PATH, ...).</summary>
    internal static IEnumerable<string> Candidates()
    {
        string file = LibraryFileName;
        var candidates = new List<string>();
        if (s_configuredPath is not null)
            candidates.Add(FileIn(s_configuredPath, file));
        string? fromEnvironment = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            candidates.Add(FileIn(Path.GetFullPath(fromEnvironment), file));
        string baseDirectory = AppContext.BaseDirectory;
        candidates.Add(Path.Combine(baseDirectory, "runtimes", RuntimeIdentifier, "native", file));
        candidates.Add(Path.Combine(baseDirectory, file));
        return candidates.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal);
    }

    /// <summary>A path names the library itself or a directory that holds it.</summary>
    private static string FileIn(string path, string file) => Directory.Exists(path) ? Path.Combine(path, file) : path;

    /// <summary>The NuGet package that carries the native library for this platform.</summary>
    public static string RuntimePackage => "Ember.Runtime." + RuntimeIdentifier;

    /// <summary>The .NET runtime identifier of this process (<c>linux-x64</c>, <c>win-x64</c>, <c>osx-arm64</c>, ...).</summary>
    public static string RuntimeIdentifier
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "x64",
                Architecture.Arm64 => "arm64",
                Architecture.X86 => "x86",
                Architecture.Arm => "arm",
                var other => other.ToString().ToLowerInvariant(),
            };
            return os + "-" + arch;
        }
    }

    private static bool SamePlace(string path, string loaded) =>
        string.Equals(Path.GetFullPath(FileIn(path, LibraryFileName)), loaded, StringComparison.Ordinal);

    /// <summary>Checks the ABI of a freshly loaded library before any binding may call it.</summary>
    private static nint Accept(nint handle, string? path)
    {
        // The resolver runs inside the first P/Invoke, so the check calls the export directly.
        if (!NativeLibrary.TryGetExport(handle, "ember_abi_version", out nint export))
        {
            NativeLibrary.Free(handle);
            throw new DllNotFoundException($"'{path ?? LibraryFileName}' is not the Ember native library: it has no ember_abi_version export");
        }
        int version = 0;
        ember_status status = ((delegate* unmanaged<int*, ember_status>)export)(&version);
        if (status != ember_status.EMBER_OK || version != NativeConstants.EMBER_ABI_VERSION)
        {
            NativeLibrary.Free(handle);
            throw new EmberException(
                $"the Ember native library '{path ?? LibraryFileName}' has ABI version {version}, but this Ember assembly needs version {NativeConstants.EMBER_ABI_VERSION}; use matching packages");
        }
        NativeLayout.Verify();
        s_library = handle;
        s_loadedPath = path;
        if (path is not null && Environment.GetEnvironmentVariable("EMBER_NO_PLUGINS") != "1")
            DiscoverPlugins(handle, Path.GetDirectoryName(path)!);
        return handle;
    }

    // ---- backend plugins ----

    private static readonly List<BackendStatus> s_backends = [];

    /// <summary>The plugin file name of a backend (<c>cuda</c> -> <c>libember_cuda.so</c>).</summary>
    internal static string PluginFileName(string backend) =>
        OperatingSystem.IsWindows() ? $"ember_{backend}.dll" : OperatingSystem.IsMacOS() ? $"libember_{backend}.dylib" : $"libember_{backend}.so";

    /// <summary>Loads every <c>libember_*</c> plugin beside the core library, recording each outcome. Runs inside the
    /// resolver (the first P/Invoke), so it calls the exports directly.</summary>
    private static void DiscoverPlugins(nint handle, string directory)
    {
        string prefix = Path.GetFileNameWithoutExtension(PluginFileName("x"))[..^1];
        string extension = Path.GetExtension(LibraryFileName);
        IEnumerable<string> plugins;
        try
        {
            plugins = Directory.EnumerateFiles(directory, prefix + "*" + extension).Order(StringComparer.Ordinal).ToArray();
        }
        catch (IOException)
        {
            return;
        }
        if (!NativeLibrary.TryGetExport(handle, "ember_backend_load", out nint load) || !NativeLibrary.TryGetExport(handle, "ember_last_error", out nint lastError))
            return;
        foreach (string plugin in plugins)
        {
            string name = Path.GetFileNameWithoutExtension(plugin)[prefix.Length..];
            string? error = LoadPluginDirect(load, lastError, plugin);
            s_backends.Add(new BackendStatus(name, plugin, error is null, error));
        }
    }

    private static string? LoadPluginDirect(nint load, nint lastError, string path)
    {
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        ember_status status;
        fixed (byte* p = utf8)
            status = ((delegate* unmanaged<byte*, ember_status>)load)(p);
        if (status == ember_status.EMBER_OK)
            return null;
        string? message = Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)lastError)());
        return string.IsNullOrEmpty(message) ? $"ember_backend_load returned {status}" : message;
    }

    /// <summary>Loads a backend by name (looked up beside the core library) or by path, recording the outcome.</summary>
    internal static BackendStatus LoadBackendRecorded(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        _ = AbiVersion; // loads the core library (and discovers the plugins beside it)
        lock (s_lock)
        {
            bool isPath = nameOrPath.Contains('/') || nameOrPath.Contains('\\') || File.Exists(nameOrPath);
            string name = isPath ? PluginName(nameOrPath) : nameOrPath.ToLowerInvariant();
            BackendStatus? previous = s_backends.LastOrDefault(b => b.Name == name && b.Loaded);
            if (previous is not null)
                return previous;
            string path = isPath ? Path.GetFullPath(nameOrPath)
                : Path.Combine(Path.GetDirectoryName(s_loadedPath ?? "") is { Length: > 0 } dir ? dir : AppContext.BaseDirectory, PluginFileName(name));
            string? error = null;
            if (!File.Exists(path))
                error = $"the plugin '{path}' does not exist (add the package Ember.Runtime.{char.ToUpperInvariant(name[0])}{name[1..]}.{RuntimeIdentifier}, or give the plugin's path)";
            else
            {
                try
                {
                    LoadBackend(path);
                }
                catch (EmberException e)
                {
                    error = e.Message;
                }
            }
            var status = new BackendStatus(name, path, error is null, error);
            s_backends.Add(status);
            return status;
        }
    }

    private static string PluginName(string path)
    {
        string file = Path.GetFileNameWithoutExtension(path);
        foreach (string prefix in new[] { "libember_", "ember_" })
        {
            if (file.StartsWith(prefix, StringComparison.Ordinal))
                return file[prefix.Length..];
        }
        return file;
    }

    /// <summary>Every plugin load attempted so far, in order.</summary>
    internal static IReadOnlyList<BackendStatus> BackendAttempts
    {
        get
        {
            lock (s_lock)
                return [.. s_backends];
        }
    }
}

/// <summary>The outcome of loading one backend plugin.</summary>
/// <param name="Name">The backend's name (<c>cuda</c>, <c>hip</c>, <c>metal</c>, or the plugin's file name).</param>
/// <param name="Path">The plugin file.</param>
/// <param name="Loaded">Whether it loaded and registered its backend.</param>
/// <param name="Error">Why it did not, or null.</param>
public sealed record BackendStatus(string Name, string Path, bool Loaded, string? Error);

public static partial class Torch
{
    /// <summary>
    /// The engine's device backends (<c>torch.backends</c>): the CPU is built in; GPU backends are plugins
    /// (<c>libember_cuda.so</c>, ...) loaded automatically when they lie beside the core library, or on request
    /// with <see cref="Load"/>. A plugin that fails to load leaves the CPU working; <see cref="Status"/> says why.
    /// </summary>
    public static partial class Backends
    {
        /// <summary>
        /// Loads a backend plugin: a name (<c>"cuda"</c>, <c>"hip"</c>, <c>"metal"</c>: <c>libember_{name}</c> beside the
        /// core library) or a plugin's path. Loading one that is loaded already does nothing.
        /// </summary>
        /// <exception cref="EmberBackendException">The plugin is missing or failed to load; the message says why.</exception>
        public static BackendStatus Load(string backend)
        {
            BackendStatus status = EmberNative.LoadBackendRecorded(backend);
            if (!status.Loaded)
                throw new EmberBackendException($"Torch.Backends.Load(\"{backend}\"): {status.Error}");
            return status;
        }

        /// <summary>Like <see cref="Load"/>, but returns false instead of throwing; the reason is in <paramref name="status"/>.</summary>
        public static bool TryLoad(string backend, out BackendStatus status)
        {
            status = EmberNative.LoadBackendRecorded(backend);
            return status.Loaded;
        }

        /// <summary>Every plugin load attempted in this process (discovered or requested), in order, with its outcome.</summary>
        public static IReadOnlyList<BackendStatus> Status
        {
            get
            {
                _ = EmberNative.AbiVersion; // the first query loads the library, and with it the plugins beside it
                return EmberNative.BackendAttempts;
            }
        }

        /// <summary>The device types with a registered backend and at least one device (always includes the CPU).</summary>
        public static IReadOnlyList<DeviceType> Available => [.. Enum.GetValues<DeviceType>().Where(EmberNative.IsAvailable)];
    }
}
