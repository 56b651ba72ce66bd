using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Ember.Bindings.Generator;

/// <summary>Result of one generation: the C# text and libclang's warnings.</summary>
/// <param name="Code">The generated C# file, LF line endings.</param>
/// <param name="Warnings">libclang warnings (non-fatal), formatted with file:line.</param>
public sealed record GenerationResult(string Code, IReadOnlyList<string> Warnings);

/// <summary>Parses the Ember C headers with libclang and produces the blittable P/Invoke bindings.</summary>
public static class Generator
{
    /// <summary>Generates the bindings for <paramref name="header"/> and everything it includes from its folder.</summary>
    /// <param name="header">The umbrella header (ember.h).</param>
    /// <param name="root">Directory that source paths in the output comment are relative to (the repository root).</param>
    /// <param name="extraClangArgs">Further libclang arguments (for example -I or -D).</param>
    /// <exception cref="GeneratorException">A header construct the generator does not understand, or a libclang error.</exception>
    public static GenerationResult Generate(string header, string root, IReadOnlyList<string>? extraClangArgs = null)
    {
        var includeDir = Path.GetDirectoryName(Path.GetFullPath(header))
            ?? throw new GeneratorException($"{header}: cannot determine the header's folder");
        var model = new HeaderParser(header, includeDir, root, extraClangArgs ?? Array.Empty<string>()).Parse();
        return new GenerationResult(CSharpEmitter.Emit(model), model.Warnings);
    }

    /// <summary>Writes the generated text as UTF-8 without a byte order mark.</summary>
    public static void Write(string path, string code)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null)
        {
            Directory.CreateDirectory(dir);
        }
        File.WriteAllText(path, code, new UTF8Encoding(false));
    }

    /// <summary>
    /// Compares an existing file with freshly generated text. Returns null when they are equal, otherwise a
    /// short unified-style summary of the first differing lines.
    /// </summary>
    public static string? Diff(string path, string expected, int contextLines = 8)
    {
        if (!File.Exists(path))
        {
            return $"{path}: missing; run the generator without --check to create it";
        }
        var actual = File.ReadAllText(path);
        if (actual == expected)
        {
            return null;
        }
        var a = actual.Split('\n');
        var e = expected.Split('\n');
        var first = 0;
        while (first < a.Length && first < e.Length && a[first] == e[first])
        {
            first++;
        }
        // Skip the common tail so the summary shows only the changed block.
        var tailA = a.Length - 1;
        var tailE = e.Length - 1;
        while (tailA >= first && tailE >= first && a[tailA] == e[tailE])
        {
            tailA--;
            tailE--;
        }
        var sb = new StringBuilder();
        sb.Append("--- ").Append(path).Append(" (committed)\n");
        sb.Append("+++ ").Append(path).Append(" (generated from the headers)\n");
        sb.Append($"@@ -{first + 1},{tailA - first + 1} +{first + 1},{tailE - first + 1} @@\n");
        for (var i = first; i <= tailA && i < first + contextLines; i++)
        {
            sb.Append('-').Append(a[i].TrimEnd('\r')).Append('\n');
        }
        if (tailA - first + 1 > contextLines)
        {
            sb.Append($"- ... {tailA - first + 1 - contextLines} more line(s)\n");
        }
        for (var i = first; i <= tailE && i < first + contextLines; i++)
        {
            sb.Append('+').Append(e[i]).Append('\n');
        }
        if (tailE - first + 1 > contextLines)
        {
            sb.Append($"+ ... {tailE - first + 1 - contextLines} more line(s)\n");
        }
        if (actual.Contains('\r'))
        {
            sb.Append("(the committed file has CR line endings; the generator writes LF)\n");
        }
        return sb.ToString();
    }
}
