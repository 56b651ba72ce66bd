namespace Ember.Tests;

/// <summary>Torch.Backends' settings: PyTorch's defaults, round trips, and no GPU needed to set them.</summary>
public class BackendOptionTests
{
    [Test]
    public void DefaultsAreTorchs()
    {
        Assert.That(Torch.Backends.Cuda.Matmul.AllowTF32, Is.False);
        Assert.That(Torch.Backends.Cuda.Matmul.AllowFP16ReducedPrecisionReduction, Is.True);
        Assert.That(Torch.Backends.Cuda.Matmul.AllowBF16ReducedPrecisionReduction, Is.True);
        Assert.That(Torch.Backends.Cudnn.Enabled, Is.True);
        Assert.That(Torch.Backends.Cudnn.Benchmark, Is.False);
        Assert.That(Torch.Backends.Cudnn.Deterministic, Is.False);
        Assert.That(Torch.Backends.Cudnn.AllowTF32, Is.True);
        Assert.That(Torch.Backends.Cuda.BatchSmallOps, Is.True, "Ember's own setting, on by default");
    }

    [Test]
    public void SettingsRoundTrip()
    {
        Torch.Backends.Cudnn.Benchmark = true;
        Torch.Backends.Cuda.Matmul.AllowTF32 = true;
        try
        {
            Assert.That(Torch.Backends.Cudnn.Benchmark, Is.True);
            Assert.That(Torch.Backends.Cuda.Matmul.AllowTF32, Is.True);
            Assert.That(Torch.Backends.Cudnn.Deterministic, Is.False, "the others stay");
        }
        finally
        {
            Torch.Backends.Cudnn.Benchmark = false;
            Torch.Backends.Cuda.Matmul.AllowTF32 = false;
        }
        Assert.That(Torch.Backends.Cudnn.Benchmark, Is.False);
    }
}
