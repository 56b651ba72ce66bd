using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>The engine: long graphs, diamonds, threads, anomaly detection.</summary>
public class EngineTests
{
    [Test]
    public void AChainOfAHundredThousandNodesWorks()
    {
        using Tensor x = Leaf(1.0);
        Tensor y = x;
        const int n = 100_000;
        using (Torch.NewScope())
        {
            for (int i = 0; i < n; i++)
            {
                Tensor next = y * 1.00001;
                if (!ReferenceEquals(y, x))
                    y.Dispose();
                y = next;
            }
            y.MoveToOuterScope();
        }
        using (y)
        {
            Tensor g = Ember.Autograd.Grad(y, x, retainGraph: true);
            AssertClose(g, [Math.Pow(1.00001, n)], 1e-9);
            y.Backward();
        }
        AssertClose(x.Grad, [Math.Pow(1.00001, n)], 1e-9);
    }

    [Test]
    public void DiamondsAccumulateBeforeTheSharedNodeRuns()
    {
        using Tensor x = Leaf(2.0);
        using Tensor a = x.Exp();
        using Tensor b = a * 3.0;
        using Tensor c = a * a;
        using Tensor y = (b + c).Sum();
        y.Backward();
        // d/dx (3 e^x + e^2x) = 3 e^x + 2 e^2x
        AssertClose(x.Grad, [3 * Math.Exp(2) + 2 * Math.Exp(4)], 1e-12);
    }

    [Test]
    public void IndependentGraphsRunOnSeveralThreadsAtOnce()
    {
        using Tensor shared = Leaf(1.0, 2.0);
        const int threads = 4, iterations = 200;
        var errors = new List<Exception>();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                using Tensor own = Leaf(t, t + 1.0);
                for (int i = 0; i < iterations; i++)
                {
                    using Tensor p = own * shared;
                    using Tensor q = p.Exp().Log();
                    using Tensor y = q.Sum();
                    y.Backward();
                }
                AssertClose(own.Grad, [iterations * 1.0, iterations * 2.0]);
            }
            catch (Exception e)
            {
                lock (errors)
                    errors.Add(e);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.That(errors, Is.Empty);
        // The shared leaf got every thread's gradient: sum over t of (t, t + 1), times the iterations.
        double sum0 = Enumerable.Range(0, threads).Sum(t => (double)t), sum1 = Enumerable.Range(0, threads).Sum(t => t + 1.0);
        AssertClose(shared.Grad, [sum0 * iterations, sum1 * iterations]);
    }

    private sealed class NanInBackward : Ember.Autograd.Function
    {
        public override Tensor[] Forward(Ember.Autograd.FunctionContext ctx, Tensor[] x) => [x[0] * 2.0];

        public override Tensor?[] Backward(Ember.Autograd.FunctionContext ctx, Tensor?[] g) => [g[0]! * double.NaN];
    }

    [Test]
    public void AnomalyModeReportsNanWithWhereTheNodeWasCreated()
    {
        using Tensor x = Leaf(1.0);
        Tensor y;
        using (Ember.Autograd.DetectAnomaly())
        {
            Assert.That(Ember.Autograd.IsAnomalyEnabled, Is.True);
            y = CreateTheFaultyNode(x);
            var e = Assert.Throws<AutogradAnomalyException>(() => y.Backward());
            Assert.That(e!.Message, Does.Contain("Function 'NanInBackwardBackward' returned nan values in its 0th output")
                .And.Contain("Traceback of forward call").And.Contain(nameof(CreateTheFaultyNode)));
        }
        Assert.That(Ember.Autograd.IsAnomalyEnabled, Is.False);
        using Tensor z = CreateTheFaultyNode(x);
        Assert.That(z.GradFn!.CreationTrace, Is.Null);
        Assert.DoesNotThrow(() => z.Backward(), "without anomaly mode NaN just flows");
        Assert.That(double.IsNaN(Values(x.Grad!)[0]), Is.True);
        y.Dispose();
    }

    private static Tensor CreateTheFaultyNode(Tensor x) => new NanInBackward().ApplySingle(x);

    [Test]
    public void AnomalyModeNamesTheNodeWhoseFormulaThrew()
    {
        using Tensor x = Leaf(1.0);
        using var scope = Ember.Autograd.DetectAnomaly();
        using Tensor h = x * 1.0;
        using Tensor y = (h * x).Sum();
        h.Add_(1.0);
        var e = Assert.Throws<AutogradAnomalyException>(() => y.Backward());
        Assert.That(e!.Message, Does.Contain("Function 'MulBackward0' threw").And.Contain(nameof(AnomalyModeNamesTheNodeWhoseFormulaThrew)));
        Assert.That(e.InnerException, Is.TypeOf<AutogradException>());
    }
}
