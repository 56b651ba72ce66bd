using System.Text.Json;
using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>
/// The shape, indexing and sorting ops of <see cref="ShapeGradCases"/>: finite differences in float64 (first and
/// second order) and PyTorch's gradients (Data/shape/gradients.json, written by make_shape_grads.py).
/// </summary>
public class ShapeGradTests
{
    public static IEnumerable<GradCase> Cases => ShapeGradCases.All;

    private static readonly Lazy<Dictionary<string, TorchCase>> s_reference = new(() =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "shape", "gradients.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        return doc.RootElement.GetProperty("cases").Deserialize<TorchCase[]>(options)!.ToDictionary(c => c.Name);
    });

    [TestCaseSource(nameof(Cases))]
    public void GradCheck(GradCase c)
    {
        using TensorScope scope = Torch.NewScope();
        (double eps, double atol, double rtol) = c.Tolerance;
        Assert.That(Ember.Autograd.GradCheck(c.Fn, c.Inputs(), eps, atol, rtol), Is.True);
    }

    [TestCaseSource(nameof(Cases))]
    public void GradGradCheck(GradCase c)
    {
        using TensorScope scope = Torch.NewScope();
        (double eps, double atol, double rtol) = c.Tolerance;
        Assert.That(Ember.Autograd.GradGradCheck(c.Fn, c.Inputs(), null, eps, atol, rtol), Is.True);
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(GradCase c)
    {
        Assert.That(s_reference.Value.TryGetValue(c.Name, out TorchCase? expected), Is.True, $"{c.Name} is missing from Data/shape/gradients.json; run tests/reference/make_shape_grads.py");
        using TensorScope scope = Torch.NewScope();
        Tensor[] x = c.Inputs();
        Tensor output = c.Fn(x);
        Assert.That(output.Shape.ToArray(), Is.EqualTo(expected!.Out.Shape), "output shape");
        AssertClose(output, expected.Out.Data, 1e-9, "output");
        Tensor gout = Pattern(output.ShapeArray, 5.0);
        Tensor?[] grads = Ember.Autograd.Grad([output], x, [gout], createGraph: true, allowUnused: true);
        Tensor[] first = grads.Select((g, k) => g ?? Torch.ZerosLike(x[k])).ToArray();
        for (int k = 0; k < x.Length; k++)
            AssertClose(first[k], expected.Grads[k], 1e-9, $"gradient of input {k}");
        Tensor? s = null;
        for (int k = 0; k < first.Length; k++)
        {
            Tensor term = (first[k] * Pattern(first[k].ShapeArray, 11 + k)).Sum();
            s = s is null ? term : s + term;
        }
        Tensor?[] second = s!.RequiresGrad ? Ember.Autograd.Grad([s], x, allowUnused: true) : new Tensor?[x.Length];
        for (int k = 0; k < x.Length; k++)
            AssertClose(second[k] ?? Torch.ZerosLike(x[k]), expected.Second[k], 1e-8, $"second-order gradient of input {k}");
    }

    [Test]
    public void EveryCaseHasAReference()
    {
        Assert.That(ShapeGradCases.All.Select(c => c.Name), Is.Unique);
        Assert.That(ShapeGradCases.All.Where(c => !s_reference.Value.ContainsKey(c.Name)).Select(c => c.Name), Is.Empty);
    }
}
