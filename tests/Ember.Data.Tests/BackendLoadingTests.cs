namespace Ember.Data.Tests;

/// <summary>Torch.Backends: a plugin that cannot load is reported, and the CPU keeps working.</summary>
[NonParallelizable]
public class BackendLoadingTests
{
    [Test]
    public void AMissingPluginIsAnErrorNamingThePathAndThePackage()
    {
        if (EmberNative.IsAvailable(DeviceType.HIP))
            Assert.Ignore("a HIP backend is present on this machine");
        var e = Assert.Throws<EmberBackendException>(() => Torch.Backends.Load("hip"));
        Assert.That(e!.Message, Does.Contain("libember_hip.so").And.Contain("Ember.Runtime.Hip.linux-x64"));
        BackendStatus last = Torch.Backends.Status[^1];
        Assert.That(last.Name, Is.EqualTo("hip"));
        Assert.That(last.Loaded, Is.False);
        Assert.That(Torch.Backends.Available, Does.Contain(DeviceType.CPU).And.Not.Contain(DeviceType.HIP));
        using Tensor t = Torch.Ones(3) + 1;   // the CPU is untouched
        Assert.That(t.ToArray<float>(), Is.EqualTo(new[] { 2f, 2f, 2f }));
    }

    [Test]
    public void ABrokenPluginFileIsReportedNotFatal()
    {
        string path = Path.Combine(Fixtures.TempDir(), "libember_broken.so");
        File.WriteAllText(path, "not a shared library");
        Assert.That(Torch.Backends.TryLoad(path, out BackendStatus status), Is.False);
        Assert.That(status.Name, Is.EqualTo("broken"));
        Assert.That(status.Path, Is.EqualTo(path));
        Assert.That(status.Error, Is.Not.Empty);
        Assert.That(Torch.Backends.Status, Does.Contain(status));
    }

    [Test]
    public void ASecondConflictingNativePathIsRefused()
    {
        _ = EmberNative.AbiVersion;
        string elsewhere = Fixtures.TempDir();
        var e = Assert.Throws<InvalidOperationException>(() => EmberNative.Configure(elsewhere));
        Assert.That(e!.Message, Does.Contain(elsewhere));
        Assert.DoesNotThrow(() => EmberNative.Configure(null), "null keeps the default and is no configuration");
        Assert.That(EmberNative.RuntimePackage, Is.EqualTo("Ember.Runtime.linux-x64"));
    }
}
