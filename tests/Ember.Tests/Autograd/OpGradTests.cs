using System.Reflection;
using System.Text.Json;

namespace Ember.Tests;

/// <summary>
/// Every differentiable op, from one table (<see cref="GradCases"/>): finite differences in float64 for first
/// and second derivatives, and PyTorch's values for the same cases. A public op that the table does
/// not cover and that is not listed as non-differentiable fails <see cref="EveryPublicOpIsCovered"/>.
/// </summary>
public class OpGradTests : GradCaseFixture
{
    // Ops whose results carry no gradient (comparisons, indices, factories, autograd and lifetime plumbing).
    private static readonly HashSet<string> NonDifferentiable =
    [
        // Tensor
        "Eq", "Ne", "Lt", "Le", "Gt", "Ge", "ArgMax", "Detach", "Detach_", "RequiresGrad_", "get_Grad", "MoveToOuterScope", "DetachFromScope",
        "Fill_", "Zero_", // the result does not depend on the input: FillBackward passes nothing back
        // Torch factories
        "Empty", "Zeros", "Ones", "Full", "ZerosLike", "OnesLike", "EmptyLike", "Arange", "Eye", "Rand", "Randn", "Tensor", "FromArray", "AsTensor",
        // Torch serialization and random state
        "Load", "GetRngState",
        // Autograd's own API (its results are gradients, checked by the autograd tests)
        "Grad", "Checkpoint", "Jacobian", "Hessian", "Vjp", "Jvp", "Apply", "ApplySingle",
    ];

    // Differentiable, but only on a GPU: checked by the cuda-category tests (CudaTests).
    private static readonly HashSet<string> CheckedOnGpu = ["Cuda", "PinMemory"];

    // Cases whose values depend on the random generator, so PyTorch cannot give the same values.
    private static readonly HashSet<string> NoTorchReference = ["dropout", "dropout2d"];

    public static IEnumerable<GradCase> Cases => GradCases.All;

    public static IEnumerable<GradCase> SecondOrderCases => GradCases.All;

    public static IEnumerable<GradCase> CasesWithReference => GradCases.All.Where(c => !NoTorchReference.Contains(c.Name));

    [TestCaseSource(nameof(CasesWithReference))]
    public void MatchesPyTorch(GradCase c)
    {
        Assert.That(TorchReference.Cases.TryGetValue(c.Name, out TorchCase? expected), Is.True, $"{c.Name} is missing from gradients.json; run tests/reference/make_autograd.py");
        AssertMatches(c, expected!, c.Float32 ? 1e-6 : 1e-9);
    }

    [Test]
    public void EveryPublicOpIsCovered()
    {
        var covered = GradCases.All.Concat(ShapeGradCases.All).Select(c => c.Op).Concat(ShapeGradCases.NonDifferentiable).Concat(MathGradCases.Covered)
            .Concat(NNGradCases.Cases.Select(c => c.Op)).Concat(UpsampleGradCases.Cases.Select(c => c.Op))
            .Concat(AttentionGradCases.Cases.Select(c => c.Op)).Concat(LossGradCases.Cases.Select(c => c.Op))
            .Concat(ConvGradCases.Cases.Select(c => c.Op)).Concat(CheckedOnGpu).ToHashSet();
        var missing = new List<string>();
        foreach (Type type in new[] { typeof(Tensor), typeof(Functional), typeof(Torch) })
        {
            foreach (MethodInfo m in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                bool returnsTensor = m.ReturnType == typeof(Tensor) || (m.ReturnType.IsGenericType && m.ReturnType.GetGenericArguments().Contains(typeof(Tensor)));
                if (!returnsTensor || NonDifferentiable.Contains(m.Name) || covered.Contains(m.Name))
                    continue;
                missing.Add($"{type.Name}.{m.Name}");
            }
        }
        Assert.That(missing.Distinct(), Is.Empty,
            "public ops returning tensors without a gradient check case in GradCases (add a case, or list the op as non-differentiable)");
    }

    [Test]
    public void EveryCaseHasAReferenceAndEveryReferenceACase()
    {
        var names = GradCases.All.Select(c => c.Name).ToHashSet();
        Assert.That(GradCases.All.Select(c => c.Name), Is.Unique);
        Assert.That(TorchReference.Cases.Keys.Where(k => !names.Contains(k)), Is.Empty, "reference cases without a C# case");
        Assert.That(names.Where(n => !TorchReference.Cases.ContainsKey(n) && !NoTorchReference.Contains(n)), Is.Empty, "C# cases without a reference");
    }
}

public sealed record TorchTensor(long[] Shape, double[] Data);

public sealed record TorchCase(string Name, TorchTensor Out, double[][] Grads, double[][] Second);

/// <summary>tests/Ember.Tests/Data/autograd/gradients.json, written by tests/reference/make_autograd.py.</summary>
internal static class TorchReference
{
    private static readonly Lazy<Dictionary<string, TorchCase>> s_cases = new(() =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "autograd", "gradients.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        return doc.RootElement.GetProperty("cases").Deserialize<TorchCase[]>(options)!.ToDictionary(c => c.Name);
    });

    public static Dictionary<string, TorchCase> Cases => s_cases.Value;
}
