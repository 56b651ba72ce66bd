using Ember.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Ember.Tests;

/// <summary>services.AddEmber(...) registration and validation.</summary>
[TestFixture]
[NonParallelizable]
public class HostingTests
{
    [Test]
    public void AddEmberRegistersARuntimeThatAppliesTheThreadCount()
    {
        int before = Torch.GetNumThreads();
        try
        {
            var services = new ServiceCollection();
            services.AddEmber(o => o.NumThreads = 1);
            using ServiceProvider provider = services.BuildServiceProvider(validateScopes: true);
            var runtime = provider.GetRequiredService<IEmberRuntime>();
            Assert.That(runtime, Is.SameAs(provider.GetRequiredService<IEmberRuntime>()), "singleton");
            Assert.That(runtime.NumThreads, Is.EqualTo(1));
            Assert.That(runtime.AbiVersion, Is.EqualTo(1));
            Assert.That(runtime.AvailableBackends, Does.Contain(DeviceType.CPU));
            using Tensor t = Torch.Zeros(1024);
            Assert.That(runtime.CpuBytesAllocated, Is.GreaterThanOrEqualTo(4096));
            Assert.That(runtime.NativePath ?? "", Does.EndWith("libember.so").Or.Empty);
        }
        finally
        {
            Torch.SetNumThreads(before);
        }
    }

    [Test]
    public void CallingAddEmberTwiceRefinesOneRegistration()
    {
        var services = new ServiceCollection();
        services.AddEmber(o => o.NumThreads = 2);
        services.AddEmber(o => o.NumThreads ??= 7);
        Assert.That(services.Count(d => d.ServiceType == typeof(IEmberRuntime)), Is.EqualTo(1));
        using ServiceProvider provider = services.BuildServiceProvider();
        Assert.That(provider.GetRequiredService<EmberOptions>().NumThreads, Is.EqualTo(2));
    }

    [Test]
    public void InvalidOptionsAreRejectedWithEveryProblemNamed()
    {
        var services = new ServiceCollection();
        var e = Assert.Throws<ArgumentException>(() => services.AddEmber(o =>
        {
            o.NumThreads = 0;
            o.NativePath = "/no/such/dir";
            o.Backends.Add("tpu");
        }));
        Assert.That(e!.Message, Does.Contain("NumThreads").And.Contain("/no/such/dir").And.Contain("tpu"));
        Assert.That(services, Is.Empty, "nothing registered");
    }

    [Test]
    public void AMissingBackendFailsWhenTheRuntimeIsResolved()
    {
        var services = new ServiceCollection();
        services.AddEmber(o => o.Backends.Add("cuda"));
        using ServiceProvider provider = services.BuildServiceProvider();
        if (EmberNative.IsAvailable(DeviceType.CUDA))
            Assert.Ignore("a CUDA backend is present on this machine");
        var e = Assert.Throws<EmberBackendException>(() => provider.GetRequiredService<IEmberRuntime>());
        Assert.That(e!.Message, Does.Contain("cuda").And.Contain("libember_cuda"));
    }

    [Test]
    public void TheNativePathCannotBeSwitchedAfterTheLibraryIsLoaded()
    {
        _ = EmberNative.AbiVersion; // loads it
        string other = Path.Combine(Path.GetTempPath(), "ember-elsewhere");
        Directory.CreateDirectory(other);
        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddEmber(o => o.NativePath = other));
        Assert.That(e!.Message, Does.Contain("already loaded").And.Contain(other));
        if (EmberNative.LoadedPath is { } loaded)
            Assert.DoesNotThrow(() => new ServiceCollection().AddEmber(o => o.NativePath = Path.GetDirectoryName(loaded)), "the same place is fine");
    }
}
