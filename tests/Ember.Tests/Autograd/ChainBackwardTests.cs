using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>
/// The engine's walk for chains (each node with at most one edge to a non-leaf node, every leaf gradient added in
/// place) against its general run, which takes over as soon as anything needs it (here a hook on an intermediate):
/// the same gradients to the bit, saved tensors freed the same way, and a failure inside the walk leaves the
/// engine usable.
/// </summary>
public class ChainBackwardTests
{
    private sealed class Leaves : IDisposable
    {
        // a [2, 3] and w [3] broadcast together, b [2, 3], c a one-element float32 tensor mixed into float64 math.
        public readonly Tensor A = Pattern([2, 3], 0.1).RequiresGrad_(), W = Pattern([3], 0.2).RequiresGrad_(),
            B = Pattern([2, 3], 0.3).RequiresGrad_(), C = Pattern([1], 0.4, DType.Float32).RequiresGrad_();

        public Tensor[] All => [A, W, B, C];

        public void Dispose()
        {
            foreach (Tensor t in All)
            {
                t.Grad?.Dispose();
                t.Dispose();
            }
        }
    }

    // y = sum(((a * w + b) * c - b) / 2): a chain of Mul, Add, Mul, Sub, Div and Sum whose leaves broadcast and mix dtypes.
    private static void Backward(Leaves l, bool hookOnIntermediate)
    {
        using Tensor p = l.A * l.W;
        using Tensor s = p + l.B;
        using RemovableHandle? hook = hookOnIntermediate ? s.RegisterHook((Tensor _) => { }) : null;
        using Tensor q = s * l.C;
        using Tensor r = q - l.B;
        using Tensor h = r / 2.0;
        using Tensor y = h.Sum();
        y.Backward();
    }

    [Test]
    public void ChainWalkAndGeneralRunGiveTheSameGradients()
    {
        using var chain = new Leaves();
        using var general = new Leaves();
        for (int run = 0; run < 3; run++) // the first run has no Grad yet: both take the general run
        {
            Backward(chain, hookOnIntermediate: false);
            Backward(general, hookOnIntermediate: true);
        }
        for (int i = 0; i < 4; i++)
            Assert.That(Values(chain.All[i].Grad!), Is.EqualTo(Values(general.All[i].Grad!)), $"leaf {i}");
        // And both are three times the gradient: dy/da = w * c / 2, dy/dw = sum over rows of a * c / 2,
        // dy/db = (c - 1) / 2, dy/dc = sum of (a * w + b) / 2.
        double[] a = Values(chain.A), w = Values(chain.W), b = Values(chain.B);
        double c = Values(chain.C)[0];
        var ga = new double[6];
        var gw = new double[3];
        var gb = new double[6];
        double gc = 0;
        for (int i = 0; i < 6; i++)
        {
            ga[i] = 3 * w[i % 3] * c / 2;
            gw[i % 3] += 3 * a[i] * c / 2;
            gb[i] = 3 * (c - 1) / 2;
            gc += 3 * (a[i] * w[i % 3] + b[i]) / 2;
        }
        AssertClose(chain.A.Grad, ga, what: "a.Grad");
        AssertClose(chain.W.Grad, gw, what: "w.Grad");
        AssertClose(chain.B.Grad, gb, what: "b.Grad");
        AssertClose(chain.C.Grad, [gc], tolerance: 1e-5, what: "c.Grad");
    }

    [Test]
    public void ChainWalkFreesWhatWasSavedUnlessRetained()
    {
        using Tensor a = Leaf(1.0, 2.0), w = Leaf(3.0, 4.0);
        using (Tensor first = (a * w).Sum())
            first.Backward(); // gives both leaves a Grad, so the graphs below are chains

        using Tensor p = a * w;
        using Tensor y = p.Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        AssertClose(a.Grad, [9.0, 12.0]);
        AssertClose(w.Grad, [3.0, 6.0]);
        var e = Assert.Throws<AutogradException>(() => y.Backward());
        Assert.That(e!.Message, Does.Contain("second time"));
    }

    [Test]
    public void AFailureInsideTheWalkLeavesTheEngineUsable()
    {
        using Tensor a = Leaf(1.0, 2.0), c = Leaf(5.0, 7.0);
        using (Tensor first = (a * 2.0 * c).Sum())
            first.Backward();

        using (Tensor p = a * 2.0)
        using (Tensor q = p * c)        // saves p
        using (Tensor y = q.Sum())
        {
            using (Torch.NoGrad())
                p.Add_(1.0);            // p changes after it was saved
            var e = Assert.Throws<AutogradException>(() => y.Backward());
            Assert.That(e!.Message, Does.Contain("modified by an inplace operation"));
        }
        // Nothing was added by the failed run; the next one works as usual.
        AssertClose(a.Grad, [10.0, 14.0]);
        AssertClose(c.Grad, [2.0, 4.0]);
        using (Tensor y = (a * 2.0 * c).Sum())
            y.Backward();
        AssertClose(a.Grad, [20.0, 28.0]);
        AssertClose(c.Grad, [4.0, 8.0]);
        Assert.That(Torch.IsGradEnabled(), Is.True, "the engine's grad-mode override was restored");
    }
}
