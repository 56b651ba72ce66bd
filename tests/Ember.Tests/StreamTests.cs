namespace Ember.Tests;

/// <summary>Streams and events where there is no GPU: clear errors, no crash. The GPU side is in CudaTests.</summary>
public class StreamTests
{
    [Test]
    public void StreamsAndEventsNeedAGpu()
    {
        if (Torch.Cuda.IsAvailable())
            Assert.Ignore("a GPU is present: CudaTests cover streams there");
        var e = Assert.Catch<Exception>(() => new CudaStream())!;
        Assert.That(e.Message, Does.Contain("stream_create").And.Contain("cuda:0"));
        e = Assert.Catch<Exception>(() => new CudaEvent())!;
        Assert.That(e.Message, Does.Contain("event_create"));
        Assert.That(CudaStream.Default().IsDefault, Is.True, "naming the default stream needs no GPU");
    }
}
