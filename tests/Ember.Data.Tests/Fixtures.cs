using System.Text.Json;

namespace Ember.Data.Tests;

/// <summary>The committed fixture files (see tests/reference/make_*.py) and scratch folders.</summary>
internal static class Fixtures
{
    public static string Dir => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures");

    public static string PathOf(params string[] parts) => Path.Combine([Dir, .. parts]);

    private static readonly Lazy<JsonElement> s_expected = new(() => Load("expected.json"));
    private static readonly Lazy<JsonElement> s_safetensors = new(() => Load(Path.Combine("safetensors", "expected.json")));

    /// <summary>tests/Ember.Data.Tests/Fixtures/expected.json (IDX and CIFAR).</summary>
    public static JsonElement Expected => s_expected.Value;

    /// <summary>The safetensors fixtures' expected tensors.</summary>
    public static JsonElement SafeTensorsExpected => s_safetensors.Value;

    public static JsonElement Load(string relative)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(PathOf(relative)));
        return doc.RootElement.Clone();
    }

    public static long[] Longs(this JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt64())];

    public static double[] Doubles(this JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetDouble())];

    /// <summary>A fresh empty folder, deleted after the test.</summary>
    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ember-data-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        s_created.Add(dir);
        return dir;
    }

    private static readonly List<string> s_created = [];

    /// <summary>Copies fixture files into a folder of a scratch tree, under the same or new names.</summary>
    public static void CopyInto(string folder, string sourceDir, params string[] names)
    {
        Directory.CreateDirectory(folder);
        foreach (string name in names)
            File.Copy(Path.Combine(sourceDir, name), Path.Combine(folder, name));
    }

    public static void CleanUp()
    {
        foreach (string dir in s_created)
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
        s_created.Clear();
    }
}

[SetUpFixture]
public sealed class FixtureCleanup
{
    [OneTimeTearDown]
    public void TearDown() => Fixtures.CleanUp();
}
