namespace Ember.NN;

/// <summary>
/// One step of a recurrence (<c>nn.RNNCellBase</c>): the parameters <c>weight_ih</c> (G·hidden, input),
/// <c>weight_hh</c> (G·hidden, hidden), <c>bias_ih</c> and <c>bias_hh</c> (G·hidden), all drawn from
/// U(-1/√hidden_size, 1/√hidden_size). Input is (N, H_in) or unbatched (H_in).
/// </summary>
/// <typeparam name="TState">The optional incoming state.</typeparam>
/// <typeparam name="TOut">The next state.</typeparam>
public abstract class RNNCellBase<TState, TOut> : Module<Tensor, TState, TOut>
{
    /// <summary>Creates the parameters for <paramref name="gates"/> gates.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    private protected RNNCellBase(long inputSize, long hiddenSize, bool bias, int gates, DType? dtype, Device? device)
    {
        if (inputSize < 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, $"{TypeName}: input_size must be >= 0");
        if (hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, $"{TypeName}: hidden_size must be greater than zero");
        (InputSize, HiddenSize) = (inputSize, hiddenSize);
        WeightIh = Layers.NewParameter([gates * hiddenSize, inputSize], dtype, device);
        WeightHh = Layers.NewParameter([gates * hiddenSize, hiddenSize], dtype, device);
        BiasIh = bias ? Layers.NewParameter([gates * hiddenSize], dtype, device) : null;
        BiasHh = bias ? Layers.NewParameter([gates * hiddenSize], dtype, device) : null;
        ResetParameters();
    }

    /// <summary>Features of the input (<c>input_size</c>).</summary>
    public long InputSize { get; }

    /// <summary>Features of the state (<c>hidden_size</c>).</summary>
    public long HiddenSize { get; }

    /// <summary>Input-to-hidden weight (<c>weight_ih</c>).</summary>
    public Parameter WeightIh { get; private set; }

    /// <summary>Hidden-to-hidden weight (<c>weight_hh</c>).</summary>
    public Parameter WeightHh { get; private set; }

    /// <summary>Input-to-hidden bias (<c>bias_ih</c>), or null.</summary>
    public Parameter? BiasIh { get; private set; }

    /// <summary>Hidden-to-hidden bias (<c>bias_hh</c>), or null.</summary>
    public Parameter? BiasHh { get; private set; }

    /// <summary>Draws every parameter from U(-1/√hidden_size, 1/√hidden_size) (<c>reset_parameters</c>).</summary>
    public void ResetParameters()
    {
        double bound = 1 / Math.Sqrt(HiddenSize);
        foreach (Parameter p in Parameters(recurse: false))
            Init.Uniform_(p, -bound, bound);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"{InputSize}, {HiddenSize}{(BiasIh is null ? ", bias=False" : "")}";

    /// <summary>
    /// Checks the input and a state, and gives both with a batch dim: (input (N, H_in), state (N, H) or a zero
    /// state when null, whether the input was unbatched).
    /// </summary>
    private protected (Tensor X, Tensor H, bool Unbatched) Prepare(Tensor input, Tensor? state, string what)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim is not (1 or 2))
            throw new ArgumentException($"{TypeName}: Expected input to be 1D or 2D, got {input.Dim}D input of shape {input.Shape}", nameof(input));
        if (input.Shape[^1] != InputSize)
            throw new ArgumentException($"{TypeName}: input has inconsistent input_size: got {input.Shape[^1]} expected {InputSize} (input shape {input.Shape})", nameof(input));
        bool unbatched = input.Dim == 1;
        Tensor x = unbatched ? input.Unsqueeze(0) : input;
        if (state is null)
            return (x, Torch.Zeros([x.Shape[0], HiddenSize], input.DType, input.Device), unbatched);
        long[] expected = unbatched ? [HiddenSize] : [input.Shape[0], HiddenSize];
        if (!state.ShapeArray.AsSpan().SequenceEqual(expected))
            throw new ArgumentException($"{TypeName}: expected {what} of shape ({string.Join(", ", expected)}), got {state.Shape} for input of shape {input.Shape}", what);
        return (x, unbatched ? state.Unsqueeze(0) : state, unbatched);
    }
}

/// <summary>One step of an Elman RNN (<c>nn.RNNCell</c>): h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), or relu.</summary>
public sealed class RNNCell : RNNCellBase<Tensor?, Tensor>
{
    /// <summary>A cell; <paramref name="nonlinearity"/> is "tanh" or "relu".</summary>
    /// <exception cref="ArgumentException">An unknown nonlinearity.</exception>
    public RNNCell(long inputSize, long hiddenSize, bool bias = true, string nonlinearity = "tanh", DType? dtype = null, Device? device = null)
        : base(inputSize, hiddenSize, bias, 1, dtype, device)
    {
        if (nonlinearity is not ("tanh" or "relu"))
            throw new ArgumentException($"RNNCell: Unknown nonlinearity: {nonlinearity}", nameof(nonlinearity));
        Nonlinearity = nonlinearity;
    }

    /// <summary>"tanh" or "relu" (<c>nonlinearity</c>).</summary>
    public string Nonlinearity { get; }

    /// <summary>One step from a zero state.</summary>
    public Tensor Call(Tensor input) => Call(input, null);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor? hx)
    {
        using TensorScope scope = Torch.NewScope();
        (Tensor x, Tensor h, bool unbatched) = Prepare(input, hx, "hx");
        using Tensor gi = Functional.Linear(x, WeightIh, BiasIh);
        Tensor next = RecurrentSteps.Simple(gi, h, WeightHh, BiasHh, Nonlinearity == "relu");
        return scope.MoveOut(unbatched ? next.Squeeze(0) : next);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => base.ExtraRepr() + (Nonlinearity != "tanh" ? $", nonlinearity={Nonlinearity}" : "");
}

/// <summary>One step of an LSTM (<c>nn.LSTMCell</c>): returns (h', c').</summary>
public sealed class LSTMCell : RNNCellBase<(Tensor H, Tensor C)?, (Tensor H, Tensor C)>
{
    /// <summary>A cell from <paramref name="inputSize"/> to <paramref name="hiddenSize"/> features.</summary>
    public LSTMCell(long inputSize, long hiddenSize, bool bias = true, DType? dtype = null, Device? device = null)
        : base(inputSize, hiddenSize, bias, 4, dtype, device)
    {
    }

    /// <summary>One step from a zero state.</summary>
    public (Tensor H, Tensor C) Call(Tensor input) => Call(input, null);

    /// <inheritdoc/>
    public override (Tensor H, Tensor C) Forward(Tensor input, (Tensor H, Tensor C)? state)
    {
        using TensorScope scope = Torch.NewScope();
        (Tensor x, Tensor h, bool unbatched) = Prepare(input, state?.H, "hx[0]");
        (_, Tensor c, _) = Prepare(input, state?.C, "hx[1]");
        using Tensor gi = Functional.Linear(x, WeightIh, BiasIh);
        (Tensor hNext, Tensor cNext) = RecurrentSteps.Lstm(gi, h, c, WeightHh, null, BiasHh);
        if (unbatched)
            (hNext, cNext) = (hNext.Squeeze(0), cNext.Squeeze(0));
        return (scope.MoveOut(hNext), scope.MoveOut(cNext));
    }
}

/// <summary>One step of a GRU (<c>nn.GRUCell</c>).</summary>
public sealed class GRUCell : RNNCellBase<Tensor?, Tensor>
{
    /// <summary>A cell from <paramref name="inputSize"/> to <paramref name="hiddenSize"/> features.</summary>
    public GRUCell(long inputSize, long hiddenSize, bool bias = true, DType? dtype = null, Device? device = null)
        : base(inputSize, hiddenSize, bias, 3, dtype, device)
    {
    }

    /// <summary>One step from a zero state.</summary>
    public Tensor Call(Tensor input) => Call(input, null);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor? hx)
    {
        using TensorScope scope = Torch.NewScope();
        (Tensor x, Tensor h, bool unbatched) = Prepare(input, hx, "hx");
        using Tensor gi = Functional.Linear(x, WeightIh, BiasIh);
        Tensor next = RecurrentSteps.Gru(gi, h, WeightHh, BiasHh);
        return scope.MoveOut(unbatched ? next.Squeeze(0) : next);
    }
}
