namespace Ember.Tests;

/// <summary>Where the resolver looks for the native library.</summary>
[TestFixture]
[NonParallelizable]
public class NativeLoadingTests
{
    [Test]
    public void CandidatesFollowTheDocumentedOrder()
    {
        string? saved = Environment.GetEnvironmentVariable(EmberNative.PathVariable);
        string dir = Path.Combine(Path.GetTempPath(), "ember-native-probe");
        Directory.CreateDirectory(dir);
        try
        {
            Environment.SetEnvironmentVariable(EmberNative.PathVariable, dir);
            string[] candidates = EmberNative.Candidates().ToArray();
            Assert.That(candidates[0], Is.EqualTo(Path.Combine(dir, "libember.so")), "a directory in EMBER_NATIVE_PATH");
            Assert.That(candidates[1], Is.EqualTo(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libember.so")));
            Assert.That(candidates[2], Is.EqualTo(Path.Combine(Path.GetDirectoryName(typeof(Tensor).Assembly.Location)!, "libember.so")));

            string file = Path.Combine(dir, "custom-name.so");
            Environment.SetEnvironmentVariable(EmberNative.PathVariable, file);
            Assert.That(EmberNative.Candidates().First(), Is.EqualTo(file), "a file in EMBER_NATIVE_PATH is taken as is");
        }
        finally
        {
            Environment.SetEnvironmentVariable(EmberNative.PathVariable, saved);
        }
    }

    [Test]
    public void TheLoadedLibraryHasTheExpectedAbi()
    {
        Assert.That(EmberNative.AbiVersion, Is.EqualTo(1));
        Assert.That(EmberNative.LoadedPath, Is.Not.Null.And.EndWith("libember.so"));
    }
}
