namespace Ember.Tests;

/// <summary>Tensors used from several threads at once.</summary>
[TestFixture]
public class ThreadingTests
{
    [Test]
    public void ManyThreadsReadAndComputeWithSharedTensors()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Arange(1000.0).View(10, 100);
        Tensor w = Torch.Ones(100, 3);
        double expected = Enumerable.Range(0, 1000).Sum() * 3.0;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = Enumerable.Range(0, 8).Select(id => new Thread(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                using var inner = Torch.NewScope();
                Tensor y = (x.MatMul(w) * 2 - x.MatMul(w)).Sum();
                float v = y.Item<float>();
                if (Math.Abs(v - expected) > 1e-3 * expected)
                    errors.Enqueue($"thread {id} iteration {i}: {v} != {expected}");
                if (x.Shape[1] != 100 || x.DType != DType.Float32)
                    errors.Enqueue($"thread {id}: metadata changed");
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.That(errors, Is.Empty);
    }

    [Test]
    public void ThreadsWithoutAScopeDoNotShareOneAndDisposeTheirOwnTensors()
    {
        using var outer = Torch.NewScope();
        int leakedIntoOuter = -1;
        var thread = new Thread(() =>
        {
            // A new thread starts with a copy of the creating context, so it sees the outer scope;
            // detaching makes the tensor its own.
            using Tensor t = Torch.Zeros(3).DetachFromScope();
            leakedIntoOuter = outer.Count;
        });
        thread.Start();
        thread.Join();
        Assert.That(leakedIntoOuter, Is.Zero);
    }
}
