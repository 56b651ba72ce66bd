using Ember.Interop;

namespace Ember;

/// <summary>
/// Neural-network functions (<c>torch.nn.functional</c>; write <c>using F = Ember.Functional;</c>). Each runs
/// a native forward kernel and, when an input requires grad, records a node whose backward runs the
/// matching native backward kernel (and, under createGraph, differentiable ops, so that gradients of
/// gradients work).
/// </summary>
public static unsafe partial class Functional
{
    /// <summary>max(x, 0) elementwise (<c>F.relu</c>).</summary>
    public static Tensor Relu(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ember_tensor r;
        Tensor result = Tensor.Wrap(NativeMethods.ember_relu(input.Handle, &r), r, input);
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new ReluBackward { Next = [Autograd.EdgeOf(input)] };
        Autograd.SetHistory(result, node);
        node.Result = SavedTensor.Of(result);
        return result;
    }

    /// <summary>The gradient of threshold at <paramref name="threshold"/> (<c>aten.threshold_backward</c>), as a differentiable op.</summary>
    internal static Tensor ThresholdBackward(Tensor grad, Tensor input, double threshold)
    {
        ember_tensor r;
        Tensor result = Tensor.Wrap(NativeMethods.ember_threshold_backward(grad.Handle, input.Handle, Scalar.Of(threshold), &r), r, grad, input);
        if (!grad._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new ThresholdBackwardBackward(threshold) { Next = [Autograd.EdgeOf(grad)], Input = SavedTensor.Of(input) };
        return Autograd.SetHistory(result, node);
    }

    private sealed class ReluBackward : Autograd.Node
    {
        public SavedTensor? Result;

        public override string Name => "ReluBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads) => [ThresholdBackward(grads[0]!, Result!.Unpack(this), 0)];

        internal override void ReleaseSaved() => Result?.Release();
    }

    // threshold_backward is linear in the gradient: its own gradient is the same mask applied again.
    private sealed class ThresholdBackwardBackward(double threshold) : Autograd.Node
    {
        public SavedTensor? Input;

        public override string Name => "ThresholdBackwardBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads) => [ThresholdBackward(grads[0]!, Input!.Unpack(this), threshold)];

        internal override void ReleaseSaved() => Input?.Release();
    }

    // ---- helpers ----

    /// <summary>A (h, w) pair from 0 (the default), 1 (both) or 2 values.</summary>
    private static (long H, long W) Pair(ReadOnlySpan<long> values, long fallback, string name, string op) => values.Length switch
    {
        0 => (fallback, fallback),
        1 => (values[0], values[0]),
        2 => (values[0], values[1]),
        _ => throw new ArgumentException($"Functional.{op}: {name} takes 1 or 2 values (height, width), but got {values.Length}", name),
    };

    /// <summary>PyTorch's reduction names ("none", "mean", "sum").</summary>
    private static ember_reduction ParseReduction(string reduction, string op) => reduction switch
    {
        "none" => ember_reduction.EMBER_REDUCTION_NONE,
        "mean" => ember_reduction.EMBER_REDUCTION_MEAN,
        "sum" => ember_reduction.EMBER_REDUCTION_SUM,
        _ => throw new ArgumentException($"Functional.{op}: {reduction} is not a valid value for reduction (expected \"none\", \"mean\" or \"sum\")", nameof(reduction)),
    };

    /// <summary>Checks the status of a native call with several tensor inputs and outputs, keeping the inputs alive through it.</summary>
    private static void Check(ember_status status, Tensor a, Tensor? b = null, Tensor? c = null, Tensor? d = null)
    {
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(c);
        GC.KeepAlive(d);
        Errors.Check(status);
    }

    private static ember_tensor HandleOf(Tensor? t) => t is null ? default : t.Handle;

    private static Tensor? WrapOptional(ember_tensor t) => t.Handle == 0 ? null : new Tensor(t);

    /// <summary>The max(dim) values' history: the gradient goes to the position of each maximum.</summary>
    internal static Tensor RecordMaxDim(Tensor values, Tensor indices, Tensor input, int dim, bool keepdim)
    {
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return values;
        long[] shape = input.ShapeArray;
        var node = new MaxBackward(shape, shape.Length == 0 ? 0 : Tensor.NormalizeDim(dim, shape.Length), keepdim)
        {
            Next = [Autograd.EdgeOf(input)],
            Indices = SavedTensor.Of(indices),
        };
        return Autograd.SetHistory(values, node);
    }

    private sealed class MaxBackward(long[] inputShape, int dim, bool keepdim) : Autograd.Node
    {
        public SavedTensor? Indices;

        public override string Name => "MaxBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor g = grads[0]!;
            if (inputShape.Length == 0)
                return [g];
            Tensor indices = Indices!.Unpack(this);
            using Tensor? gk = keepdim ? null : g.Unsqueeze(dim);
            using Tensor? ik = keepdim ? null : indices.Unsqueeze(dim);
            // mask[..., j, ...] = (j == index of the maximum): the positions along dim as a column that broadcasts.
            long[] positionsShape = new long[inputShape.Length];
            Array.Fill(positionsShape, 1L);
            positionsShape[dim] = inputShape[dim];
            using Tensor positions = Torch.Arange(inputShape[dim], DType.Int64, indices.Device);
            using Tensor column = positions.View(positionsShape);
            using Tensor hit = (ik ?? indices).Eq(column);
            using Tensor mask = hit.To(g.DType);
            return [(gk ?? g) * mask];
        }

        internal override void ReleaseSaved() => Indices?.Release();
    }
}
