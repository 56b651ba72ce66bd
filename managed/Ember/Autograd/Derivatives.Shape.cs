using System.Runtime.CompilerServices;
using Ember.Interop;

namespace Ember;

// Recording of the shape ops (Tensor.Shape.cs). Views (diagonal, movedim, meshgrid, split pieces) are
// tracked like the other views; the copies get ordinary nodes whose formulas live in Nodes.Shape.cs.
internal static unsafe partial class Derivatives
{
    public static Tensor Repeat(Tensor result, Tensor a, ReadOnlySpan<long> repeats, string name = "RepeatBackward0") =>
        a._requiresGrad ? RecordUnary(result, a, new RepeatBackward(name, a.ShapeArray, repeats.ToArray())) : result;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Tensor RepeatInterleave(Tensor result, Tensor a, Tensor? repeats, long count, int? dim)
    {
        if (!GradMode.IsEnabled)
            return result;
        long[] shape = a.ShapeArray;
        int d = dim is { } dd ? Tensor.NormalizeDim(dd, shape.Length) : 0;
        long n = dim is null ? a.NumEl : shape.Length == 0 ? 1 : shape[d];
        Tensor? index = null;
        if (repeats is not null)
        {
            using Tensor range = Torch.Arange(n, DType.Int64, a.Device);
            index = range.RepeatInterleave(repeats);
        }
        var node = new RepeatInterleaveBackward(shape, dim is null ? null : d, n, count, index is null ? null : SavedTensor.Own(index));
        return RecordUnary(result, a, node);
    }

    public static Tensor Flip(Tensor result, Tensor a, ReadOnlySpan<int> dims) =>
        a._requiresGrad ? RecordUnary(result, a, new FlipBackward(dims.ToArray())) : result;

    public static Tensor Roll(Tensor result, Tensor a, ReadOnlySpan<long> shifts, ReadOnlySpan<int> dims) =>
        a._requiresGrad ? RecordUnary(result, a, new RollBackward(shifts.ToArray(), dims.ToArray())) : result;

    public static Tensor Trilu(Tensor result, Tensor a, long k, bool upper) =>
        a._requiresGrad ? RecordUnary(result, a, new TriluBackward(k, upper)) : result;

    /// <summary>tril_ / triu_ on a tensor autograd tracks.</summary>
    public static Tensor Trilu_(Tensor self, long k, bool upper)
    {
        Autograd.Node? node = GradMode.IsEnabled ? new TriluBackward(k, upper) { Next = [BeginInplace(self, [], upper ? "Triu_" : "Tril_")] } : null;
        Tensor.Check(upper ? NativeMethods.ember_triu_(self.Handle, k) : NativeMethods.ember_tril_(self.Handle, k), self);
        return node is null ? self : FinishInplace(self, node);
    }

    public static Tensor Diagonal(Tensor result, Tensor a, long offset, int dim1, int dim2)
    {
        MarkView(result, a);
        if (!a._requiresGrad || !GradMode.IsEnabled)
            return result;
        int n = a.Dim;
        int d1 = Tensor.NormalizeDim(dim1, n), d2 = Tensor.NormalizeDim(dim2, n);
        long[] shape = a.ShapeArray;
        return ViewTracking.RecordView(result, a, () => new DiagonalBackward(shape, offset, d1, d2), t => t.Diagonal(offset, d1, d2));
    }

    public static Tensor Diag(Tensor result, Tensor a, long k) =>
        a._requiresGrad ? RecordUnary(result, a, new DiagBackward(a.ShapeArray, k)) : result;

    public static Tensor DiagEmbed(Tensor result, Tensor a, long offset, int dim1, int dim2)
    {
        if (!a._requiresGrad)
            return result;
        int n = a.Dim + 1;
        return RecordUnary(result, a, new DiagEmbedBackward(offset, Tensor.NormalizeDim(dim1, n), Tensor.NormalizeDim(dim2, n)));
    }

    /// <summary>cat, stack, hstack, vstack: input i owns a run of <paramref name="dim"/> of the result (one index when stacked).</summary>
    public static Tensor Concat(Tensor result, ReadOnlySpan<Tensor> inputs, string name, int dim, bool stacked)
    {
        bool any = false;
        foreach (Tensor t in inputs)
            any |= t._requiresGrad;
        if (!any || !GradMode.IsEnabled)
            return result;
        var shapes = new long[inputs.Length][];
        var dtypes = new DType[inputs.Length];
        var lengths = new long[inputs.Length];
        var next = new Autograd.Edge[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            Tensor t = inputs[i];
            shapes[i] = t.ShapeArray;
            dtypes[i] = t.DType;
            next[i] = Autograd.EdgeOf(t);
            if (stacked)
                lengths[i] = 1;
            else if (shapes[i].Length == 1 && shapes[i][0] == 0)
                lengths[i] = 0; // a legacy empty tensor, skipped by cat
            else if (shapes[i].Length <= dim)
                lengths[i] = 1; // a 0-d input of hstack: one element
            else
                lengths[i] = shapes[i][dim];
        }
        if (!stacked && dim == 0 && result.Dim >= 2)
        {
            // vstack: 0-d and 1-d inputs became one row each.
            for (int i = 0; i < inputs.Length; i++)
                if (shapes[i].Length < 2)
                    lengths[i] = 1;
        }
        return Autograd.SetHistory(result, new ConcatBackward(name, dim, lengths, shapes, dtypes) { Next = next });
    }

    public static Tensor Meshgrid(Tensor result, Tensor input)
    {
        MarkView(result, input);
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return result;
        long[] grid = result.ShapeArray, inputShape = input.ShapeArray;
        long[] strides = result.Strides;
        // The input's own dim is the one with a non-zero stride (or size 1 for a single element).
        var keep = new long[grid.Length];
        for (int i = 0; i < grid.Length; i++)
            keep[i] = strides[i] != 0 ? grid[i] : 1;
        return ViewTracking.RecordView(result, input, () => new MeshgridBackward(keep, inputShape), t =>
        {
            using Tensor r = t.Reshape(keep);
            return r.Expand(grid);
        });
    }

    public static Tensor Pad(Tensor result, Tensor a, long[] pads, PadMode mode) =>
        a._requiresGrad ? RecordUnary(result, a, new PadBackward(a.ShapeArray, pads, mode)) : result;

    /// <summary>pad_backward as a differentiable op: its gradient pads again.</summary>
    public static Tensor PadBackwardOp(Tensor result, Tensor g, long[] pads, PadMode mode) =>
        g._requiresGrad ? RecordUnary(result, g, new PadBackwardBackward(pads, mode)) : result;
}
