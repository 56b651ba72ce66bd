namespace Ember;

// Activations built from differentiable ops, so autograd (and higher orders) come from their parts.
public static partial class Functional
{
    /// <summary>
    /// x where x &gt; 0, else weight · x, with one learned slope per channel (dim 1) or one for all
    /// (<c>F.prelu</c>). <paramref name="weight"/> holds 1 or C elements; inputs of fewer than 2 dims have no
    /// channel dim and take 1.
    /// </summary>
    /// <exception cref="ArgumentException">The weight's element count is neither 1 nor the channel count.</exception>
    public static Tensor Prelu(Tensor input, Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        long n = weight.NumEl;
        long channels = input.Dim >= 2 ? input.Shape[1] : 1;
        if (weight.Dim > 1 || (n != 1 && n != channels))
            throw new ArgumentException(
                $"prelu: weight of shape {weight.Shape} must hold 1 element or one per channel ({channels}) of input of shape {input.Shape} ({input.DType})", nameof(weight));
        // Slopes along dim 1: (C, 1, ..., 1) broadcasts against (N, C, ...).
        Span<long> shape = stackalloc long[Math.Max(input.Dim - 1, 1)];
        shape.Fill(1);
        shape[0] = n;
        using Tensor w = n == 1 || input.Dim < 2 ? weight.Reshape([]) : weight.Reshape(shape);
        using Tensor positive = input.Gt(0.0);
        using Tensor scaled = input * w;
        return Torch.Where(positive, input, scaled);
    }

    /// <summary>Gated linear unit: a · sigmoid(b) where a and b are the two halves of <paramref name="dim"/> (<c>F.glu</c>).</summary>
    /// <exception cref="ArgumentException">The dim's size is odd, or the input is 0-d.</exception>
    public static Tensor Glu(Tensor input, int dim = -1)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim == 0)
            throw new ArgumentException($"glu: does not support 0-d input ({input.DType})", nameof(input));
        int d = Tensor.NormalizeDim(dim, input.Dim);
        long size = input.Shape[d];
        if (size % 2 != 0)
            throw new ArgumentException($"glu: halving dimension must be even, but dimension {dim} of input of shape {input.Shape} is size {size}", nameof(dim));
        using Tensor a = input.Narrow(d, 0, size / 2);
        using Tensor b = input.Narrow(d, size / 2, size / 2);
        using Tensor gate = b.Sigmoid();
        return a * gate;
    }

    /// <summary>softmax(-x) along <paramref name="dim"/> (<c>F.softmin</c>).</summary>
    public static Tensor Softmin(Tensor input, int dim)
    {
        ArgumentNullException.ThrowIfNull(input);
        using Tensor negated = -input;
        return Softmax(negated, dim);
    }

    /// <summary>x where |x| &gt; <paramref name="lambd"/>, else 0 (<c>F.hardshrink</c>).</summary>
    public static Tensor Hardshrink(Tensor input, double lambd = 0.5)
    {
        ArgumentNullException.ThrowIfNull(input);
        using Tensor magnitude = input.Abs();
        using Tensor inside = magnitude.Le(lambd);
        return input.MaskedFill(inside, 0);
    }

    /// <summary>x - λ where x &gt; λ, x + λ where x &lt; -λ, else 0 (<c>F.softshrink</c>); λ must be &gt;= 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lambd"/> is negative.</exception>
    public static Tensor Softshrink(Tensor input, double lambd = 0.5)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(lambd >= 0))
            throw new ArgumentOutOfRangeException(nameof(lambd), lambd, $"softshrink: lambda must be greater or equal to 0, but found to be {lambd}");
        // x - clamp(x, -λ, λ): the clamp passes the middle through, so the difference is 0 there.
        using Tensor middle = input.Clamp(-lambd, lambd);
        return input - middle;
    }
}
