using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>
/// RNN, LSTM, GRU and their cells against PyTorch with the same weights (Data/rnn.json, made by
/// tests/reference/make_nn_rnn.py): outputs, final states, and the gradients of the input, the initial states
/// and every parameter; state-dict keys, printing, default initialisation and argument errors.
/// </summary>
public class RecurrentTests
{
    private const double Tol = 1e-9;

    private static IEnumerable<string> RecurrentNames() => RefData.Load("rnn").GetProperty("recurrent").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    private static IEnumerable<string> CellNames() => RefData.Load("rnn").GetProperty("cells").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    private static JsonElement Case(string group, string name) =>
        RefData.Load("rnn").GetProperty(group).EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    private static Tensor? Optional(JsonElement c, string key, bool grad = false)
    {
        JsonElement e = c.GetProperty(key);
        if (e.ValueKind == JsonValueKind.Null)
            return null;
        Tensor t = RefData.Tensor(e, DType.Float64);
        return grad ? t.RequiresGrad_() : t;
    }

    private static T Arg<T>(JsonElement args, string key, T fallback)
    {
        if (!args.TryGetProperty(key, out JsonElement v))
            return fallback;
        object value = typeof(T) == typeof(bool) ? v.GetBoolean() : typeof(T) == typeof(string) ? v.GetString()! : typeof(T) == typeof(int) ? (object)v.GetInt32() : v.GetInt64();
        return (T)value;
    }

    private static void Load(Module m, JsonElement c)
    {
        var dict = c.GetProperty("state_dict").EnumerateObject().ToDictionary(p => p.Name, p => RefData.Tensor(p.Value, DType.Float64));
        Assert.That(m.StateDict().Keys, Is.EqualTo(dict.Keys), "state dict keys and their order");
        m.LoadStateDict(dict);
    }

    private static void AssertParameterGrads(Module m, JsonElement c)
    {
        foreach ((string name, Parameter p) in m.NamedParameters())
            RefData.AssertClose(p.Grad!, c.GetProperty("grads").GetProperty(name), Tol, Tol, $"grad of {name}");
    }

    [TestCaseSource(nameof(RecurrentNames))]
    public void LayerMatchesPyTorch(string name)
    {
        JsonElement c = Case("recurrent", name);
        JsonElement a = c.GetProperty("args");
        using var scope = Torch.NewScope();
        long input = Arg(a, "input_size", 0L), hidden = Arg(a, "hidden_size", 0L);
        int layers = Arg(a, "num_layers", 1);
        bool bias = Arg(a, "bias", true), bidir = Arg(a, "bidirectional", false), batchFirst = c.GetProperty("batch_first").GetBoolean();
        string kind = c.GetProperty("kind").GetString()!;
        using Module m = kind switch
        {
            "RNN" => new RNN(input, hidden, layers, Arg(a, "nonlinearity", "tanh"), bias, batchFirst, bidirectional: bidir, dtype: DType.Float64),
            "LSTM" => new LSTM(input, hidden, layers, bias, batchFirst, bidirectional: bidir, projSize: Arg(a, "proj_size", 0L), dtype: DType.Float64),
            _ => new GRU(input, hidden, layers, bias, batchFirst, bidirectional: bidir, dtype: DType.Float64),
        };
        Load(m, c);
        Assert.That(m.ToString(), Is.EqualTo(c.GetProperty("repr").GetString()));
        Tensor x = RefData.Tensor(c.GetProperty("input"), DType.Float64).RequiresGrad_();
        Tensor? h0 = Optional(c, "h0", grad: true), c0 = Optional(c, "c0", grad: true);
        Tensor output, hN;
        Tensor? cN = null;
        if (m is LSTM lstm)
        {
            (output, (hN, Tensor cn)) = lstm.Call(x, h0 is null ? null : (h0, c0!));
            cN = cn;
        }
        else
        {
            (output, hN) = ((Module<Tensor, Tensor?, (Tensor, Tensor)>)m).Call(x, h0);
        }
        RefData.AssertClose(output, c.GetProperty("output"), Tol, Tol, "output");
        RefData.AssertClose(hN, c.GetProperty("h_n"), Tol, Tol, "h_n");
        if (cN is not null)
            RefData.AssertClose(cN, c.GetProperty("c_n"), Tol, Tol, "c_n");

        Tensor loss = (output * Optional(c, "g_out")!).Sum() + (hN * Optional(c, "g_h")!).Sum();
        if (cN is not null)
            loss = loss + (cN * Optional(c, "g_c")!).Sum();
        loss.Backward();
        RefData.AssertClose(x.Grad!, c.GetProperty("grad_input"), Tol, Tol, "grad input");
        if (h0 is not null)
            RefData.AssertClose(h0.Grad!, c.GetProperty("grad_h0"), Tol, Tol, "grad h0");
        if (c0 is not null)
            RefData.AssertClose(c0.Grad!, c.GetProperty("grad_c0"), Tol, Tol, "grad c0");
        AssertParameterGrads(m, c);
    }

    [TestCaseSource(nameof(CellNames))]
    public void CellMatchesPyTorch(string name)
    {
        JsonElement c = Case("cells", name);
        JsonElement a = c.GetProperty("args");
        using var scope = Torch.NewScope();
        long input = Arg(a, "input_size", 0L), hidden = Arg(a, "hidden_size", 0L);
        bool bias = Arg(a, "bias", true);
        string kind = c.GetProperty("kind").GetString()!;
        using Module m = kind switch
        {
            "RNNCell" => new RNNCell(input, hidden, bias, Arg(a, "nonlinearity", "tanh"), dtype: DType.Float64),
            "LSTMCell" => new LSTMCell(input, hidden, bias, dtype: DType.Float64),
            _ => new GRUCell(input, hidden, bias, dtype: DType.Float64),
        };
        Load(m, c);
        Assert.That(m.ToString(), Is.EqualTo(c.GetProperty("repr").GetString()));
        Tensor x = RefData.Tensor(c.GetProperty("input"), DType.Float64).RequiresGrad_();
        Tensor? h0 = Optional(c, "h0", grad: true), c0 = Optional(c, "c0", grad: true);
        Tensor h;
        Tensor? cNext = null;
        if (m is LSTMCell cell)
            (h, cNext) = cell.Call(x, h0 is null ? null : (h0, c0!));
        else
            h = ((Module<Tensor, Tensor?, Tensor>)m).Call(x, h0);
        RefData.AssertClose(h, c.GetProperty("h"), Tol, Tol, "h");
        Tensor loss = (h * Optional(c, "g_h")!).Sum();
        if (cNext is not null)
        {
            RefData.AssertClose(cNext, c.GetProperty("c"), Tol, Tol, "c");
            loss = loss + (cNext * Optional(c, "g_c")!).Sum();
        }
        loss.Backward();
        RefData.AssertClose(x.Grad!, c.GetProperty("grad_input"), Tol, Tol, "grad input");
        if (h0 is not null)
            RefData.AssertClose(h0.Grad!, c.GetProperty("grad_h0"), Tol, Tol, "grad h0");
        if (c0 is not null)
            RefData.AssertClose(c0.Grad!, c.GetProperty("grad_c0"), Tol, Tol, "grad c0");
        AssertParameterGrads(m, c);
    }

    [Test]
    public void DefaultInitIsUniformWithinOneOverSqrtHidden()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(3);
        using var lstm = new LSTM(30, 25, numLayers: 2, bidirectional: true);
        double bound = 1 / Math.Sqrt(25);
        Assert.That(lstm.Parameters().Count(), Is.EqualTo(16));
        float[] all = lstm.Parameters().SelectMany(p => p.ToArray<float>()).ToArray();
        Assert.That(all.Max(), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.99 * bound));
        Assert.That(all.Min(), Is.GreaterThanOrEqualTo(-bound).And.LessThan(-0.99 * bound));
        double variance = all.Select(v => (double)v * v).Average();
        Assert.That(variance, Is.EqualTo(bound * bound / 3).Within(0.03 * bound * bound / 3));
    }

    [Test]
    public void DropoutActsBetweenLayersOnlyWhileTraining()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(4);
        using var gru = new GRU(3, 4, numLayers: 2, dropout: 0.5);
        Tensor x = Torch.Randn(6, 2, 3);
        gru.Eval();
        (Tensor a, _) = gru.Call(x);
        (Tensor b, _) = gru.Call(x);
        Assert.That(a.ToArray<float>(), Is.EqualTo(b.ToArray<float>()), "eval is deterministic");
        gru.Train();
        (Tensor c, _) = gru.Call(x);
        Assert.That(c.ToArray<float>(), Is.Not.EqualTo(a.ToArray<float>()), "training drops units between the layers");
        Assert.That(gru.ToString(), Is.EqualTo("GRU(3, 4, num_layers=2, dropout=0.5)"));
    }

    [Test]
    public void BadArgumentsAndShapesAreClearErrors()
    {
        using var scope = Torch.NewScope();
        Assert.That(() => new RNN(3, 4, nonlinearity: "sigmoid"), Throws.ArgumentException.With.Message.Contains("nonlinearity"));
        Assert.That(() => new LSTM(3, 4, projSize: 4), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("proj_size"));
        Assert.That(() => new GRU(3, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("hidden_size"));
        Assert.That(() => new LSTM(3, 4, dropout: 1.5), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("dropout"));
        using var lstm = new LSTM(3, 4, numLayers: 2);
        Assert.That(() => lstm.Call(Torch.Zeros(5, 2, 2)), Throws.ArgumentException.With.Message.Contains("input_size"));
        Assert.That(() => lstm.Call(Torch.Zeros(5, 2, 3), (Torch.Zeros(1, 2, 4), Torch.Zeros(2, 2, 4))), Throws.ArgumentException.With.Message.Contains("h_0"));
        Assert.That(() => lstm.Call(Torch.Zeros(5)), Throws.ArgumentException.With.Message.Contains("2 dims"));
        using var cell = new GRUCell(3, 4);
        Assert.That(() => cell.Call(Torch.Zeros(2, 3), Torch.Zeros(3, 4)), Throws.ArgumentException.With.Message.Contains("hx"));
    }

    [Test]
    public void UnbatchedInputGivesUnbatchedStatesAndZeroLengthWorksForCells()
    {
        using var scope = Torch.NewScope();
        using var rnn = new RNN(3, 4, numLayers: 2, bidirectional: true);
        (Tensor output, Tensor hN) = rnn.Call(Torch.Randn(5, 3));
        Assert.That(output.Shape.ToArray(), Is.EqualTo(new long[] { 5, 8 }));
        Assert.That(hN.Shape.ToArray(), Is.EqualTo(new long[] { 4, 4 }));
        // The last forward output equals the forward half of the last layer's h_n.
        Assert.That(output[4, ..4].ToArray<float>(), Is.EqualTo(hN[2].ToArray<float>()));
        // The backward direction ends at step 0.
        Assert.That(output[0, 4..].ToArray<float>(), Is.EqualTo(hN[3].ToArray<float>()));
    }
}
