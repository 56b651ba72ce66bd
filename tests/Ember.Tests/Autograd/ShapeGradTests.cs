using System.Text.Json;

namespace Ember.Tests;

/// <summary>
/// The shape, indexing and sorting ops of <see cref="ShapeGradCases"/>: finite differences in float64 (first and
/// second order) and PyTorch's gradients (Data/shape/gradients.json, written by make_shape_grads.py).
/// </summary>
public class ShapeGradTests : GradCaseFixture
{
    public static IEnumerable<GradCase> Cases => ShapeGradCases.All;

    public static IEnumerable<GradCase> SecondOrderCases => ShapeGradCases.All;

    private static readonly Lazy<Dictionary<string, TorchCase>> s_reference = new(() =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "shape", "gradients.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        return doc.RootElement.GetProperty("cases").Deserialize<TorchCase[]>(options)!.ToDictionary(c => c.Name);
    });

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(GradCase c)
    {
        Assert.That(s_reference.Value.TryGetValue(c.Name, out TorchCase? expected), Is.True, $"{c.Name} is missing from Data/shape/gradients.json; run tests/reference/make_shape_grads.py");
        AssertMatches(c, expected!, 1e-9);
    }

    [Test]
    public void EveryCaseHasAReference()
    {
        Assert.That(ShapeGradCases.All.Select(c => c.Name), Is.Unique);
        Assert.That(ShapeGradCases.All.Where(c => !s_reference.Value.ContainsKey(c.Name)).Select(c => c.Name), Is.Empty);
    }
}
