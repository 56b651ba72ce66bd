using Ember.Interop;

namespace Ember;

public static unsafe partial class Functional
{
    /// <summary>
    /// Batch normalization over the channel dim 1 of <paramref name="input"/> (N, C, *) (<c>F.batch_norm</c>).
    /// While <paramref name="training"/> it normalises with the batch's mean and biased variance and, when running
    /// statistics are given, updates them in place: r ← (1 − momentum)·r + momentum·s, <paramref name="runningVar"/>
    /// taking the unbiased variance. Otherwise it normalises with the running statistics. <paramref name="weight"/>
    /// and <paramref name="bias"/> (C) scale and shift the result when given. One fused native pass each way.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not fit, or a channel has one value while training.</exception>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        ember_tensor r, m, s;
        ember_status status = NativeMethods.ember_batch_norm(input.Handle, HandleOf(weight), HandleOf(bias), HandleOf(runningMean),
            HandleOf(runningVar), training ? 1 : 0, momentum, eps, &r, &m, &s);
        GC.KeepAlive(runningMean);
        GC.KeepAlive(runningVar);
        Check(status, input, weight, bias);
        return RecordNorm(new Tensor(r), new Tensor(m), new Tensor(s), input, weight, bias,
            new NormSpec(NormKind.Batch, [], 0, training, eps));
    }

    /// <summary>
    /// Layer normalization of <paramref name="input"/> over its last dims, which must equal
    /// <paramref name="normalizedShape"/>, then · <paramref name="weight"/> + <paramref name="bias"/> (both of
    /// that shape, optional) (<c>F.layer_norm</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The input's last dims differ from <paramref name="normalizedShape"/>.</exception>
    public static Tensor LayerNorm(Tensor input, ReadOnlySpan<long> normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        long[] shape = normalizedShape.ToArray();
        ember_tensor r, m, s;
        ember_status status;
        fixed (long* ns = shape)
            status = NativeMethods.ember_layer_norm(input.Handle, ns, shape.Length, HandleOf(weight), HandleOf(bias), eps, &r, &m, &s);
        Check(status, input, weight, bias);
        return RecordNorm(new Tensor(r), new Tensor(m), new Tensor(s), input, weight, bias, new NormSpec(NormKind.Layer, shape, 0, true, eps));
    }

    /// <summary>
    /// Root-mean-square normalization (<c>F.rms_norm</c>, PyTorch 2.4): x / √(mean(x²) + eps) over the last dims
    /// (<paramref name="normalizedShape"/>), times <paramref name="weight"/> when given. A null <paramref name="eps"/>
    /// means the machine epsilon of the input's dtype, as in PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException">The input's last dims differ from <paramref name="normalizedShape"/>.</exception>
    public static Tensor RMSNorm(Tensor input, ReadOnlySpan<long> normalizedShape, Tensor? weight = null, double? eps = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        long[] shape = normalizedShape.ToArray();
        double e = eps ?? MachineEpsilon(input.DType);
        ember_tensor r, s;
        ember_status status;
        fixed (long* ns = shape)
            status = NativeMethods.ember_rms_norm(input.Handle, ns, shape.Length, HandleOf(weight), e, &r, &s);
        Check(status, input, weight);
        return RecordNorm(new Tensor(r), null, new Tensor(s), input, weight, null, new NormSpec(NormKind.Rms, shape, 0, true, e));
    }

    /// <summary>
    /// Group normalization (<c>F.group_norm</c>): the channels of <paramref name="input"/> (N, C, *) split into
    /// <paramref name="numGroups"/> groups, each normalised per sample, then a per-channel
    /// <paramref name="weight"/> and <paramref name="bias"/> (C).
    /// </summary>
    /// <exception cref="ArgumentException">C is not divisible by <paramref name="numGroups"/>.</exception>
    public static Tensor GroupNorm(Tensor input, long numGroups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        ember_tensor r, m, s;
        Check(NativeMethods.ember_group_norm(input.Handle, numGroups, HandleOf(weight), HandleOf(bias), eps, &r, &m, &s), input, weight, bias);
        return RecordNorm(new Tensor(r), new Tensor(m), new Tensor(s), input, weight, bias, new NormSpec(NormKind.Group, [], numGroups, true, eps));
    }

    /// <summary>
    /// Instance normalization (<c>F.instance_norm</c>): each channel of each sample of <paramref name="input"/>
    /// (N, C, *) normalised on its own. With <paramref name="useInputStats"/> the running statistics, when given,
    /// are updated with the mean over the batch of the per-instance statistics; without, they normalise the input.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not fit, or evaluation is asked for without running statistics.</exception>
    public static Tensor InstanceNorm(Tensor input, Tensor? runningMean = null, Tensor? runningVar = null, Tensor? weight = null, Tensor? bias = null,
        bool useInputStats = true, double momentum = 0.1, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!useInputStats)
            return BatchNorm(input, runningMean, runningVar, weight, bias, training: false, momentum, eps);
        if (input.Dim < 2)
            throw new ArgumentException($"Functional.InstanceNorm: expected an input of at least 2 dims (N, C, *), but got shape {input.Shape}");
        long channels = input.ShapeArray[1];
        long spatial = input.NumEl / Math.Max(1, input.ShapeArray[0] * channels);
        if (spatial <= 1)
            throw new ArgumentException($"Functional.InstanceNorm: Expected more than 1 spatial element when training, got input size {input.Shape}");
        // Per-instance statistics are group norm's with one channel per group.
        ember_tensor r, m, s;
        Check(NativeMethods.ember_group_norm(input.Handle, channels, HandleOf(weight), HandleOf(bias), eps, &r, &m, &s), input, weight, bias);
        Tensor mean = new(m), rstd = new(s);
        if (runningMean is not null && runningVar is not null)
        {
            using var noGrad = Torch.NoGrad();
            using Tensor batchMean = mean.Mean(0);
            // var = 1/rstd² − eps, made unbiased as PyTorch's running variance.
            using Tensor sq = rstd * rstd;
            using Tensor inv = 1.0 / sq;
            using Tensor biased = inv - eps;
            using Tensor unbiased = biased * (spatial / (double)(spatial - 1));
            using Tensor batchVar = unbiased.Mean(0);
            Update(runningMean, batchMean, momentum);
            Update(runningVar, batchVar, momentum);
        }
        return RecordNorm(new Tensor(r), mean, rstd, input, weight, bias, new NormSpec(NormKind.Group, [], channels, true, eps));

        static void Update(Tensor running, Tensor stat, double momentum)
        {
            using Tensor cast = stat.To(running.DType);
            using Tensor step = cast * momentum;
            running.Mul_(1 - momentum).Add_(step);
        }
    }

    /// <summary>The difference between 1 and the next representable value of a floating dtype (<c>torch.finfo(dtype).eps</c>).</summary>
    private static double MachineEpsilon(DType dtype) => dtype switch
    {
        DType.Float64 => 2.220446049250313e-16,
        DType.Float16 => 0.0009765625,
        DType.BFloat16 => 0.0078125,
        _ => 1.1920928955078125e-07,
    };

    private enum NormKind { Batch, Layer, Group, Rms }

    /// <summary>What a norm's backward needs besides tensors: the kind, the normalised shape (layer/rms), the groups, whether batch statistics were used, eps.</summary>
    private readonly record struct NormSpec(NormKind Kind, long[] NormalizedShape, long Groups, bool Training, double Eps);

    private static Tensor RecordNorm(Tensor result, Tensor? mean, Tensor rstd, Tensor input, Tensor? weight, Tensor? bias, NormSpec spec)
    {
        bool needs = input._requiresGrad | (weight?._requiresGrad ?? false) | (bias?._requiresGrad ?? false);
        if (!needs || !GradMode.IsEnabled)
        {
            mean?.Dispose();
            rstd.Dispose();
            return result;
        }
        var node = new NormBackward(spec)
        {
            Next = [Autograd.EdgeOf(input), weight is null ? default : Autograd.EdgeOf(weight), bias is null ? default : Autograd.EdgeOf(bias)],
            Input = SavedTensor.Of(input),
            Weight = weight is null ? null : SavedTensor.Of(weight),
            Bias = bias is null ? null : SavedTensor.Of(bias),
            Mean = mean is null ? null : SavedTensor.Own(mean),
            Rstd = SavedTensor.Own(rstd),
        };
        return Autograd.SetHistory(result, node);
    }

    /// <summary>
    /// The backward of the norms: the native fused kernel; under createGraph the forward is recomputed from
    /// differentiable ops and differentiated, so that gradients of gradients are exact.
    /// </summary>
    private sealed class NormBackward(NormSpec spec) : Autograd.Node
    {
        public SavedTensor? Input, Weight, Bias, Mean, Rstd;

        public override string Name => spec.Kind switch
        {
            NormKind.Batch => "NativeBatchNormBackward0",
            NormKind.Layer => "NativeLayerNormBackward0",
            NormKind.Group => "NativeGroupNormBackward0",
            _ => "RmsNormBackward0",
        };

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor g = grads[0]!;
            Tensor x = Input!.Unpack(this);
            Tensor? w = Weight?.Unpack(this), b = Bias?.Unpack(this);
            Tensor? mean = Mean?.Unpack(this);
            Tensor rstd = Rstd!.Unpack(this);
            if (GradMode.IsEnabled)
                return Recomputed(g, x, w, b, mean, rstd);
            bool nx = NeedsGrad(0), nw = NeedsGrad(1), nb = NeedsGrad(2);
            ember_tensor gx, gw, gb = default;
            ember_status status;
            long[] ns = spec.NormalizedShape;
            fixed (long* p = ns)
            {
                status = spec.Kind switch
                {
                    NormKind.Batch => NativeMethods.ember_batch_norm_backward(g.Handle, x.Handle, HandleOf(w), mean!.Handle, rstd.Handle,
                        spec.Training ? 1 : 0, nx ? 1 : 0, nw ? 1 : 0, nb ? 1 : 0, &gx, &gw, &gb),
                    NormKind.Layer => NativeMethods.ember_layer_norm_backward(g.Handle, x.Handle, p, ns.Length, mean!.Handle, rstd.Handle, HandleOf(w),
                        nx ? 1 : 0, nw ? 1 : 0, nb ? 1 : 0, &gx, &gw, &gb),
                    NormKind.Group => NativeMethods.ember_group_norm_backward(g.Handle, x.Handle, mean!.Handle, rstd.Handle, HandleOf(w), spec.Groups,
                        nx ? 1 : 0, nw ? 1 : 0, nb ? 1 : 0, &gx, &gw, &gb),
                    _ => NativeMethods.ember_rms_norm_backward(g.Handle, x.Handle, p, ns.Length, rstd.Handle, HandleOf(w), nx ? 1 : 0, nw ? 1 : 0, &gx, &gw),
                };
            }
            Check(status, g, x, w, rstd);
            GC.KeepAlive(mean);
            return [WrapOptional(gx), WrapOptional(gw), WrapOptional(gb)];
        }

        // The vector-Jacobian product of the forward rebuilt from recorded ops (sqrt as exp(-log/2)).
        private Tensor?[] Recomputed(Tensor g, Tensor x, Tensor? w, Tensor? b, Tensor? savedMean, Tensor savedRstd)
        {
            var inputs = new List<Tensor>(3);
            var slots = new List<int>(3);
            Tensor?[] all = [x, w, b];
            for (int i = 0; i < 3; i++)
            {
                if (NeedsGrad(i) && all[i] is { _requiresGrad: true } t)
                {
                    inputs.Add(t);
                    slots.Add(i);
                }
            }
            var result = new Tensor?[3];
            if (inputs.Count == 0)
                return result;
            using var scope = Torch.NewScope();
            Tensor y = Forward(x, w, b, savedMean, savedRstd);
            Tensor?[] vjp = Autograd.Grad([y], inputs, [g], retainGraph: true, createGraph: true, allowUnused: true);
            for (int k = 0; k < slots.Count; k++)
                result[slots[k]] = vjp[k] is { } r && r.Scope == scope ? scope.MoveOut(r) : vjp[k];
            return result;
        }

        private Tensor Forward(Tensor x, Tensor? w, Tensor? b, Tensor? savedMean, Tensor savedRstd)
        {
            int n = x.Dim;
            long[] shape = x.ShapeArray;
            Tensor xhat;
            if (spec.Kind == NormKind.Batch && !spec.Training)
            {
                // Evaluation: the running statistics are constants.
                long[] column = ChannelShape(shape);
                xhat = (x - savedMean!.View(column)) * savedRstd.View(column);
            }
            else
            {
                Tensor source = x;
                int[] dims;
                if (spec.Kind == NormKind.Group)
                {
                    source = x.Reshape(shape[0], spec.Groups, -1);
                    dims = [2];
                }
                else if (spec.Kind == NormKind.Batch)
                {
                    dims = Enumerable.Range(0, n).Where(d => d != 1).ToArray();
                }
                else
                {
                    dims = Enumerable.Range(n - spec.NormalizedShape.Length, spec.NormalizedShape.Length).ToArray();
                }
                Tensor centered, meanSq;
                if (spec.Kind == NormKind.Rms)
                {
                    centered = source;
                    meanSq = (source * source).Mean(dims, keepdim: true);
                }
                else
                {
                    centered = source - source.Mean(dims, keepdim: true);
                    meanSq = (centered * centered).Mean(dims, keepdim: true);
                }
                Tensor rstd = ((meanSq + spec.Eps).Log() * -0.5).Exp();
                xhat = centered * rstd;
                if (spec.Kind == NormKind.Group)
                    xhat = xhat.Reshape(shape);
            }
            bool perChannel = spec.Kind is NormKind.Batch or NormKind.Group;
            if (w is not null)
                xhat = xhat * (perChannel ? w.View(ChannelShape(shape)) : w);
            if (b is not null)
                xhat = xhat + (perChannel ? b.View(ChannelShape(shape)) : b);
            return xhat;
        }

        // (1, C, 1, ...): a per-channel vector that broadcasts against (N, C, *).
        private static long[] ChannelShape(long[] shape)
        {
            long[] column = new long[shape.Length];
            Array.Fill(column, 1L);
            column[1] = shape[1];
            return column;
        }

        internal override void ReleaseSaved()
        {
            Input?.Release();
            Weight?.Release();
            Bias?.Release();
            Mean?.Release();
            Rstd?.Release();
        }
    }
}
