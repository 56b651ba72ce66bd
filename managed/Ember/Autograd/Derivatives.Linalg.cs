namespace Ember;

// Recording of the matrix products and torch.linalg ops (Linalg.cs); formulas in Nodes.Linalg.cs.
internal static partial class Derivatives
{
    public static Tensor Outer(Tensor result, Tensor a, Tensor b) =>
        a._requiresGrad || b._requiresGrad ? Record(result, new OuterBackward(SavedTensor.Of(a), SavedTensor.Of(b)), a, b) : result;

    public static Tensor Addmm(Tensor result, Tensor input, Tensor a, Tensor b, double beta, double alpha, Tensor.AddmmKind kind) =>
        input._requiresGrad || a._requiresGrad || b._requiresGrad
            ? Record(result, new AddmmBackward(kind, input.ShapeArray, input.DType, beta, alpha, SavedTensor.Of(a), SavedTensor.Of(b)), input, a, b)
            : result;

    public static Tensor Kron(Tensor result, Tensor a, Tensor b) =>
        a._requiresGrad || b._requiresGrad ? Record(result, new KronBackward(SavedTensor.Of(a), SavedTensor.Of(b)), a, b) : result;

    public static Tensor Trace(Tensor result, Tensor a) =>
        a._requiresGrad ? Record(result, new TraceBackward(a.ShapeArray, a.DType), a) : result;

    public static Tensor Einsum(Tensor result, string equation, ReadOnlySpan<Tensor> operands)
    {
        bool any = false;
        foreach (Tensor t in operands)
            any |= t._requiresGrad;
        if (!any || !GradMode.IsEnabled)
            return result;
        var saved = new SavedTensor[operands.Length];
        var shapes = new long[operands.Length][];
        for (int i = 0; i < operands.Length; i++)
        {
            saved[i] = SavedTensor.Of(operands[i]);
            shapes[i] = operands[i].ShapeArray;
        }
        return Record(result, new EinsumBackward(equation, shapes, saved), operands.ToArray());
    }

    public static Tensor LinalgInv(Tensor result, Tensor a)
    {
        if (!a._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new LinalgInvBackward();
        Record(result, node, a);
        node.Result = SavedTensor.Of(result);
        return result;
    }

    public static Tensor LinalgDet(Tensor result, Tensor a)
    {
        if (!a._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new LinalgDetBackward(SavedTensor.Of(a), logDet: false);
        Record(result, node, a);
        node.Result = SavedTensor.Of(result);
        return result;
    }

    public static Tensor LinalgSlogdet(Tensor logAbsDet, Tensor a) =>
        a._requiresGrad ? Record(logAbsDet, new LinalgDetBackward(SavedTensor.Of(a), logDet: true), a) : logAbsDet;

    public static Tensor LinalgSolve(Tensor result, Tensor a, Tensor b)
    {
        if (!(a._requiresGrad || b._requiresGrad) || !GradMode.IsEnabled)
            return result;
        bool vector = b.Dim == 1 || (b.Dim == a.Dim - 1 && b.ShapeArray.AsSpan().SequenceEqual(a.ShapeArray.AsSpan(0, a.Dim - 1)));
        var node = new LinalgSolveBackward(SavedTensor.Of(a), a.ShapeArray, b.ShapeArray, vector);
        Record(result, node, a, b);
        node.Result = SavedTensor.Of(result);
        return result;
    }

    public static Tensor LinalgCholesky(Tensor result, Tensor a, bool upper)
    {
        if (!a._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new LinalgCholeskyBackward(upper);
        Record(result, node, a);
        node.Result = SavedTensor.Of(result);
        return result;
    }

    public static (Tensor, Tensor) LinalgEigh(Tensor values, Tensor vectors, Tensor a)
    {
        if (!a._requiresGrad || !GradMode.IsEnabled)
            return (values, vectors);
        var node = new LinalgEighBackward { Next = [Autograd.EdgeOf(a)] };
        Autograd.SetHistory(values, node, 0);
        Autograd.SetHistory(vectors, node, 1);
        node.Values = SavedTensor.Of(values);
        node.Vectors = SavedTensor.Of(vectors);
        return (values, vectors);
    }

    public static (Tensor, Tensor) LinalgQr(Tensor q, Tensor r, Tensor a, string mode)
    {
        if (!a._requiresGrad || !GradMode.IsEnabled)
            return (q, r);
        long[] shape = a.ShapeArray;
        var node = new LinalgQrBackward(mode, shape[^2], shape[^1]) { Next = [Autograd.EdgeOf(a)] };
        Autograd.SetHistory(q, node, 0);
        Autograd.SetHistory(r, node, 1);
        node.Q = SavedTensor.Of(q);
        node.R = SavedTensor.Of(r);
        return (q, r);
    }

    public static (Tensor, Tensor, Tensor) LinalgSvd(Tensor u, Tensor s, Tensor vh, Tensor a, bool fullMatrices)
    {
        if (!a._requiresGrad || !GradMode.IsEnabled)
            return (u, s, vh);
        var node = new LinalgSvdBackward(fullMatrices) { Next = [Autograd.EdgeOf(a)] };
        Autograd.SetHistory(u, node, 0);
        Autograd.SetHistory(s, node, 1);
        Autograd.SetHistory(vh, node, 2);
        node.U = SavedTensor.Of(u);
        node.S = SavedTensor.Of(s);
        node.Vh = SavedTensor.Of(vh);
        return (u, s, vh);
    }

    public static Tensor VectorNorm(Tensor result, Tensor x, double ord, int[] dims, bool keepdim)
    {
        if (!x._requiresGrad || !GradMode.IsEnabled || ord == 0)
            return result;
        long[] shape = x.ShapeArray;
        var keep = (long[])shape.Clone();
        if (dims.Length == 0)
            Array.Fill(keep, 1L);
        if (shape.Length > 0)
        {
            foreach (int d in dims)
                keep[Tensor.NormalizeDim(d, shape.Length)] = 1;
        }
        var node = new VectorNormBackward(ord, keep, SavedTensor.Of(x));
        Record(result, node, x);
        node.Result = SavedTensor.Of(result);
        return result;
    }
}
