namespace Ember.NN;

/// <summary>Gradient utilities (<c>torch.nn.utils</c>).</summary>
public static class Utils
{
    /// <summary>
    /// Scales the gradients of <paramref name="parameters"/> in place so that their joint norm is at most
    /// <paramref name="maxNorm"/> (<c>clip_grad_norm_</c>); returns the norm before clipping. Parameters
    /// without a gradient are skipped. <paramref name="normType"/> may be any p &gt; 0 or
    /// <see cref="double.PositiveInfinity"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The norm is NaN or infinite and <paramref name="errorIfNonfinite"/> is set.</exception>
    public static double ClipGradNorm_(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        if (grads.Count == 0)
            return 0;
        double total = 0;
        foreach (Tensor g in grads)
        {
            double n = GradNorm(g, normType);
            total = double.IsPositiveInfinity(normType) ? Math.Max(total, n) : total + Math.Pow(n, normType);
        }
        if (!double.IsPositiveInfinity(normType))
            total = Math.Pow(total, 1 / normType);
        if (errorIfNonfinite && !double.IsFinite(total))
            throw new ArgumentException($"Utils.ClipGradNorm_: the total norm of order {normType} for gradients from `parameters` is non-finite, so it cannot be clipped");
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1)
        {
            using var noGrad = Torch.NoGrad();
            foreach (Tensor g in grads)
                g.Mul_(coef);
        }
        return total;
    }

    /// <summary>Clamps every gradient element into [-clipValue, clipValue] (<c>clip_grad_value_</c>).</summary>
    public static void ClipGradValue_(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (Tensor g in parameters.Select(p => p.Grad).OfType<Tensor>())
        {
            using Tensor cpu = g.To(Device.CPU).To(DType.Float64);
            double[] values = cpu.ToArray<double>();
            for (int i = 0; i < values.Length; i++)
                values[i] = Math.Clamp(values[i], -clipValue, clipValue);
            using Tensor clipped = Torch.Tensor<double>(values, g.Shape);
            using var noGrad = Torch.NoGrad();
            g.Copy_(clipped);
        }
    }

    // The p-norm of one gradient; p = 2 stays on the device, other orders are rare and computed on the host.
    private static double GradNorm(Tensor g, double p)
    {
        using var noGrad = Torch.NoGrad();
        if (p == 2)
        {
            using Tensor g64 = g.To(DType.Float64);
            using Tensor sq = g64 * g64;
            using Tensor sum = sq.Sum();
            return Math.Sqrt(sum.Item<double>());
        }
        using Tensor host = g.To(Device.CPU).To(DType.Float64);
        double acc = 0;
        foreach (double v in host.ToArray<double>())
            acc = double.IsPositiveInfinity(p) ? Math.Max(acc, Math.Abs(v)) : acc + Math.Pow(Math.Abs(v), p);
        return double.IsPositiveInfinity(p) ? acc : Math.Pow(acc, 1 / p);
    }

    /// <summary>All parameters flattened into one 1-d tensor, in order (<c>parameters_to_vector</c>).</summary>
    public static Tensor ParametersToVector(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        long total = list.Sum(p => p.NumEl);
        if (list.Count == 0)
            return Torch.Empty(0);
        using var noGrad = Torch.NoGrad();
        Tensor vector = Torch.Empty([total], list[0].DType, list[0].Device);
        long offset = 0;
        foreach (Tensor p in list)
        {
            using Tensor slot = vector.Narrow(0, offset, p.NumEl);
            using Tensor flat = p.Reshape(-1);
            slot.Copy_(flat);
            offset += p.NumEl;
        }
        return vector;
    }
}

/// <summary>Clearing gradients, shared by modules and optimizers.</summary>
internal static class GradUtil
{
    public static void Clear(Tensor parameter, bool setToNone)
    {
        Tensor? grad = parameter.Grad;
        if (grad is null)
            return;
        if (setToNone)
        {
            // The parameter owned its gradient; free it now rather than leave native memory to the GC.
            parameter.Grad = null;
            grad.Dispose();
            return;
        }
        using var noGrad = Torch.NoGrad();
        Init.Zeros_(grad);
    }

    /// <summary>Clears the gradients of every parameter; zeroing them takes one native call for the lot.</summary>
    public static void ClearAll(IEnumerable<Tensor> parameters, bool setToNone)
    {
        if (setToNone)
        {
            foreach (Tensor p in parameters)
                Clear(p, setToNone: true);
            return;
        }
        var grads = new List<Tensor>();
        foreach (Tensor p in parameters)
        {
            if (p.Grad is { } g)
                grads.Add(g);
        }
        using var noGrad = Torch.NoGrad();
        Tensor.ZeroAll_(grads);
    }
}
