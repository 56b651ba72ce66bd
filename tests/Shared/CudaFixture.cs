using NUnit.Framework;

namespace Ember.Testing;

/// <summary>
/// Base of the fixtures that need a CUDA device (compiled into each test project that has some). On a
/// machine without the plugin or a GPU every test is ignored with the reason
/// (<see cref="Torch.Backends.Status"/>).
/// </summary>
public abstract class CudaFixture
{
    /// <summary>Ignores the test, with the reason, where no CUDA device can be used.</summary>
    [SetUp]
    public void RequireCuda()
    {
        if (Torch.Cuda.IsAvailable())
            return;
        string why = string.Join("; ", Torch.Backends.Status.Where(s => !s.Loaded).Select(s => $"{s.Name}: {s.Error}"));
        Assert.Ignore($"no CUDA device: {(why.Length > 0 ? why : "the libember_cuda plugin is not beside libember")}");
    }
}
