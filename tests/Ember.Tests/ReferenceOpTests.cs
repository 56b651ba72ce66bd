using System.Text.Json;

namespace Ember.Tests;

/// <summary>Factories, arithmetic, reductions, matmul, views and casts against PyTorch 1.13's values.</summary>
[TestFixture]
public class ReferenceOpTests
{
    private static IEnumerable<TestCaseData> Cases() =>
        Reference.Cases.Select(c => new TestCaseData(c).SetName("Op_" + c.Name));

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(object boxed)
    {
        var c = (OpCase)boxed;
        using var scope = Torch.NewScope();
        Tensor[] inputs = c.Inputs.Select(i => i.ToTensor()).ToArray();
        Tensor result = Run(c, inputs);
        Assertions.Matches(result, c.Expected);
    }

    private static Tensor Run(OpCase c, Tensor[] x)
    {
        long[] Shape() => c.Args["shape"].EnumerateArray().Select(e => e.GetInt64()).ToArray();
        int[] Dims() => c.Args["dims"].EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int Int(string key) => c.Args[key].GetInt32();
        long Long(string key) => c.Args[key].GetInt64();
        double Double(string key) => c.Args[key].GetDouble();
        DType? Dtype() => c.Args.TryGetValue("dtype", out JsonElement d) ? Reference.ParseDType(d.GetString()!) : null;
        bool IsInt() => c.Args["kind"].GetString() == "int";

        switch (c.Op)
        {
            case "zeros": return Torch.Zeros(Shape(), Dtype());
            case "ones": return Torch.Ones(Shape(), Dtype());
            case "full_float": return Torch.Full(Shape(), Double("value"));
            case "full_int": return Torch.Full(Shape(), Long("value"));
            case "full_bool": return Torch.Full(Shape(), c.Args["value"].GetBoolean());
            case "arange_int":
                return Long("start") == 0 && Long("step") == 1
                    ? Torch.Arange(Long("end"), Dtype())
                    : Torch.Arange(Long("start"), Long("end"), Long("step"), Dtype());
            case "arange_float": return Torch.Arange(Double("start"), Double("end"), Double("step"), Dtype());
            case "eye": return Torch.Eye(Long("n"), Long("m"), Dtype());
            case "add": return x[0] + x[1];
            case "sub": return x[0] - x[1];
            case "mul": return x[0] * x[1];
            case "div": return x[0] / x[1];
            case "add_": return x[0].Add_(x[1]);
            case "mul_": return x[0].Mul_(x[1]);
            case "add_scalar": return IsInt() ? x[0] + Long("value") : x[0] + Double("value");
            case "sub_scalar": return IsInt() ? x[0] - Long("value") : x[0] - Double("value");
            case "mul_scalar": return IsInt() ? x[0] * Long("value") : x[0] * Double("value");
            case "div_scalar": return IsInt() ? x[0] / Long("value") : x[0] / Double("value");
            case "rsub_scalar": return IsInt() ? Long("value") - x[0] : Double("value") - x[0];
            case "rdiv_scalar": return IsInt() ? Long("value") / x[0] : Double("value") / x[0];
            case "neg": return -x[0];
            case "exp": return x[0].Exp();
            case "log": return x[0].Log();
            case "sum": return c.Args.ContainsKey("dims") ? x[0].Sum(Dims(), c.Args["keepdim"].GetBoolean()) : x[0].Sum();
            case "mean": return c.Args.ContainsKey("dims") ? x[0].Mean(Dims(), c.Args["keepdim"].GetBoolean()) : x[0].Mean();
            case "matmul": return x[0].MatMul(x[1]);
            case "transpose": return x[0].Transpose(Int("dim0"), Int("dim1"));
            case "permute": return x[0].Permute(Dims());
            case "reshape_t": return x[0].Transpose(1, 2).Reshape(Shape());
            case "view": return x[0].View(Shape());
            case "expand": return x[0].Expand(Shape());
            case "squeeze": return x[0].Squeeze();
            case "squeeze_dim": return x[0].Squeeze(Int("dim"));
            case "unsqueeze": return x[0].Unsqueeze(Int("dim"));
            case "slice": return x[0].Slice(Int("dim"), Long("start"), Long("end"), Long("step"));
            case "select": return x[0].Select(Int("dim"), Long("index"));
            case "contiguous_p":
                Tensor permuted = x[0].Permute(Dims());
                Assert.That(permuted.IsContiguous, Is.False);
                Tensor contiguous = permuted.Contiguous();
                Assert.That(contiguous.IsContiguous, Is.True);
                return contiguous;
            case "t": return x[0].T;
            case "to": return x[0].To(Dtype()!.Value);
            default: throw new InvalidDataException($"reference case {c.Name}: unknown op {c.Op}");
        }
    }

    [Test]
    public void InPlaceOpsWriteIntoTheFirstOperandAndReturnIt()
    {
        using var scope = Torch.NewScope();
        Tensor a = Torch.Tensor(new float[] { 1, 2, 3 });
        Tensor b = Torch.Tensor(new float[] { 10, 20, 30 });
        Assert.That(a.Add_(b), Is.SameAs(a));
        Assert.That(a.ToArray<float>(), Is.EqualTo(new float[] { 11, 22, 33 }));
        a.Sub_(b).Mul_(2L).Div_(4.0);
        Assert.That(a.ToArray<float>(), Is.EqualTo(new float[] { 0.5f, 1, 1.5f }));
        a.Mul_(b).Div_(b).Add_(1L).Sub_(0.5);
        Assert.That(a.ToArray<float>(), Is.EqualTo(new float[] { 1, 1.5f, 2 }));
        a.Neg_();
        Assert.That(a.ToArray<float>(), Is.EqualTo(new float[] { -1, -1.5f, -2 }));
        Tensor e = Torch.Tensor(new double[] { 0, 1 });
        e.Exp_();
        Assert.That(e.ToArray<double>(), Is.EqualTo(new[] { 1, Math.E }).Within(1e-15));
        e.Log_();
        Assert.That(e.ToArray<double>(), Is.EqualTo(new[] { 0, 1.0 }).Within(1e-15));
    }

    [Test]
    public void InPlaceOpOnAViewWritesThroughToItsBase()
    {
        using var scope = Torch.NewScope();
        Tensor a = Torch.Zeros(2, 3);
        Tensor row = a.Select(0, 1);
        row.Add_(5L);
        Assert.That(a.ToArray<float>(), Is.EqualTo(new float[] { 0, 0, 0, 5, 5, 5 }));
        Assert.That(row.SharesStorageWith(a), Is.True);
        Assert.That(a.Version, Is.GreaterThan(0));
    }

    [Test]
    public void ViewsShareStorageAndReportStrides()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Arange(24.0).View(2, 3, 4);
        Assert.That(x.Strides, Is.EqualTo(new long[] { 12, 4, 1 }));
        Tensor t = x.Transpose(0, 2);
        Assert.That(t.Shape.ToArray(), Is.EqualTo(new long[] { 4, 3, 2 }));
        Assert.That(t.Strides, Is.EqualTo(new long[] { 1, 4, 12 }));
        Assert.That(t.IsContiguous, Is.False);
        Assert.That(t.SharesStorageWith(x), Is.True);
        Tensor s = x.Slice(2, 1, 3);
        Assert.That(s.StorageOffset, Is.EqualTo(1));
        Assert.That(x.Clone().SharesStorageWith(x), Is.False);
        Assert.That(x.Expand(5, 2, 3, 4).Strides, Is.EqualTo(new long[] { 0, 12, 4, 1 }));
    }

    [Test]
    public void CopyCastsAndBroadcastsIntoTheDestination()
    {
        using var scope = Torch.NewScope();
        Tensor dst = Torch.Zeros([2, 3], DType.Float64);
        dst.Copy_(Torch.Tensor(new int[] { 1, 2, 3 }));
        Assert.That(dst.ToArray<double>(), Is.EqualTo(new double[] { 1, 2, 3, 1, 2, 3 }));
        dst.CopyFrom_(Torch.Full([1], 0.5f));
        Assert.That(dst.ToArray<double>(), Is.All.EqualTo(0.5));
    }

    [Test]
    public void RandomFactoriesAreSeededAndInRange()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(123);
        Tensor a = Torch.Rand(10000);
        Torch.ManualSeed(123);
        Tensor b = Torch.Rand(10000);
        float[] av = a.ToArray<float>();
        Assert.That(av, Is.EqualTo(b.ToArray<float>()), "same seed, same samples");
        Assert.That(av, Is.All.GreaterThanOrEqualTo(0f).And.LessThan(1f));
        Assert.That(av.Average(), Is.EqualTo(0.5).Within(0.02));

        Tensor n = Torch.Randn([20000], DType.Float64);
        double[] nv = n.ToArray<double>();
        double mean = nv.Average();
        double variance = nv.Select(v => (v - mean) * (v - mean)).Average();
        Assert.That(mean, Is.EqualTo(0).Within(0.05));
        Assert.That(variance, Is.EqualTo(1).Within(0.05));

        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        Assert.That(Torch.Randn([64], generator: g1).ToArray<float>(), Is.EqualTo(Torch.Randn([64], generator: g2).ToArray<float>()));
        Assert.That(Torch.Rand(64).ToArray<float>(), Is.Not.EqualTo(Torch.Rand(64).ToArray<float>()));
    }

    [Test]
    public void RngStateRestoresTheSameNumbers()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(99);
        Torch.Rand(17);  // advance past the start
        Tensor state = Torch.GetRngState();
        Assert.That(state.DType, Is.EqualTo(DType.UInt8));
        Assert.That(state.Shape.ToArray(), Is.EqualTo(new long[] { 16 }));
        float[] first = Torch.Randn([33]).ToArray<float>();
        Torch.SetRngState(state);
        Assert.That(Torch.Randn([33]).ToArray<float>(), Is.EqualTo(first));

        using var g = new Generator(4);
        Tensor gState = g.GetState();
        float[] fromG = Torch.Rand([9], generator: g).ToArray<float>();
        Assert.That(Torch.Rand([9], generator: g.SetState(gState)).ToArray<float>(), Is.EqualTo(fromG));

        var error = Assert.Throws<ArgumentException>(() => Torch.SetRngState(Torch.Zeros([8], DType.UInt8)))!;
        Assert.That(error.Message, Does.Contain("set_rng_state").And.Contain("[8]").And.Contain("uint8"));
    }

    [Test]
    public void ThreadCountIsSettable()
    {
        int before = Torch.GetNumThreads();
        try
        {
            Torch.SetNumThreads(1);
            Assert.That(Torch.GetNumThreads(), Is.EqualTo(1));
        }
        finally
        {
            Torch.SetNumThreads(before);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Torch.SetNumThreads(0));
    }
}
