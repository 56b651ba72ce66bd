using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ember.Tests;

/// <summary>A case of tests/Ember.Tests/Data/shape/reference.json (written by tests/reference/make_shape_reference.py).</summary>
public sealed class ShapeRefCase
{
    public string Name { get; set; } = "";

    internal List<RefTensor> Inputs { get; set; } = [];

    internal List<RefTensor> Outputs { get; set; } = [];

    public override string ToString() => Name;
}

/// <summary>Loads the shape and indexing reference cases and checks an op's outputs against them.</summary>
internal static class ShapeReference
{
    private static readonly Lazy<Dictionary<string, ShapeRefCase>> s_cases = new(() =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "shape", "reference.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        var options = new JsonSerializerOptions
        {
            PropertyNameCaseInsensitive = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        var result = new Dictionary<string, ShapeRefCase>();
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var rc = new ShapeRefCase
            {
                Name = c.GetProperty("name").GetString()!,
                Inputs = c.GetProperty("inputs").Deserialize<List<RefTensor>>(options)!,
                Outputs = c.GetProperty("outputs").Deserialize<List<RefTensor>>(options)!,
            };
            result[rc.Name] = rc;
        }
        return result;
    });

    public static Dictionary<string, ShapeRefCase> Cases => s_cases.Value;

    /// <summary>Runs <paramref name="op"/> on the case's inputs and compares every output (dtype, shape, values).</summary>
    public static void Check(string name, Func<Tensor[], Tensor[]> op)
    {
        Assert.That(Cases.TryGetValue(name, out ShapeRefCase? c), Is.True, $"{name} is missing from Data/shape/reference.json; run tests/reference/make_shape_reference.py");
        using TensorScope scope = Torch.NewScope();
        Tensor[] inputs = c!.Inputs.Select(t => t.ToTensor()).ToArray();
        Tensor[] outputs = op(inputs);
        Assert.That(outputs, Has.Length.EqualTo(c.Outputs.Count), "number of outputs");
        for (int i = 0; i < outputs.Length; i++)
            Assertions.Matches(outputs[i], c.Outputs[i]);
    }
}
