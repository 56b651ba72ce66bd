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
/// base directory, the directory of the Ember assembly, then the platform's default search.
/// </summary>
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
    /// Chooses the native library to load: a file, or a directory holding it; null restores the default
    /// search. Call it before the first tensor op (<c>Ember.Hosting</c>'s <c>AddEmber</c> does).
    /// </summary>
    /// <exception cref="InvalidOperationException">The library was already loaded from another place.</exception>
    public static void Configure(string? nativePath)
    {
        lock (s_lock)
        {
            string? full = string.IsNullOrWhiteSpace(nativePath) ? null : Path.GetFullPath(nativePath);
            if (s_loadedPath is not null)
            {
                if (full is null || SamePlace(full, s_loadedPath))
                    return;
                throw new InvalidOperationException(
                    $"the Ember native library is already loaded from '{s_loadedPath}'; it cannot be switched to '{full}'. " +
                    "Configure the native path before the first tensor op.");
            }
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
                $"Set {PathVariable} to the library or its directory, or add the runtime package for {RuntimeIdentifier}.");
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
        // Empty in a single-file app, where the base directory below covers it.
#pragma warning disable IL3000
        string? assemblyDirectory = Path.GetDirectoryName(typeof(EmberNative).Assembly.Location);
#pragma warning restore IL3000
        if (!string.IsNullOrEmpty(assemblyDirectory))
            candidates.Add(Path.Combine(assemblyDirectory, file));
        candidates.Add(Path.Combine(baseDirectory, file));
        return candidates.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal);
    }

    /// <summary>A path names the library itself or a directory that holds it.</summary>
    private static string FileIn(string path, string file) => Directory.Exists(path) ? Path.Combine(path, file) : path;

    private static string RuntimeIdentifier
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
        return handle;
    }
}
