using System;
using System.Collections.Generic;
using System.IO;

namespace Ember.Bindings.Generator;

/// <summary>Command line: ember-bindings --header H --out F [--check] [--root DIR] [--clang-arg ARG]...</summary>
internal static class Program
{
    private const string Usage =
        "usage: Ember.Bindings.Generator --header native/include/ember/ember.h --out bindings/generated/Ember.Native.g.cs [--check] [--root DIR] [--clang-arg ARG]...";

    internal static int Main(string[] args)
    {
        string? header = null, output = null, root = null;
        var check = false;
        var clangArgs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--header" when i + 1 < args.Length:
                    header = args[++i];
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--root" when i + 1 < args.Length:
                    root = args[++i];
                    break;
                case "--clang-arg" when i + 1 < args.Length:
                    clangArgs.Add(args[++i]);
                    break;
                case "--check":
                    check = true;
                    break;
                case "-h":
                case "--help":
                    Console.WriteLine(Usage);
                    return 0;
                default:
                    Console.Error.WriteLine($"unknown or incomplete argument '{args[i]}'\n{Usage}");
                    return 2;
            }
        }
        if (header == null || output == null)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        root ??= FindRoot(Directory.GetCurrentDirectory());
        if (root == null)
        {
            Console.Error.WriteLine("cannot find the repository root (a folder holding Bindings.sln or .git): pass --root");
            return 2;
        }
        header = Path.Combine(root, header);
        output = Path.Combine(root, output);

        GenerationResult result;
        try
        {
            result = Generator.Generate(header, root, clangArgs);
        }
        catch (GeneratorException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        foreach (var warning in result.Warnings)
        {
            Console.Error.WriteLine(warning);
        }

        var shown = Path.GetRelativePath(root, output);
        if (check)
        {
            var diff = Generator.Diff(output, result.Code);
            if (diff != null)
            {
                Console.Error.WriteLine($"{shown} is out of date with the headers; regenerate it (./build.sh bindings).");
                Console.Error.Write(diff);
                return 1;
            }
            Console.WriteLine($"{shown} is up to date.");
            return 0;
        }
        Generator.Write(output, result.Code);
        Console.WriteLine($"wrote {shown}");
        return 0;
    }

    private static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Bindings.sln")) || Directory.Exists(Path.Combine(dir.FullName, ".git"))
                || File.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return dir.FullName;
            }
        }
        return null;
    }
}
