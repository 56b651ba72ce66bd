using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Ember.Bindings.Generator;

/// <summary>Reads the C headers through libclang into a <see cref="HeaderModel"/>, failing on anything unknown.</summary>
internal sealed unsafe class HeaderParser
{
    /// <summary>Where a type is used; decides what is allowed (void only as a return or pointee, arrays only in fields and parameters).</summary>
    private enum Use
    {
        Return,
        Parameter,
        Field,
        Pointee,
    }

    private static readonly Dictionary<string, string> FixedWidth = new(StringComparer.Ordinal)
    {
        ["int8_t"] = "sbyte",
        ["int16_t"] = "short",
        ["int32_t"] = "int",
        ["int64_t"] = "long",
        ["uint8_t"] = "byte",
        ["uint16_t"] = "ushort",
        ["uint32_t"] = "uint",
        ["uint64_t"] = "ulong",
        ["intptr_t"] = "nint",
        ["uintptr_t"] = "nuint",
        ["size_t"] = "nuint",
        ["ptrdiff_t"] = "nint",
    };

    /// <summary>Element types C# allows in a fixed buffer.</summary>
    private static readonly HashSet<string> FixedBufferTypes = new(StringComparer.Ordinal)
    {
        "byte", "sbyte", "short", "ushort", "int", "uint", "long", "ulong", "float", "double",
    };

    /// <summary>Macros that are part of the header's plumbing, not of the ABI.</summary>
    private static readonly HashSet<string> IgnoredMacros = new(StringComparer.Ordinal) { "EMBER_API", "EMBER_BUILDING", "EMBER_NOBLOCK", NoBlockDefine };

    /// <summary>
    /// Defined while the generator parses, so that core.h's EMBER_NOBLOCK marker (empty for C compilers) becomes an
    /// annotate attribute the generator can see on the declaration.
    /// </summary>
    internal const string NoBlockDefine = "EMBER_BINDINGS_GENERATOR";

    /// <summary>The annotation EMBER_NOBLOCK expands to under <see cref="NoBlockDefine"/>.</summary>
    internal const string NoBlockAnnotation = "ember_noblock";

    private readonly string _header;
    private readonly string _includeDir;
    private readonly string _root;
    private readonly IReadOnlyList<string> _extraArgs;
    private void* _tu;

    /// <summary>Names of anonymous enums/structs, keyed by USR, taken from the typedef that names them.</summary>
    private readonly Dictionary<string, string> _anonymousTagNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _handles = new(StringComparer.Ordinal);
    private readonly HashSet<string> _enums = new(StringComparer.Ordinal);
    private readonly HashSet<string> _structs = new(StringComparer.Ordinal);

    public HeaderParser(string header, string includeDir, string root, IReadOnlyList<string> extraArgs)
    {
        _header = Path.GetFullPath(header);
        _includeDir = Path.GetFullPath(includeDir).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        _root = Path.GetFullPath(root);
        _extraArgs = extraArgs;
    }

    public HeaderModel Parse()
    {
        if (!File.Exists(_header))
        {
            throw new GeneratorException($"{_header}: header not found");
        }
        LibClang.EnsureLoaded();
        var index = LibClang.clang_createIndex(0, 0);
        try
        {
            _tu = ParseTranslationUnit(index);
            try
            {
                var model = new HeaderModel();
                model.SourceFiles.Add(Relative(_header));
                CollectDiagnostics(model);
                Walk(model);
                return model;
            }
            finally
            {
                LibClang.clang_disposeTranslationUnit(_tu);
                _tu = null;
            }
        }
        finally
        {
            LibClang.clang_disposeIndex(index);
        }
    }

    private void* ParseTranslationUnit(void* index)
    {
        var args = new List<string> { "-x", "c", "-std=c11", "-D" + NoBlockDefine, "-I" + Path.GetDirectoryName(_includeDir.TrimEnd(Path.DirectorySeparatorChar)) };
        // Compiler headers such as stddef.h live in the compiler's own directory, which the NuGet libclang
        // does not ship; GCC's copy serves, searched after the system headers.
        foreach (var dir in CompilerIncludeDirs())
        {
            args.Add("-idirafter");
            args.Add(dir);
        }
        args.AddRange(_extraArgs);

        var utf8Args = args.Select(LibClang.Utf8z).ToArray();
        var handles = utf8Args.Select(a => System.Runtime.InteropServices.GCHandle.Alloc(a, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        try
        {
            var argv = stackalloc byte*[utf8Args.Length];
            for (var i = 0; i < utf8Args.Length; i++)
            {
                argv[i] = (byte*)handles[i].AddrOfPinnedObject();
            }
            fixed (byte* file = LibClang.Utf8z(_header))
            {
                void* tu;
                const uint detailedPreprocessingRecord = 0x01;
                var rc = LibClang.clang_parseTranslationUnit2(index, file, argv, utf8Args.Length, null, 0,
                    detailedPreprocessingRecord, &tu);
                if (rc != 0 || tu == null)
                {
                    throw new GeneratorException($"{Relative(_header)}: libclang could not parse the header (CXErrorCode {rc})");
                }
                return tu;
            }
        }
        finally
        {
            foreach (var h in handles)
            {
                h.Free();
            }
        }
    }

    private static IEnumerable<string> CompilerIncludeDirs()
    {
        const string gccRoot = "/usr/lib/gcc/x86_64-linux-gnu";
        if (!Directory.Exists(gccRoot))
        {
            yield break;
        }
        var best = Directory.GetDirectories(gccRoot)
            .Select(d => Path.Combine(d, "include"))
            .Where(d => File.Exists(Path.Combine(d, "stddef.h")))
            .OrderBy(d => d, StringComparer.Ordinal)
            .LastOrDefault();
        if (best != null)
        {
            yield return best;
        }
    }

    private void CollectDiagnostics(HeaderModel model)
    {
        var errors = new List<string>();
        var count = LibClang.clang_getNumDiagnostics(_tu);
        for (uint i = 0; i < count; i++)
        {
            var diagnostic = LibClang.clang_getDiagnostic(_tu, i);
            try
            {
                var severity = LibClang.clang_getDiagnosticSeverity(diagnostic);
                var text = FormatDiagnostic(diagnostic);
                if (severity >= 3)
                {
                    errors.Add(text);
                }
                else if (severity == 2)
                {
                    model.Warnings.Add(text);
                }
            }
            finally
            {
                LibClang.clang_disposeDiagnostic(diagnostic);
            }
        }
        if (errors.Count > 0)
        {
            throw new GeneratorException("libclang reported errors:\n" + string.Join("\n", errors));
        }
    }

    /// <summary>"file:line:column: severity: message", with the file relative to the root like every other message.</summary>
    private string FormatDiagnostic(void* diagnostic)
    {
        void* file;
        uint line, column, offset;
        LibClang.clang_getExpansionLocation(LibClang.clang_getDiagnosticLocation(diagnostic), &file, &line, &column, &offset);
        var severity = LibClang.clang_getDiagnosticSeverity(diagnostic) >= 3 ? "error" : "warning";
        var message = LibClang.Str(LibClang.clang_getDiagnosticSpelling(diagnostic));
        var where = file == null
            ? Relative(_header)
            : $"{Relative(Path.GetFullPath(LibClang.Str(LibClang.clang_getFileName(file))))}:{line}:{column}";
        return $"{where}: {severity}: {message}";
    }

    private void Walk(HeaderModel model)
    {
        var top = LibClang.Children(LibClang.clang_getTranslationUnitCursor(_tu))
            .Where(c => IsOurs(c, out _))
            .ToList();
        foreach (var c in top)
        {
            IsOurs(c, out var file);
            model.SourceFiles.Add(Relative(file));
        }

        // Typedefs first: they name anonymous tags and declare the handle types used everywhere else.
        var aliases = new List<CXCursor>();
        foreach (var c in top.Where(c => c.Kind == CXCursorKind.TypedefDecl))
        {
            if (!RegisterTypedef(c, model))
            {
                aliases.Add(c);
            }
        }
        foreach (var c in top.Where(c => c.Kind is CXCursorKind.EnumDecl or CXCursorKind.StructDecl))
        {
            if (LibClang.clang_isCursorDefinition(c) != 0)
            {
                (c.Kind == CXCursorKind.EnumDecl ? _enums : _structs).Add(TagName(c));
            }
        }
        // Other typedefs are aliases resolved where they are used; check here that each maps at all.
        foreach (var c in aliases)
        {
            MapType(LibClang.clang_getTypedefDeclUnderlyingType(c), Use.Parameter, c);
        }

        var functions = new Dictionary<string, FunctionModel>(StringComparer.Ordinal);
        var constants = new Dictionary<string, ConstantModel>(StringComparer.Ordinal);
        foreach (var c in top)
        {
            switch (c.Kind)
            {
                case CXCursorKind.TypedefDecl:
                case CXCursorKind.InclusionDirective:
                case CXCursorKind.MacroExpansion:
                case CXCursorKind.StaticAssert: // checked by every C compiler that reads the header
                    break;
                case CXCursorKind.EnumDecl:
                    if (LibClang.clang_isCursorDefinition(c) == 0)
                    {
                        throw Fail(c, $"forward declaration of enum '{Spelling(c)}' is not supported");
                    }
                    model.Enums.Add(ReadEnum(c));
                    break;
                case CXCursorKind.StructDecl:
                    // Forward declarations are the opaque halves of handle typedefs.
                    if (LibClang.clang_isCursorDefinition(c) != 0)
                    {
                        model.Structs.Add(ReadStruct(c));
                    }
                    break;
                case CXCursorKind.UnionDecl:
                    throw Fail(c, $"union '{Spelling(c)}' is not supported (not blittable in a portable way)");
                case CXCursorKind.FunctionDecl:
                    var f = ReadFunction(c);
                    if (functions.TryGetValue(f.Name, out var earlier))
                    {
                        if (!SameSignature(earlier, f))
                        {
                            throw Fail(c, $"function '{f.Name}' is redeclared with a different signature (or EMBER_NOBLOCK marking)");
                        }
                    }
                    else
                    {
                        functions.Add(f.Name, f);
                    }
                    break;
                case CXCursorKind.MacroDefinition:
                    var k = ReadMacro(c);
                    if (k != null)
                    {
                        if (constants.TryGetValue(k.Name, out var previous) && previous != k)
                        {
                            throw Fail(c, $"macro '{k.Name}' is defined twice with different values");
                        }
                        constants[k.Name] = k;
                    }
                    break;
                case CXCursorKind.VarDecl:
                    throw Fail(c, $"global variable '{Spelling(c)}' is not supported: export a function instead");
                default:
                    throw Fail(c, $"unsupported declaration '{Spelling(c)}' (cursor kind {(int)c.Kind})");
            }
        }
        model.Functions.AddRange(functions.Values);
        model.Constants.AddRange(constants.Values);
    }

    private static bool SameSignature(FunctionModel a, FunctionModel b)
    {
        return a.ReturnType == b.ReturnType && a.NoBlock == b.NoBlock
            && a.Parameters.Select(p => p.Type).SequenceEqual(b.Parameters.Select(p => p.Type));
    }

    /// <summary>Records a typedef that names a tag or declares a handle; false for a plain alias.</summary>
    private bool RegisterTypedef(CXCursor c, HeaderModel model)
    {
        var name = Spelling(c);
        var underlying = Unwrap(LibClang.clang_getTypedefDeclUnderlyingType(c));
        switch (underlying.Kind)
        {
            case CXTypeKind.Enum:
            case CXTypeKind.Record:
            {
                var decl = LibClang.clang_getTypeDeclaration(underlying);
                if (decl.Kind == CXCursorKind.UnionDecl)
                {
                    throw Fail(c, $"typedef '{name}' names a union, which is not supported");
                }
                if (LibClang.clang_Cursor_isAnonymous(decl) != 0)
                {
                    _anonymousTagNames[Usr(decl)] = name;
                }
                else if (Spelling(decl) != name)
                {
                    throw Fail(c, $"typedef '{name}' renames '{Spelling(decl)}'; give the typedef the tag's own name");
                }
                return true;
            }
            case CXTypeKind.Pointer:
            {
                var pointee = Unwrap(LibClang.clang_getPointeeType(underlying));
                if (pointee.Kind == CXTypeKind.Record)
                {
                    var decl = LibClang.clang_getTypeDeclaration(pointee);
                    if (decl.Kind != CXCursorKind.StructDecl || LibClang.clang_Type_getSizeOf(pointee) >= 0)
                    {
                        throw Fail(c, $"typedef '{name}' points to a complete record; only pointers to incomplete structs (opaque handles) are supported");
                    }
                    _handles.Add(name);
                    model.Handles.Add(new HandleModel(name, LibClang.clang_Type_getSizeOf(LibClang.clang_getCursorType(c))));
                    return true;
                }
                break;
            }
        }
        return false;
    }

    private EnumModel ReadEnum(CXCursor c)
    {
        var name = TagName(c);
        var integer = LibClang.clang_getEnumDeclIntegerType(c);
        var underlying = MapType(integer, Use.Field, c);
        var unsigned = underlying is "byte" or "ushort" or "uint" or "ulong";
        var members = new List<EnumMember>();
        foreach (var m in LibClang.Children(c))
        {
            if (m.Kind != CXCursorKind.EnumConstantDecl)
            {
                throw Fail(m, $"unexpected item in enum '{name}' (cursor kind {(int)m.Kind})");
            }
            var value = unsigned
                ? LibClang.clang_getEnumConstantDeclUnsignedValue(m).ToString(CultureInfo.InvariantCulture)
                : LibClang.clang_getEnumConstantDeclValue(m).ToString(CultureInfo.InvariantCulture);
            members.Add(new EnumMember(Spelling(m), value));
        }
        return new EnumModel(name, underlying, members, LibClang.clang_Type_getSizeOf(LibClang.clang_getCursorType(c)));
    }

    private StructModel ReadStruct(CXCursor c)
    {
        var name = TagName(c);
        var type = LibClang.clang_getCursorType(c);
        var fields = new List<FieldModel>();
        foreach (var f in LibClang.Children(c))
        {
            if (f.Kind != CXCursorKind.FieldDecl)
            {
                throw Fail(f, $"unsupported item in struct '{name}' (cursor kind {(int)f.Kind}): only plain fields are supported");
            }
            var fieldName = Spelling(f);
            if (fieldName.Length == 0 || LibClang.clang_Cursor_isAnonymous(f) != 0)
            {
                throw Fail(f, $"anonymous member in struct '{name}' is not supported");
            }
            if (LibClang.clang_Cursor_isBitField(f) != 0)
            {
                throw Fail(f, $"bit-field '{name}.{fieldName}' is not supported");
            }
            long offsetBits;
            fixed (byte* n = LibClang.Utf8z(fieldName))
            {
                offsetBits = LibClang.clang_Type_getOffsetOf(type, n);
            }
            if (offsetBits < 0 || offsetBits % 8 != 0)
            {
                throw Fail(f, $"libclang cannot compute the offset of '{name}.{fieldName}' ({offsetBits})");
            }
            var fieldType = Unwrap(LibClang.clang_getCursorType(f));
            if (fieldType.Kind == CXTypeKind.ConstantArray)
            {
                var element = MapType(LibClang.clang_getArrayElementType(fieldType), Use.Field, f);
                if (!FixedBufferTypes.Contains(element))
                {
                    throw Fail(f, $"array field '{name}.{fieldName}' of {element} is not supported: only arrays of primitive numbers (fixed buffers)");
                }
                fields.Add(new FieldModel(fieldName, element, offsetBits / 8, LibClang.clang_getArraySize(fieldType)));
            }
            else
            {
                fields.Add(new FieldModel(fieldName, MapType(fieldType, Use.Field, f), offsetBits / 8, null));
            }
        }
        var size = LibClang.clang_Type_getSizeOf(type);
        if (fields.Count == 0 || size <= 0)
        {
            throw Fail(c, $"struct '{name}' has no fields (an empty struct has no portable layout)");
        }
        return new StructModel(name, fields, size);
    }

    private FunctionModel ReadFunction(CXCursor c)
    {
        var name = Spelling(c);
        var type = LibClang.clang_getCursorType(c);
        if (type.Kind == CXTypeKind.FunctionNoProto)
        {
            throw Fail(c, $"function '{name}' has no prototype: declare it as {name}(void)");
        }
        if (LibClang.clang_isFunctionTypeVariadic(type) != 0)
        {
            throw Fail(c, $"variadic function '{name}' is not supported");
        }
        const int staticStorage = 3; // CX_SC_Static
        if (LibClang.clang_Cursor_getStorageClass(c) == staticStorage || LibClang.clang_isCursorDefinition(c) != 0)
        {
            throw Fail(c, $"function '{name}' is defined in the header (static or inline): it cannot be imported");
        }
        var ret = MapType(LibClang.clang_getCursorResultType(c), Use.Return, c);
        var count = LibClang.clang_Cursor_getNumArguments(c);
        var parameters = new List<ParameterModel>();
        for (uint i = 0; i < count; i++)
        {
            var p = LibClang.clang_Cursor_getArgument(c, i);
            var pname = Spelling(p);
            if (pname.Length == 0)
            {
                pname = "arg" + i.ToString(CultureInfo.InvariantCulture);
            }
            parameters.Add(new ParameterModel(pname, MapType(LibClang.clang_getCursorType(p), Use.Parameter, p)));
        }
        var noBlock = false;
        foreach (var a in LibClang.Children(c).Where(a => a.Kind == CXCursorKind.AnnotateAttr))
        {
            var annotation = Spelling(a);
            if (annotation != NoBlockAnnotation)
            {
                throw Fail(a, $"unknown annotation '{annotation}' on function '{name}' (only EMBER_NOBLOCK is understood)");
            }
            noBlock = true;
        }
        return new FunctionModel(name, ret, parameters, noBlock);
    }

    /// <summary>An integer object-like macro as a constant; null for the macros that are header plumbing.</summary>
    private ConstantModel? ReadMacro(CXCursor c)
    {
        if (LibClang.clang_Cursor_isMacroBuiltin(c) != 0)
        {
            return null;
        }
        var name = Spelling(c);
        if (IgnoredMacros.Contains(name) || name.EndsWith("_H", StringComparison.Ordinal))
        {
            return null;
        }
        if (LibClang.clang_Cursor_isMacroFunctionLike(c) != 0)
        {
            throw Fail(c, $"function-like macro '{name}' cannot be translated");
        }
        var tokens = Tokens(c);
        if (tokens.Count > 0 && tokens[0] == name)
        {
            tokens.RemoveAt(0);
        }
        var body = string.Join(" ", tokens);
        // Strip balanced outer parentheses, then an optional sign, then one integer literal.
        while (tokens.Count >= 2 && tokens[0] == "(" && tokens[^1] == ")")
        {
            tokens = tokens.GetRange(1, tokens.Count - 2);
        }
        var negative = false;
        if (tokens.Count == 2 && tokens[0] is "-" or "+")
        {
            negative = tokens[0] == "-";
            tokens.RemoveAt(0);
        }
        if (tokens.Count != 1 || !TryParseInteger(tokens[0], out var magnitude))
        {
            throw Fail(c, $"macro '{name}' ('{body}') is not an integer literal and cannot be translated");
        }
        decimal value = negative ? -(decimal)magnitude : magnitude;
        if (value >= int.MinValue && value <= int.MaxValue)
        {
            return new ConstantModel(name, "int", ((int)value).ToString(CultureInfo.InvariantCulture));
        }
        if (value >= long.MinValue && value <= long.MaxValue)
        {
            return new ConstantModel(name, "long", ((long)value).ToString(CultureInfo.InvariantCulture));
        }
        throw Fail(c, $"macro '{name}' ('{body}') does not fit in a 64-bit signed integer");
    }

    private static bool TryParseInteger(string literal, out ulong value)
    {
        var text = literal.TrimEnd('u', 'U', 'l', 'L');
        value = 0;
        if (text.Length == 0)
        {
            return false;
        }
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        if (text.Length > 1 && text[0] == '0')
        {
            // Octal.
            foreach (var ch in text)
            {
                if (ch < '0' || ch > '7')
                {
                    return false;
                }
                value = checked(value * 8 + (ulong)(ch - '0'));
            }
            return true;
        }
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private List<string> Tokens(CXCursor c)
    {
        CXToken* tokens;
        uint count;
        LibClang.clang_tokenize(_tu, LibClang.clang_getCursorExtent(c), &tokens, &count);
        try
        {
            var list = new List<string>((int)count);
            for (var i = 0; i < count; i++)
            {
                list.Add(LibClang.Str(LibClang.clang_getTokenSpelling(_tu, tokens[i])));
            }
            return list;
        }
        finally
        {
            LibClang.clang_disposeTokens(_tu, tokens, count);
        }
    }

    /// <summary>The C# spelling of a C type, or a failure naming the construct and where it was used.</summary>
    private string MapType(CXType t, Use use, CXCursor at)
    {
        switch (t.Kind)
        {
            case CXTypeKind.Elaborated:
                return MapType(LibClang.clang_Type_getNamedType(t), use, at);
            case CXTypeKind.Typedef:
            {
                var decl = LibClang.clang_getTypeDeclaration(t);
                var name = Spelling(decl);
                if (FixedWidth.TryGetValue(name, out var mapped))
                {
                    return mapped;
                }
                if (_handles.Contains(name))
                {
                    return name;
                }
                if (!IsOurs(decl, out _))
                {
                    throw Fail(at, $"type '{name}' from a system header has no fixed-width C# mapping (use the <stdint.h> types)");
                }
                return MapType(LibClang.clang_getTypedefDeclUnderlyingType(decl), use, at);
            }
            case CXTypeKind.Enum:
            {
                var decl = LibClang.clang_getTypeDeclaration(t);
                var name = TagName(decl);
                if (!_enums.Contains(name))
                {
                    throw Fail(at, $"enum '{name}' is not defined in the Ember headers");
                }
                return name;
            }
            case CXTypeKind.Record:
            {
                var decl = LibClang.clang_getTypeDeclaration(t);
                if (decl.Kind == CXCursorKind.UnionDecl)
                {
                    throw Fail(at, $"union type '{Spelling(LibClang.clang_getTypeSpelling(t))}' is not supported");
                }
                var name = TagName(decl);
                if (!_structs.Contains(name))
                {
                    throw Fail(at, $"struct '{name}' is incomplete or not defined in the Ember headers; opaque structs are only usable through a handle typedef");
                }
                return name;
            }
            case CXTypeKind.Pointer:
            {
                var pointee = LibClang.clang_getPointeeType(t);
                var canonical = LibClang.clang_getCanonicalType(pointee);
                if (canonical.Kind is CXTypeKind.FunctionProto or CXTypeKind.FunctionNoProto)
                {
                    return MapFunctionPointer(t, pointee, canonical, at);
                }
                return MapType(pointee, Use.Pointee, at) + "*";
            }
            case CXTypeKind.ConstantArray:
            case CXTypeKind.IncompleteArray:
                if (use == Use.Parameter)
                {
                    return MapType(LibClang.clang_getArrayElementType(t), Use.Pointee, at) + "*";
                }
                break;
            case CXTypeKind.Void:
                if (use is Use.Return or Use.Pointee)
                {
                    return "void";
                }
                break;
            case CXTypeKind.Bool:
                throw Fail(at, "bool is not allowed in the C ABI (its size is not fixed across compilers): use int32_t");
            case CXTypeKind.Char_S:
            case CXTypeKind.Char_U:
            case CXTypeKind.UChar:
                return "byte";
            case CXTypeKind.SChar:
                return "sbyte";
            case CXTypeKind.Short:
                return "short";
            case CXTypeKind.UShort:
                return "ushort";
            case CXTypeKind.Int:
                return "int";
            case CXTypeKind.UInt:
                return "uint";
            case CXTypeKind.LongLong:
                return "long";
            case CXTypeKind.ULongLong:
                return "ulong";
            case CXTypeKind.Long:
            case CXTypeKind.ULong:
                throw Fail(at, "long has a platform-dependent width: use int64_t or int32_t");
            case CXTypeKind.Float:
                return "float";
            case CXTypeKind.Double:
                return "double";
        }
        throw Fail(at, $"type '{Spelling(LibClang.clang_getTypeSpelling(t))}' is not supported here (type kind {(int)t.Kind})");
    }

    /// <summary>A C function pointer as an unmanaged C# function pointer (blittable, no delegate marshalling).</summary>
    private string MapFunctionPointer(CXType pointer, CXType function, CXType canonical, CXCursor at)
    {
        var spelling = Spelling(LibClang.clang_getTypeSpelling(pointer));
        if (canonical.Kind == CXTypeKind.FunctionNoProto)
        {
            throw Fail(at, $"function pointer type '{spelling}' has no prototype: write (void) for no parameters");
        }
        if (LibClang.clang_isFunctionTypeVariadic(canonical) != 0)
        {
            throw Fail(at, $"variadic function pointer type '{spelling}' is not supported");
        }
        // The sugared function type keeps typedef names (ember_status) that the canonical type has lost.
        var types = new List<string>();
        var count = LibClang.clang_getNumArgTypes(function);
        for (uint i = 0; i < count; i++)
        {
            types.Add(MapType(LibClang.clang_getArgType(function, i), Use.Parameter, at));
        }
        types.Add(MapType(LibClang.clang_getResultType(function), Use.Return, at));
        return $"delegate* unmanaged[Cdecl]<{string.Join(", ", types)}>";
    }

    private static CXType Unwrap(CXType t)
    {
        while (t.Kind == CXTypeKind.Elaborated)
        {
            t = LibClang.clang_Type_getNamedType(t);
        }
        return t;
    }

    private string TagName(CXCursor decl)
    {
        if (LibClang.clang_Cursor_isAnonymous(decl) != 0)
        {
            if (_anonymousTagNames.TryGetValue(Usr(decl), out var name))
            {
                return name;
            }
            throw Fail(decl, "anonymous enum or struct without a typedef name is not supported");
        }
        return Spelling(decl);
    }

    private static string Spelling(CXCursor c) => LibClang.Str(LibClang.clang_getCursorSpelling(c));

    private static string Spelling(CXString s) => LibClang.Str(s);

    private static string Usr(CXCursor c) => LibClang.Str(LibClang.clang_getCursorUSR(c));

    private static (string File, uint Line) Location(CXCursor c)
    {
        void* file;
        uint line, column, offset;
        LibClang.clang_getExpansionLocation(LibClang.clang_getCursorLocation(c), &file, &line, &column, &offset);
        return (file == null ? string.Empty : LibClang.Str(LibClang.clang_getFileName(file)), line);
    }

    private bool IsOurs(CXCursor c, out string file)
    {
        file = Location(c).File;
        if (file.Length == 0)
        {
            return false;
        }
        file = Path.GetFullPath(file);
        return file.StartsWith(_includeDir, StringComparison.Ordinal);
    }

    private string Relative(string path) => Path.GetRelativePath(_root, path).Replace('\\', '/');

    private GeneratorException Fail(CXCursor at, string message)
    {
        var (file, line) = Location(at);
        var where = file.Length == 0 ? Relative(_header) : $"{Relative(Path.GetFullPath(file))}:{line}";
        return new GeneratorException($"{where}: error: {message}");
    }
}
