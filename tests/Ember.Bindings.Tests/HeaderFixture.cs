using System;
using System.IO;
using Ember.Bindings.Generator;

namespace Ember.Bindings.Tests;

/// <summary>A throw-away repository root holding headers under include/demo/, generated from strings.</summary>
internal sealed class HeaderFixture : IDisposable
{
    public HeaderFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "ember-bindings-tests-" + Guid.NewGuid().ToString("N"));
        IncludeDir = Path.Combine(Root, "include", "demo");
        Directory.CreateDirectory(IncludeDir);
    }

    public string Root { get; }

    public string IncludeDir { get; }

    /// <summary>Writes include/demo/name with the given text and returns its full path.</summary>
    public string Write(string name, string text)
    {
        var path = Path.Combine(IncludeDir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Writes api.h with the text and generates from it.</summary>
    public string Generate(string text)
    {
        return Generator.Generator.Generate(Write("api.h", text), Root).Code;
    }

    public void Dispose()
    {
        Directory.Delete(Root, recursive: true);
    }
}
