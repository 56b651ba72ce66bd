using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using static Ember.Tests.AutogradTestUtil;
using F = Ember.Functional;

namespace Ember.Tests;

/// <summary>
/// Elementwise math, activations, logic, reductions and scans against PyTorch 1.13's values and gradients
/// (tests/reference/make_math_reference.py writes Data/math_reference.json).
/// </summary>
[TestFixture]
public class MathReferenceTests
{
    private static IEnumerable<TestCaseData> Cases() => MathReference.Cases.Select(c => new TestCaseData(c).SetName("Math_" + c.Name));

    private static IEnumerable<TestCaseData> GradCases() =>
        MathReference.Cases.Where(c => c.Grads is not null).Select(c => new TestCaseData(c).SetName("MathGrad_" + c.Name));

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(object boxed)
    {
        var c = (MathCase)boxed;
        using var scope = Torch.NewScope();
        Tensor[] x = c.Inputs.Select(i => i.ToTensor()).ToArray();
        Tensor[] outs = Run(c, x);
        Assert.That(outs, Has.Length.EqualTo(c.Expected.Count), "number of results");
        for (int i = 0; i < outs.Length; i++)
            Assertions.Matches(outs[i], c.Expected[i], Tolerance(c, c.Expected[i]));
    }

    [TestCaseSource(nameof(GradCases))]
    public void GradientsMatchPyTorch(object boxed)
    {
        var c = (MathCase)boxed;
        using var scope = Torch.NewScope();
        Tensor[] x = c.Inputs.Select(i => i.ToTensor()).ToArray();
        Tensor[] diff = x.Where(t => t.DType.IsFloatingPoint()).ToArray();
        foreach (Tensor t in diff)
            t.RequiresGrad_();
        Tensor output = Run(c, x)[0];
        Tensor gout = Pattern(output.ShapeArray, 5.0);
        Tensor?[] grads = Ember.Autograd.Grad([output], diff, [gout], allowUnused: true);
        for (int k = 0; k < diff.Length; k++)
            Assertions.Matches(grads[k] ?? Torch.ZerosLike(diff[k]), c.Grads![k], c.Maybe("grad_tol") ?? 1e-9);
    }

    [TestCaseSource(nameof(GradCases))]
    public void GradientsMatchFiniteDifferences(object boxed)
    {
        var c = (MathCase)boxed;
        using var scope = Torch.NewScope();
        Tensor[] x = c.Inputs.Select(i => i.ToTensor()).ToArray();
        int[] floating = Enumerable.Range(0, x.Length).Where(i => x[i].DType.IsFloatingPoint()).ToArray();
        Tensor[] diff = floating.Select(i => x[i].RequiresGrad_()).ToArray();
        Tensor Fn(Tensor[] args)
        {
            Tensor[] all = (Tensor[])x.Clone();
            for (int k = 0; k < floating.Length; k++)
                all[floating[k]] = args[k];
            return Run(c, all)[0];
        }
        // Kinks (clamp bounds, rounding steps, ties) are away from the reference inputs by more than eps.
        Assert.That(Ember.Autograd.GradCheck(Fn, diff, 1e-7, 1e-5, 1e-3), Is.True);
    }

    // Float32 results of the vectorized exp/log and of the float32 accumulations may differ in the last bits.
    private static double? Tolerance(MathCase c, RefTensor expected) => expected.DType switch
    {
        "float32" => 2e-5,
        "float64" => c.Op.StartsWith("r:", StringComparison.Ordinal) || c.Op.StartsWith("f:", StringComparison.Ordinal) ? 1e-10 : 1e-12,
        _ => null,
    };

    private static Tensor[] Run(MathCase c, Tensor[] inputs)
    {
        Tensor[] x = (Tensor[])inputs.Clone();
        if (c.Bool("t"))
            x[0] = x[0].T;
        string op = c.Op;
        if (op.StartsWith("m:", StringComparison.Ordinal))
            return [Invoke(typeof(Tensor), op[2..], x[0], [])];
        if (op.StartsWith("f:", StringComparison.Ordinal))
            return [Activation(op[2..], x[0], c)];
        if (op.StartsWith("r:", StringComparison.Ordinal))
            return Reduction(op[2..], x[0]);
        return op switch
        {
            "round_decimals" => [x[0].Round(c.Int("decimals"))],
            "clamp" => [x[0].Clamp(c.Maybe("min"), c.Maybe("max"))],
            "clamp_int" => [x[0].Clamp((long)c.Double("min"), (long)c.Double("max"))],
            "clamp_tensor" => [x[0].Clamp(x[1], x[2])],
            "clamp_tensor_min" => [x[0].Clamp(x[1], null)],
            "nan_to_num" => [x[0].NanToNum(c.Maybe("nan") ?? 0, c.Maybe("posinf"), c.Maybe("neginf"))],
            "pow_scalar" => [x[0].Pow(c.Double("exponent"))],
            "pow_scalar_int" => [x[0].Pow((long)c.Double("exponent"))],
            "pow_rscalar" => [Torch.Pow(c.Double("base"), x[0])],
            "pow" => [x[0].Pow(x[1])],
            "atan2" => [x[0].Atan2(x[1])],
            "maximum" => [x[0].Maximum(x[1])],
            "minimum" => [x[0].Minimum(x[1])],
            "fmod" => [x[0].Fmod(x[1])],
            "remainder" => [x[0] % x[1]],
            "fmod_scalar" => [x[0].Fmod(c.Double("value"))],
            "remainder_scalar" => [x[0].Remainder(c.Double("value"))],
            "remainder_scalar_int" => [x[0] % (long)c.Double("value")],
            "where" => [Torch.Where(x[0], x[1], x[2])],
            "lerp" => [x[0].Lerp(x[1], x[2])],
            "lerp_scalar" => [x[0].Lerp(x[1], c.Double("weight"))],
            "addcmul" => [x[0].Addcmul(x[1], x[2], c.Double("value"))],
            "addcdiv" => [x[0].Addcdiv(x[1], x[2], c.Double("value"))],
            "logical_and" => [x[0].LogicalAnd(x[1])],
            "logical_or" => [x[0].LogicalOr(x[1])],
            "logical_xor" => [x[0].LogicalXor(x[1])],
            "bitwise_and" => [x[0] & x[1]],
            "bitwise_or" => [x[0] | x[1]],
            "bitwise_xor" => [x[0] ^ x[1]],
            "bitwise_and_scalar" => [x[0] & (long)c.Double("value")],
            "bitwise_or_scalar" => [x[0] | (long)c.Double("value")],
            "bitwise_xor_scalar" => [x[0] ^ (long)c.Double("value")],
            "bitwise_left_shift" => [x[0] << x[1]],
            "bitwise_right_shift" => [x[0] >> x[1]],
            "bitwise_left_shift_scalar" => [x[0] << (long)c.Double("value")],
            "bitwise_right_shift_scalar" => [x[0] >> (long)c.Double("value")],
            "isclose" => [c.Args.ContainsKey("rtol") ? x[0].IsClose(x[1], c.Double("rtol"), c.Double("atol"), c.Bool("equal_nan")) : x[0].IsClose(x[1])],
            _ => throw new InvalidDataException($"math reference case {c.Name}: unknown op {op}"),
        };
    }

    private static Tensor Invoke(Type type, string name, Tensor self, object[] args)
    {
        MethodInfo m = type.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes)
            ?? throw new InvalidDataException($"no Tensor.{name}()");
        return (Tensor)m.Invoke(self, args)!;
    }

    private static Tensor Activation(string name, Tensor x, MathCase c) => name switch
    {
        "Relu6" => F.Relu6(x),
        "LeakyRelu" => F.LeakyRelu(x, c.Double("slope")),
        "Elu" => F.Elu(x, c.Double("alpha")),
        "Selu" => F.Selu(x),
        "Celu" => F.Celu(x, c.Double("alpha")),
        "Gelu" => F.Gelu(x),
        "GeluTanh" => F.Gelu(x, "tanh"),
        "Silu" => F.Silu(x),
        "Mish" => F.Mish(x),
        "Softplus" => F.Softplus(x, c.Double("beta"), c.Double("threshold")),
        "Softsign" => F.Softsign(x),
        "LogSigmoid" => F.LogSigmoid(x),
        "Hardtanh" => F.Hardtanh(x, c.Double("min"), c.Double("max")),
        "Hardsigmoid" => F.Hardsigmoid(x),
        "Hardswish" => F.Hardswish(x),
        "Tanhshrink" => F.Tanhshrink(x),
        "Threshold" => F.Threshold(x, c.Double("threshold"), c.Double("value")),
        "Sigmoid" => F.Sigmoid(x),
        "Tanh" => F.Tanh(x),
        _ => throw new InvalidDataException($"unknown activation {name}"),
    };

    private static Tensor[] Reduction(string name, Tensor t)
    {
        static Tensor[] Pair((Tensor, Tensor) p) => [p.Item1, p.Item2];
        return name switch
        {
            "prod" => [t.Prod()],
            "prod_dim" => [t.Prod(t.Dim == 3 ? 1 : 0)],
            "prod_dim1" => [t.Prod(1)],
            "amax_dims" => [t.Dim == 3 ? t.Amax([0, 2]) : t.Dim == 2 && t.ShapeArray[1] == 3 ? t.Amax([1]) : t.Amax([0])],
            "amin_keep" => [t.Amin(-1, keepdim: true)],
            "max_all" => [t.Max()],
            "min_all" => [t.Min()],
            "var_all" => [t.Var()],
            "var_dims_c0" => [t.Var([0, 2], correction: 0)],
            "std_dim_keep" => [t.Std(1, keepdim: true)],
            "norm_2" => [t.Norm()],
            "norm_1_dim" => [t.Norm(1, [1])],
            "norm_inf" => [t.Norm(double.PositiveInfinity, [0, 1])],
            "norm_neginf" => [t.Norm(double.NegativeInfinity, [2])],
            "norm_3" => [t.Norm(3.0, [0, 2], keepdim: true)],
            "norm_0" => [t.Norm(0, [2])],
            "logsumexp_dim" => [t.LogSumExp(1)],
            "logsumexp_dims_keep" => [t.LogSumExp([0, 2], keepdim: true)],
            "cumsum_dim0" => [t.Cumsum(0)],
            "cumsum_dim0_float64" => [t.Cumsum(0, DType.Float64)],
            "cumsum_dim1" => [t.Cumsum(1)],
            "cumprod_dim0" => [t.Cumprod(0)],
            "cumprod_dim1" => [t.Cumprod(1)],
            "cumprod_dim2" => [t.Cumprod(2)],
            "cummax_dim0" => Pair(t.Cummax(0)),
            "cummax_dim1" => Pair(t.Cummax(1)),
            "cummin_dim2" => Pair(t.Cummin(2)),
            "median_dim" => Pair(t.Median(1)),
            "median_all" => [t.Median()],
            "min_dim" => Pair(t.Min(2)),
            "min_dim1" => Pair(t.Min(1)),
            "mode_dim" => Pair(t.Mode(0)),
            "mode_dim1" => Pair(t.Mode(1)),
            "var_mean" => Pair(t.VarMean([1])),
            "std_mean_keep" => Pair(t.StdMean([0, 1], keepdim: true)),
            "all" => [t.All()],
            "any" => [t.Any()],
            "all_dim1" => [t.All(1)],
            "any_dim0_keep" => [t.Any(0, keepdim: true)],
            "count_nonzero" => [t.CountNonzero()],
            "count_nonzero_dim1" => [t.CountNonzero(1)],
            "argmin_dim1" => [t.ArgMin(1)],
            "argmin" => [t.ArgMin()],
            _ => throw new InvalidDataException($"unknown reduction {name}"),
        };
    }
}

/// <summary>Data/math_reference.json.</summary>
internal static class MathReference
{
    private static readonly Lazy<List<MathCase>> s_cases = new(() =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "math_reference.json");
        var options = new JsonSerializerOptions
        {
            PropertyNameCaseInsensitive = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").Deserialize<List<MathCase>>(options)!;
    });

    public static IReadOnlyList<MathCase> Cases => s_cases.Value;
}

internal sealed class MathCase
{
    public string Name { get; set; } = "";

    public string Op { get; set; } = "";

    public List<RefTensor> Inputs { get; set; } = [];

    public Dictionary<string, JsonElement> Args { get; set; } = [];

    public List<RefTensor> Expected { get; set; } = [];

    public List<RefTensor>? Grads { get; set; }

    public double Double(string key) => Args[key].GetDouble();

    public int Int(string key) => Args[key].GetInt32();

    public bool Bool(string key) => Args.TryGetValue(key, out JsonElement e) && e.GetBoolean();

    public double? Maybe(string key) => Args.TryGetValue(key, out JsonElement e) ? e.GetDouble() : null;

    public override string ToString() => Name;
}
