using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Ember.Bindings.Generator;

// Hand-written, blittable P/Invoke over the subset of the libclang C API the generator uses.
// Values mirror clang-c/Index.h, which has been ABI-stable since LLVM 3.x.

internal enum CXCursorKind
{
    StructDecl = 2,
    UnionDecl = 3,
    EnumDecl = 5,
    FieldDecl = 6,
    EnumConstantDecl = 7,
    FunctionDecl = 8,
    VarDecl = 9,
    TypedefDecl = 20,
    AnnotateAttr = 406,
    MacroDefinition = 501,
    MacroExpansion = 502,
    InclusionDirective = 503,
    StaticAssert = 602,
}

internal enum CXTypeKind
{
    Invalid = 0,
    Void = 2,
    Bool = 3,
    Char_U = 4,
    UChar = 5,
    UShort = 8,
    UInt = 9,
    ULong = 10,
    ULongLong = 11,
    Char_S = 13,
    SChar = 14,
    Short = 16,
    Int = 17,
    Long = 18,
    LongLong = 19,
    Float = 21,
    Double = 22,
    Pointer = 101,
    Record = 105,
    Enum = 106,
    Typedef = 107,
    FunctionNoProto = 110,
    FunctionProto = 111,
    ConstantArray = 112,
    IncompleteArray = 114,
    Elaborated = 119,
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXCursor
{
    public CXCursorKind Kind;
    public int XData;
    public void* Data0;
    public void* Data1;
    public void* Data2;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXType
{
    public CXTypeKind Kind;
    public void* Data0;
    public void* Data1;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXString
{
    public void* Data;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXSourceLocation
{
    public void* Ptr0;
    public void* Ptr1;
    public uint IntData;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXSourceRange
{
    public void* Ptr0;
    public void* Ptr1;
    public uint Begin;
    public uint End;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CXToken
{
    public uint Int0;
    public uint Int1;
    public uint Int2;
    public uint Int3;
    public void* Ptr;
}

internal static unsafe class LibClang
{
    private const string Lib = "libclang";

    /// <summary>Debian's libclang, used when the NuGet runtime package's copy cannot be loaded.</summary>
    private static readonly string[] Fallbacks =
    {
        "libclang-14.so.1",
        "/usr/lib/x86_64-linux-gnu/libclang-14.so.1",
        "libclang.so",
    };

    static LibClang()
    {
        NativeLibrary.SetDllImportResolver(typeof(LibClang).Assembly, Resolve);
    }

    /// <summary>Touching this forces the static constructor (and so the resolver) to run first.</summary>
    public static void EnsureLoaded()
    {
        var s = clang_getClangVersion();
        clang_disposeString(s);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib)
        {
            return IntPtr.Zero;
        }
        var explicitPath = Environment.GetEnvironmentVariable("EMBER_LIBCLANG_PATH");
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return NativeLibrary.Load(explicitPath);
        }
        // The libclang.runtime.linux-x64 package: found through deps.json, or beside the assembly.
        if (NativeLibrary.TryLoad(name, assembly, path, out var handle))
        {
            return handle;
        }
        var beside = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libclang.so");
        if (File.Exists(beside) && NativeLibrary.TryLoad(beside, out handle))
        {
            return handle;
        }
        foreach (var candidate in Fallbacks)
        {
            if (NativeLibrary.TryLoad(candidate, out handle))
            {
                return handle;
            }
        }
        throw new DllNotFoundException(
            "libclang not found: restore the libclang.runtime.linux-x64 package, install Debian's libclang1-14, "
            + "or set EMBER_LIBCLANG_PATH.");
    }

    /// <summary>Copies and frees a CXString.</summary>
    public static string Str(CXString s)
    {
        try
        {
            var p = clang_getCString(s);
            return p == null ? string.Empty : Marshal.PtrToStringUTF8((IntPtr)p) ?? string.Empty;
        }
        finally
        {
            clang_disposeString(s);
        }
    }

    public static byte[] Utf8z(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
        return bytes;
    }

    /// <summary>The direct children of a cursor, in source order.</summary>
    public static List<CXCursor> Children(CXCursor parent)
    {
        var list = new List<CXCursor>();
        var gc = GCHandle.Alloc(list);
        try
        {
            clang_visitChildren(parent, &Collect, (void*)GCHandle.ToIntPtr(gc));
        }
        finally
        {
            gc.Free();
        }
        return list;
    }

    [UnmanagedCallersOnly]
    private static int Collect(CXCursor cursor, CXCursor parent, void* data)
    {
        var list = (List<CXCursor>)GCHandle.FromIntPtr((IntPtr)data).Target!;
        list.Add(cursor);
        return 1; // CXChildVisit_Continue
    }

    [DllImport(Lib)] public static extern CXString clang_getClangVersion();
    [DllImport(Lib)] public static extern byte* clang_getCString(CXString s);
    [DllImport(Lib)] public static extern void clang_disposeString(CXString s);

    [DllImport(Lib)] public static extern void* clang_createIndex(int excludeDeclarationsFromPch, int displayDiagnostics);
    [DllImport(Lib)] public static extern void clang_disposeIndex(void* index);
    [DllImport(Lib)]
    public static extern int clang_parseTranslationUnit2(void* index, byte* sourceFilename, byte** args, int numArgs,
        void* unsavedFiles, uint numUnsavedFiles, uint options, void** tu);
    [DllImport(Lib)] public static extern void clang_disposeTranslationUnit(void* tu);

    [DllImport(Lib)] public static extern uint clang_getNumDiagnostics(void* tu);
    [DllImport(Lib)] public static extern void* clang_getDiagnostic(void* tu, uint index);
    [DllImport(Lib)] public static extern int clang_getDiagnosticSeverity(void* diagnostic);
    [DllImport(Lib)] public static extern CXSourceLocation clang_getDiagnosticLocation(void* diagnostic);
    [DllImport(Lib)] public static extern CXString clang_getDiagnosticSpelling(void* diagnostic);
    [DllImport(Lib)] public static extern void clang_disposeDiagnostic(void* diagnostic);

    [DllImport(Lib)] public static extern CXCursor clang_getTranslationUnitCursor(void* tu);
    [DllImport(Lib)]
    public static extern uint clang_visitChildren(CXCursor parent,
        delegate* unmanaged<CXCursor, CXCursor, void*, int> visitor, void* clientData);

    [DllImport(Lib)] public static extern CXString clang_getCursorSpelling(CXCursor c);
    [DllImport(Lib)] public static extern CXSourceLocation clang_getCursorLocation(CXCursor c);
    [DllImport(Lib)] public static extern CXSourceRange clang_getCursorExtent(CXCursor c);
    [DllImport(Lib)]
    public static extern void clang_getExpansionLocation(CXSourceLocation location, void** file, uint* line,
        uint* column, uint* offset);
    [DllImport(Lib)] public static extern CXString clang_getFileName(void* file);
    [DllImport(Lib)] public static extern uint clang_isCursorDefinition(CXCursor c);
    [DllImport(Lib)] public static extern CXString clang_getCursorUSR(CXCursor c);
    [DllImport(Lib)] public static extern uint clang_Cursor_isAnonymous(CXCursor c);
    [DllImport(Lib)] public static extern uint clang_Cursor_isBitField(CXCursor c);
    [DllImport(Lib)] public static extern int clang_Cursor_getStorageClass(CXCursor c);
    [DllImport(Lib)] public static extern uint clang_Cursor_isMacroFunctionLike(CXCursor c);
    [DllImport(Lib)] public static extern uint clang_Cursor_isMacroBuiltin(CXCursor c);
    [DllImport(Lib)] public static extern int clang_Cursor_getNumArguments(CXCursor c);
    [DllImport(Lib)] public static extern CXCursor clang_Cursor_getArgument(CXCursor c, uint i);
    [DllImport(Lib)] public static extern long clang_getEnumConstantDeclValue(CXCursor c);
    [DllImport(Lib)] public static extern ulong clang_getEnumConstantDeclUnsignedValue(CXCursor c);
    [DllImport(Lib)] public static extern CXType clang_getEnumDeclIntegerType(CXCursor c);
    [DllImport(Lib)] public static extern CXType clang_getTypedefDeclUnderlyingType(CXCursor c);

    [DllImport(Lib)] public static extern CXType clang_getCursorType(CXCursor c);
    [DllImport(Lib)] public static extern CXType clang_getCursorResultType(CXCursor c);
    [DllImport(Lib)] public static extern CXString clang_getTypeSpelling(CXType t);
    [DllImport(Lib)] public static extern CXType clang_getCanonicalType(CXType t);
    [DllImport(Lib)] public static extern CXType clang_getPointeeType(CXType t);
    [DllImport(Lib)] public static extern CXType clang_Type_getNamedType(CXType t);
    [DllImport(Lib)] public static extern CXCursor clang_getTypeDeclaration(CXType t);
    [DllImport(Lib)] public static extern uint clang_isFunctionTypeVariadic(CXType t);
    [DllImport(Lib)] public static extern int clang_getNumArgTypes(CXType t);
    [DllImport(Lib)] public static extern CXType clang_getArgType(CXType t, uint i);
    [DllImport(Lib)] public static extern CXType clang_getResultType(CXType t);
    [DllImport(Lib)] public static extern CXType clang_getArrayElementType(CXType t);
    [DllImport(Lib)] public static extern long clang_getArraySize(CXType t);
    [DllImport(Lib)] public static extern long clang_Type_getSizeOf(CXType t);
    [DllImport(Lib)] public static extern long clang_Type_getOffsetOf(CXType t, byte* field);

    [DllImport(Lib)]
    public static extern void clang_tokenize(void* tu, CXSourceRange range, CXToken** tokens, uint* numTokens);
    [DllImport(Lib)] public static extern CXString clang_getTokenSpelling(void* tu, CXToken token);
    [DllImport(Lib)] public static extern void clang_disposeTokens(void* tu, CXToken* tokens, uint numTokens);
}
