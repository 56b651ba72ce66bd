using System.Globalization;

namespace Ember.NN;

/// <summary>The recurrence of an <see cref="RNNBase{TState, TOut}"/>.</summary>
public enum RNNMode
{
    /// <summary>h' = tanh(W_ih x + b_ih + W_hh h + b_hh).</summary>
    RnnTanh,

    /// <summary>h' = relu(W_ih x + b_ih + W_hh h + b_hh).</summary>
    RnnRelu,

    /// <summary>Long short-term memory: gates i, f, g, o and a cell state.</summary>
    Lstm,

    /// <summary>Gated recurrent unit: gates r, z, n.</summary>
    Gru,
}

/// <summary>
/// The layers of <see cref="RNN"/>, <see cref="LSTM"/> and <see cref="GRU"/> (<c>nn.RNNBase</c>): stacked layers,
/// one or two directions, PyTorch's parameter names (<c>weight_ih_l0</c>, <c>bias_hh_l1_reverse</c>, ...) and
/// initialisation U(-1/√hidden_size, 1/√hidden_size). Input is (L, N, H_in), (N, L, H_in) with batch_first, or
/// unbatched (L, H_in). Each layer and direction projects the whole sequence with one GEMM, then runs only
/// h·W_hhᵀ per step; everything is built from differentiable ops, so autograd covers it.
/// </summary>
/// <typeparam name="TState">The optional initial state (h_0, or (h_0, c_0) for LSTM).</typeparam>
/// <typeparam name="TOut">The output and final state.</typeparam>
public abstract class RNNBase<TState, TOut> : Module<Tensor, TState, TOut>
{
    /// <summary>Creates the parameters of every layer and direction.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size, the layer count, dropout or proj_size is out of range.</exception>
    protected RNNBase(RNNMode mode, long inputSize, long hiddenSize, int numLayers, bool bias, bool batchFirst,
        double dropout, bool bidirectional, long projSize, DType? dtype, Device? device)
    {
        string name = TypeName;
        if (inputSize < 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, $"{name}: input_size must be >= 0");
        if (hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, $"{name}: hidden_size must be greater than zero");
        if (numLayers <= 0)
            throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, $"{name}: num_layers must be greater than zero");
        if (!(dropout >= 0 && dropout <= 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"{name}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
        if (projSize < 0)
            throw new ArgumentOutOfRangeException(nameof(projSize), projSize, $"{name}: proj_size should be a positive integer or zero to disable projections");
        if (projSize >= hiddenSize)
            throw new ArgumentOutOfRangeException(nameof(projSize), projSize, $"{name}: proj_size has to be smaller than hidden_size ({hiddenSize})");
        if (projSize > 0 && mode != RNNMode.Lstm)
            throw new ArgumentException($"{name}: proj_size is supported only by LSTM", nameof(projSize));
        (Mode, InputSize, HiddenSize, NumLayers, HasBias, BatchFirst, Dropout, Bidirectional, ProjSize) =
            (mode, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, projSize);

        long gateSize = GatesOf(mode) * hiddenSize;
        long realHidden = OutputSize;
        int directions = NumDirections;
        for (int layer = 0; layer < numLayers; layer++)
        {
            for (int dir = 0; dir < directions; dir++)
            {
                long layerInput = layer == 0 ? inputSize : realHidden * directions;
                string suffix = $"_l{layer}{(dir == 1 ? "_reverse" : "")}";
                RegisterParameter("weight_ih" + suffix, Layers.NewParameter([gateSize, layerInput], dtype, device));
                RegisterParameter("weight_hh" + suffix, Layers.NewParameter([gateSize, realHidden], dtype, device));
                if (bias)
                {
                    RegisterParameter("bias_ih" + suffix, Layers.NewParameter([gateSize], dtype, device));
                    RegisterParameter("bias_hh" + suffix, Layers.NewParameter([gateSize], dtype, device));
                }
                if (projSize > 0)
                    RegisterParameter("weight_hr" + suffix, Layers.NewParameter([projSize, hiddenSize], dtype, device));
            }
        }
        ResetParameters();
    }

    /// <summary>The recurrence.</summary>
    public RNNMode Mode { get; }

    /// <summary>Features of the input (<c>input_size</c>).</summary>
    public long InputSize { get; }

    /// <summary>Features of the hidden state (<c>hidden_size</c>).</summary>
    public long HiddenSize { get; }

    /// <summary>Stacked layers (<c>num_layers</c>).</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers have biases (<c>bias</c>).</summary>
    public bool HasBias { get; }

    /// <summary>Whether input and output are (N, L, H) rather than (L, N, H) (<c>batch_first</c>).</summary>
    public bool BatchFirst { get; }

    /// <summary>Dropout probability on the outputs of every layer but the last, while training (<c>dropout</c>).</summary>
    public double Dropout { get; }

    /// <summary>Whether each layer also runs backwards in time (<c>bidirectional</c>).</summary>
    public bool Bidirectional { get; }

    /// <summary>Size of the LSTM's projected hidden state, 0 for none (<c>proj_size</c>).</summary>
    public long ProjSize { get; }

    /// <summary>2 when bidirectional, else 1.</summary>
    public int NumDirections => Bidirectional ? 2 : 1;

    /// <summary>Features of h (the projection size when there is one, else the hidden size).</summary>
    protected long OutputSize => ProjSize > 0 ? ProjSize : HiddenSize;

    /// <summary>Draws every parameter from U(-1/√hidden_size, 1/√hidden_size) (<c>reset_parameters</c>).</summary>
    public void ResetParameters()
    {
        double bound = 1 / Math.Sqrt(HiddenSize);
        foreach (Parameter p in Parameters(recurse: false))
            Init.Uniform_(p, -bound, bound);
    }

    /// <inheritdoc/>
    public override string ExtraRepr()
    {
        var s = new System.Text.StringBuilder($"{InputSize}, {HiddenSize}");
        if (ProjSize != 0)
            s.Append(CultureInfo.InvariantCulture, $", proj_size={ProjSize}");
        if (NumLayers != 1)
            s.Append(CultureInfo.InvariantCulture, $", num_layers={NumLayers}");
        if (!HasBias)
            s.Append(", bias=False");
        if (BatchFirst)
            s.Append(", batch_first=True");
        if (Dropout != 0)
            s.Append(", dropout=").Append(Layers.PyFloat(Dropout));
        if (Bidirectional)
            s.Append(", bidirectional=True");
        return s.ToString();
    }

    private static int GatesOf(RNNMode mode) => mode switch { RNNMode.Lstm => 4, RNNMode.Gru => 3, _ => 1 };

    /// <summary>
    /// Runs every layer: returns the output, h_n and (LSTM only) c_n, each moved to the caller's scope, with the
    /// batch dim removed again for unbatched input.
    /// </summary>
    private protected (Tensor Output, Tensor HN, Tensor? CN) Run(Tensor input, Tensor? h0, Tensor? c0)
    {
        ArgumentNullException.ThrowIfNull(input);
        string name = TypeName;
        if (input.Dim is not (2 or 3))
            throw new ArgumentException($"{name}: expected input of 2 dims (L, H_in) or 3 dims, got shape {input.Shape}", nameof(input));
        if (input.Shape[^1] != InputSize)
            throw new ArgumentException($"{name}: input.size(-1) must be equal to input_size. Expected {InputSize}, got {input.Shape[^1]} (input shape {input.Shape})", nameof(input));
        bool batched = input.Dim == 3;
        int states = NumLayers * NumDirections;
        CheckState(h0, "h_0", batched, states, OutputSize, input);
        CheckState(c0, "c_0", batched, states, HiddenSize, input);

        Dictionary<string, Parameter> p = NamedParameters(recurse: false).ToDictionary(e => e.Name, e => e.Parameter);
        Tensor output, hN;
        Tensor? cN = null;
        using (TensorScope scope = Torch.NewScope())
        {
            // Time-major (L, N, H) inside.
            Tensor x = !batched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input;
            long batch = x.Shape[1];
            Tensor? h0b = h0 is null ? null : batched ? h0 : h0.Unsqueeze(1);
            Tensor? c0b = c0 is null ? null : batched ? c0 : c0.Unsqueeze(1);
            var hs = new Tensor[states];
            var cs = new Tensor[states];
            for (int layer = 0; layer < NumLayers; layer++)
            {
                var outs = new Tensor[NumDirections];
                for (int dir = 0; dir < NumDirections; dir++)
                {
                    int k = layer * NumDirections + dir;
                    string suffix = $"_l{layer}{(dir == 1 ? "_reverse" : "")}";
                    Tensor h = h0b?.Select(0, k) ?? Torch.Zeros([batch, OutputSize], input.DType, input.Device);
                    Tensor c = Mode != RNNMode.Lstm ? h : c0b?.Select(0, k) ?? Torch.Zeros([batch, HiddenSize], input.DType, input.Device);
                    (outs[dir], hs[k], cs[k]) = RunDirection(x, h, c, p, suffix, reverse: dir == 1);
                }
                x = NumDirections == 1 ? outs[0] : Torch.Cat(outs, 2);
                if (Dropout > 0 && Training && layer < NumLayers - 1)
                    x = Functional.Dropout(x, Dropout, training: true);
            }
            output = !batched ? x.Squeeze(1) : BatchFirst ? x.Transpose(0, 1) : x;
            hN = Torch.Stack(hs, 0);
            if (!batched)
                hN = hN.Squeeze(1);
            scope.MoveOut(output);
            scope.MoveOut(hN);
            if (Mode == RNNMode.Lstm)
            {
                cN = Torch.Stack(cs, 0);
                if (!batched)
                    cN = cN.Squeeze(1);
                scope.MoveOut(cN);
            }
        }
        return (output, hN, cN);
    }

    private void CheckState(Tensor? state, string what, bool batched, int states, long features, Tensor input)
    {
        if (state is null)
            return;
        long batch = batched ? input.Shape[BatchFirst ? 0 : 1] : 0;
        long[] expected = batched ? [states, batch, features] : [states, features];
        if (!state.ShapeArray.AsSpan().SequenceEqual(expected))
            throw new ArgumentException($"{TypeName}: expected {what} of shape ({string.Join(", ", expected)}), got {state.Shape} (input shape {input.Shape}, {(batched ? "batched" : "unbatched")})", what);
        if (state.DType != input.DType || state.Device != input.Device)
            throw new ArgumentException($"{TypeName}: {what} is {state.DType} on {state.Device} but input is {input.DType} on {input.Device}", what);
    }

    // One layer in one direction over x (L, N, In): returns the outputs (L, N, H_out) and the last h and c.
    private (Tensor Output, Tensor H, Tensor C) RunDirection(Tensor x, Tensor h, Tensor c, Dictionary<string, Parameter> p, string suffix, bool reverse)
    {
        Tensor wih = p["weight_ih" + suffix], whh = p["weight_hh" + suffix];
        Tensor? bih = HasBias ? p["bias_ih" + suffix] : null, bhh = HasBias ? p["bias_hh" + suffix] : null;
        Tensor? whr = ProjSize > 0 ? p["weight_hr" + suffix] : null;
        // The input projection of all steps at once; the GRU keeps b_hh apart (r multiplies it), the others fold it in.
        Tensor? inputBias = Mode == RNNMode.Gru || bih is null ? bih : bih + bhh!;
        Tensor? stepBias = Mode == RNNMode.Gru ? bhh : null;
        Tensor gi = Functional.Linear(x, wih, inputBias);
        Tensor[] perStep = new TimeSteps().Apply(gi);
        long steps = x.Shape[0];
        var outs = new Tensor[steps];
        for (long s = 0; s < steps; s++)
        {
            long t = reverse ? steps - 1 - s : s;
            Tensor g = perStep[t];
            (h, c) = Mode switch
            {
                RNNMode.Lstm => RecurrentSteps.Lstm(g, h, c, whh, whr),
                RNNMode.Gru => (RecurrentSteps.Gru(g, h, whh, stepBias), c),
                _ => (RecurrentSteps.Simple(g, h, whh, null, Mode == RNNMode.RnnRelu), c),
            };
            outs[t] = h;
        }
        return (Torch.Stack(outs, 0), h, c);
    }
}

/// <summary>
/// The steps of the input projection (L, N, G) as L tensors, with one backward node that stacks their
/// gradients; a select per step would build a full (L, N, G) gradient for every step, O(L²) work.
/// </summary>
internal sealed class TimeSteps : Autograd.Function
{
    public override Tensor[] Forward(Autograd.FunctionContext ctx, Tensor[] inputs) => inputs[0].Unbind(0);

    public override Tensor?[] Backward(Autograd.FunctionContext ctx, Tensor?[] gradOutputs) => [Torch.Stack(Array.ConvertAll(gradOutputs, g => g!), 0)];
}

/// <summary>The per-step updates shared by the layers and the cells; <c>gi</c> is x·W_ihᵀ + b_ih (plus b_hh where folded in).</summary>
internal static class RecurrentSteps
{
    public static Tensor Simple(Tensor gi, Tensor h, Tensor whh, Tensor? bhh, bool relu)
    {
        using Tensor gh = Functional.Linear(h, whh, bhh);
        using Tensor pre = gi + gh;
        return relu ? Functional.Relu(pre) : pre.Tanh();
    }

    public static (Tensor H, Tensor C) Lstm(Tensor gi, Tensor h, Tensor c, Tensor whh, Tensor? whr, Tensor? bhh = null)
    {
        using Tensor gh = Functional.Linear(h, whh, bhh);
        using Tensor gates = gi + gh;
        Tensor[] chunks = gates.Chunk(4, 1);
        using Tensor i = chunks[0].Sigmoid();
        using Tensor f = chunks[1].Sigmoid();
        using Tensor g = chunks[2].Tanh();
        using Tensor o = chunks[3].Sigmoid();
        foreach (Tensor chunk in chunks)
            chunk.Dispose();
        using Tensor keep = f * c;
        using Tensor write = i * g;
        Tensor cNext = keep + write;
        using Tensor squashed = cNext.Tanh();
        Tensor hNext = o * squashed;
        if (whr is null)
            return (hNext, cNext);
        using Tensor full = hNext;
        return (Functional.Linear(full, whr), cNext);
    }

    public static Tensor Gru(Tensor gi, Tensor h, Tensor whh, Tensor? bhh)
    {
        using Tensor gh = Functional.Linear(h, whh, bhh);
        Tensor[] xs = gi.Chunk(3, 1), hs = gh.Chunk(3, 1);
        try
        {
            using Tensor rPre = xs[0] + hs[0];
            using Tensor r = rPre.Sigmoid();
            using Tensor zPre = xs[1] + hs[1];
            using Tensor z = zPre.Sigmoid();
            using Tensor gated = r * hs[2];
            using Tensor nPre = xs[2] + gated;
            using Tensor n = nPre.Tanh();
            // (1 - z) n + z h = n + z (h - n)
            using Tensor diff = h - n;
            using Tensor step = z * diff;
            return n + step;
        }
        finally
        {
            foreach (Tensor t in xs.Concat(hs))
                t.Dispose();
        }
    }
}

/// <summary>
/// An Elman RNN (<c>nn.RNN</c>): h_t = tanh(x_t W_ihᵀ + b_ih + h_(t-1) W_hhᵀ + b_hh), or relu with
/// nonlinearity "relu". <c>Call(input, h0)</c> returns (output, h_n); h0 may be null (zeros).
/// </summary>
public sealed class RNN : RNNBase<Tensor?, (Tensor Output, Tensor HN)>
{
    /// <summary>An RNN of <paramref name="numLayers"/> layers; <paramref name="nonlinearity"/> is "tanh" or "relu".</summary>
    /// <exception cref="ArgumentException">An unknown nonlinearity.</exception>
    public RNN(long inputSize, long hiddenSize, int numLayers = 1, string nonlinearity = "tanh", bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, DType? dtype = null, Device? device = null)
        : base(ModeOf(nonlinearity), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, 0, dtype, device) =>
        Nonlinearity = nonlinearity;

    /// <summary>"tanh" or "relu" (<c>nonlinearity</c>).</summary>
    public string Nonlinearity { get; }

    /// <summary>Runs the layers from a zero state.</summary>
    public (Tensor Output, Tensor HN) Call(Tensor input) => Call(input, null);

    /// <inheritdoc/>
    public override (Tensor Output, Tensor HN) Forward(Tensor input, Tensor? h0)
    {
        (Tensor output, Tensor hN, _) = Run(input, h0, null);
        return (output, hN);
    }

    private static RNNMode ModeOf(string nonlinearity) => nonlinearity switch
    {
        "tanh" => RNNMode.RnnTanh,
        "relu" => RNNMode.RnnRelu,
        _ => throw new ArgumentException($"RNN: unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.", nameof(nonlinearity)),
    };
}

/// <summary>
/// A long short-term memory (<c>nn.LSTM</c>), with an optional projection of h (<c>proj_size</c>).
/// <c>Call(input, (h0, c0))</c> returns (output, (h_n, c_n)); the state may be null (zeros).
/// </summary>
public sealed class LSTM : RNNBase<(Tensor H0, Tensor C0)?, (Tensor Output, (Tensor HN, Tensor CN) State)>
{
    /// <summary>An LSTM of <paramref name="numLayers"/> layers; <paramref name="projSize"/> &gt; 0 projects h to that size.</summary>
    public LSTM(long inputSize, long hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0,
        bool bidirectional = false, long projSize = 0, DType? dtype = null, Device? device = null)
        : base(RNNMode.Lstm, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, projSize, dtype, device)
    {
    }

    /// <summary>Runs the layers from a zero state.</summary>
    public (Tensor Output, (Tensor HN, Tensor CN) State) Call(Tensor input) => Call(input, null);

    /// <inheritdoc/>
    public override (Tensor Output, (Tensor HN, Tensor CN) State) Forward(Tensor input, (Tensor H0, Tensor C0)? state)
    {
        (Tensor output, Tensor hN, Tensor? cN) = Run(input, state?.H0, state?.C0);
        return (output, (hN, cN!));
    }
}

/// <summary>
/// A gated recurrent unit (<c>nn.GRU</c>). <c>Call(input, h0)</c> returns (output, h_n); h0 may be null (zeros).
/// </summary>
public sealed class GRU : RNNBase<Tensor?, (Tensor Output, Tensor HN)>
{
    /// <summary>A GRU of <paramref name="numLayers"/> layers.</summary>
    public GRU(long inputSize, long hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0,
        bool bidirectional = false, DType? dtype = null, Device? device = null)
        : base(RNNMode.Gru, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, 0, dtype, device)
    {
    }

    /// <summary>Runs the layers from a zero state.</summary>
    public (Tensor Output, Tensor HN) Call(Tensor input) => Call(input, null);

    /// <inheritdoc/>
    public override (Tensor Output, Tensor HN) Forward(Tensor input, Tensor? h0)
    {
        (Tensor output, Tensor hN, _) = Run(input, h0, null);
        return (output, hN);
    }
}
