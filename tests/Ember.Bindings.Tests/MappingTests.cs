using Ember.Bindings.Generator;
using NUnit.Framework;

namespace Ember.Bindings.Tests;

[TestFixture]
public sealed class MappingTests
{
    private HeaderFixture _fx = null!;

    [SetUp]
    public void SetUp() => _fx = new HeaderFixture();

    [TearDown]
    public void TearDown() => _fx.Dispose();

    [Test]
    public void EnumsKeepNamesValuesAndTheUnderlyingTypeClangChose()
    {
        var code = _fx.Generate("""
            #include <stdint.h>
            typedef enum demo_color { DEMO_RED = 0, DEMO_GREEN = 5, DEMO_BLUE } demo_color;
            typedef enum demo_sign { DEMO_NEG = -3, DEMO_POS = 7 } demo_sign;
            typedef enum { DEMO_ANON_A = 1 } demo_anon;
            """);

        // Clang gives an enum without negative values the type unsigned int, otherwise int.
        Assert.That(code, Does.Contain("internal enum demo_color : uint\n{\n    DEMO_RED = 0,\n    DEMO_GREEN = 5,\n    DEMO_BLUE = 6,\n}\n"));
        Assert.That(code, Does.Contain("internal enum demo_sign : int\n{\n    DEMO_NEG = -3,\n    DEMO_POS = 7,\n}\n"));
        Assert.That(code, Does.Contain("internal enum demo_anon : uint\n"));
        Assert.That(code, Does.Contain("Size(\"demo_color\", sizeof(demo_color), 4);"));
    }

    [Test]
    public void StructsGetSequentialLayoutAndClangOffsets()
    {
        var code = _fx.Generate("""
            #include <stdint.h>
            typedef struct demo_inner { int32_t a; int32_t b; } demo_inner;
            typedef struct demo_pod {
              int8_t small;
              int64_t big;
              double d;
              demo_inner inner;
              const float* data;
              uint16_t dims[3];
              int32_t out;
            } demo_pod;
            """);

        Assert.That(code, Does.Contain(
            "[StructLayout(LayoutKind.Sequential)]\ninternal unsafe struct demo_pod\n{\n"
            + "    public sbyte small;\n    public long big;\n    public double d;\n    public demo_inner inner;\n"
            + "    public float* data;\n    public fixed ushort dims[3];\n    public int @out;\n}\n"));
        Assert.That(code, Does.Contain("[StructLayout(LayoutKind.Sequential)]\ninternal struct demo_inner\n"));
        // Hand-computed x86-64 layout: small 0 (+7 pad), big 8, d 16, inner 24, data 32, dims 40 (+2 pad), out 48 (+4 pad) -> 56.
        Assert.That(code, Does.Contain("Size(\"demo_pod\", sizeof(demo_pod), 56);"));
        Assert.That(code, Does.Contain("Offset(\"demo_pod\", \"big\", (byte*)&v.big - (byte*)&v, 8);"));
        Assert.That(code, Does.Contain("Offset(\"demo_pod\", \"inner\", (byte*)&v.inner - (byte*)&v, 24);"));
        Assert.That(code, Does.Contain("Offset(\"demo_pod\", \"data\", (byte*)&v.data - (byte*)&v, 32);"));
        Assert.That(code, Does.Contain("Offset(\"demo_pod\", \"dims\", (byte*)v.dims - (byte*)&v, 40);"));
        Assert.That(code, Does.Contain("Offset(\"demo_pod\", \"out\", (byte*)&v.@out - (byte*)&v, 48);"));
    }

    [Test]
    public void OpaquePointerTypedefsBecomeTypedHandles()
    {
        var code = _fx.Generate("""
            typedef struct demo_thing_impl* demo_thing;
            """);

        Assert.That(code, Does.Contain(
            "internal readonly struct demo_thing\n{\n    public readonly nint Handle;\n\n"
            + "    public demo_thing(nint handle)\n    {\n        Handle = handle;\n    }\n\n"
            + "    public bool IsNull => Handle == 0;\n}\n"));
        Assert.That(code, Does.Contain("Size(\"demo_thing\", sizeof(demo_thing), 8);"));
        Assert.That(code, Does.Not.Contain("demo_thing_impl"));
    }

    [Test]
    public void FunctionsMapToBlittableDllImports()
    {
        var code = _fx.Generate("""
            #include <stdint.h>
            #include <stddef.h>
            typedef enum demo_status { DEMO_OK = 0 } demo_status;
            typedef struct demo_pair { int32_t x; int32_t y; } demo_pair;
            typedef struct demo_obj_impl* demo_obj;
            typedef int64_t demo_index;
            demo_status demo_create(const char* name, const int64_t* sizes, int32_t n, demo_pair p, demo_obj* out);
            demo_status demo_fill(demo_obj o, void* data, size_t nbytes, uint8_t value, int16_t s, uint64_t u, float f);
            void demo_nothing(void);
            const char* demo_message(void);
            demo_status demo_index_of(demo_obj o, demo_index i, double* params, void** ptrs, int32_t);
            """);

        const string attr = "    [DllImport(NativeMethods.LibraryName, ExactSpelling = true)]\n";
        Assert.That(code, Does.Contain("internal static unsafe partial class NativeMethods\n{\n    public const string LibraryName = \"ember\";\n"));
        Assert.That(code, Does.Contain(attr + "    internal static extern demo_status demo_create(byte* name, long* sizes, int n, demo_pair p, demo_obj* @out);\n"));
        Assert.That(code, Does.Contain(attr + "    internal static extern demo_status demo_fill(demo_obj o, void* data, nuint nbytes, byte value, short s, ulong u, float f);\n"));
        Assert.That(code, Does.Contain(attr + "    internal static extern void demo_nothing();\n"));
        Assert.That(code, Does.Contain(attr + "    internal static extern byte* demo_message();\n"));
        Assert.That(code, Does.Contain(attr + "    internal static extern demo_status demo_index_of(demo_obj o, long i, double* @params, void** ptrs, int arg4);\n"));
    }

    [Test]
    public void NoBlockMarkedFunctionsSuppressTheGCTransition()
    {
        // The marker as core.h defines it: empty for C compilers, an annotation for the generator.
        var code = _fx.Generate("""
            #include <stdint.h>
            #if defined(EMBER_BINDINGS_GENERATOR)
            #define EMBER_NOBLOCK __attribute__((annotate("ember_noblock")))
            #else
            #define EMBER_NOBLOCK
            #endif
            EMBER_NOBLOCK int32_t demo_version(const int64_t* t, int64_t* out);
            int32_t demo_release(const int64_t* t);
            """);

        const string attr = "    [DllImport(NativeMethods.LibraryName, ExactSpelling = true)]\n";
        Assert.That(code, Does.Contain(attr + "    [SuppressGCTransition]\n    internal static extern int demo_version(long* t, long* @out);\n"));
        Assert.That(code, Does.Contain(attr + "    internal static extern int demo_release(long* t);\n"));
        Assert.That(code, Does.Not.Contain("EMBER_NOBLOCK"));
        Assert.That(code, Does.Not.Contain("EMBER_BINDINGS_GENERATOR"));
    }

    [Test]
    public void FunctionPointersBecomeUnmanagedFunctionPointers()
    {
        var code = _fx.Generate("""
            #include <stdint.h>
            typedef enum demo_status { DEMO_OK = 0 } demo_status;
            typedef demo_status (*demo_callback)(void* ctx, const char* message);
            typedef struct demo_table {
              void* ctx;
              int64_t (*size)(void* ctx, int32_t index);
              void (*done)(void);
            } demo_table;
            demo_status demo_on(demo_callback cb, void* ctx);
            """);

        Assert.That(code, Does.Contain("internal static extern demo_status demo_on(delegate* unmanaged[Cdecl]<void*, byte*, demo_status> cb, void* ctx);"));
        Assert.That(code, Does.Contain(
            "internal unsafe struct demo_table\n{\n    public void* ctx;\n"
            + "    public delegate* unmanaged[Cdecl]<void*, int, long> size;\n    public delegate* unmanaged[Cdecl]<void> done;\n}\n"));
        Assert.That(code, Does.Contain("Offset(\"demo_table\", \"done\", (byte*)&v.done - (byte*)&v, 16);"));
    }

    [Test]
    public void IntegerMacrosBecomeConstantsAndPlumbingMacrosAreIgnored()
    {
        var code = _fx.Generate("""
            #ifndef DEMO_API_H
            #define DEMO_API_H
            #define EMBER_API __attribute__((visibility("default")))
            #define DEMO_VERSION 3
            #define DEMO_FLAGS 0x10u
            #define DEMO_NEGATIVE (-2)
            #define DEMO_BIG 5000000000LL
            #endif
            """);

        Assert.That(code, Does.Contain(
            "internal static class NativeConstants\n{\n    public const long DEMO_BIG = 5000000000;\n"
            + "    public const int DEMO_FLAGS = 16;\n    public const int DEMO_NEGATIVE = -2;\n    public const int DEMO_VERSION = 3;\n}\n"));
        Assert.That(code, Does.Not.Contain("DEMO_API_H"));
        Assert.That(code, Does.Not.Contain("EMBER_API"));
    }

    [Test]
    public void OnlyDeclarationsInTheHeadersFolderAreEmitted()
    {
        var outside = System.IO.Path.Combine(_fx.Root, "include", "other");
        System.IO.Directory.CreateDirectory(outside);
        System.IO.File.WriteAllText(System.IO.Path.Combine(outside, "other.h"), "int other_function(int x);\n#define OTHER_CONST 4\n");
        _fx.Write("part.h", "int demo_part(int x);\n");
        var code = _fx.Generate("""
            #include "../other/other.h"
            #include "part.h"
            int demo_main(int x);
            """);

        Assert.That(code, Does.Contain("demo_part("));
        Assert.That(code, Does.Contain("demo_main("));
        Assert.That(code, Does.Not.Contain("other_function"));
        Assert.That(code, Does.Not.Contain("OTHER_CONST"));
        Assert.That(code, Does.Contain("//     include/demo/api.h\n//     include/demo/part.h\n"));
        Assert.That(code, Does.Not.Contain("other.h"));
    }
}
