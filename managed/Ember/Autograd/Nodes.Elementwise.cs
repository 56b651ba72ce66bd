namespace Ember;

// Backward formulas of the elementwise math ops, activations and the reductions beyond sum/mean.
// Each formula is written with Ember ops inside a scope (its temporaries are disposed on return), so
// under createGraph the backward records its own graph and can be differentiated again.

/// <summary>
/// The gradient formula of a one-input op: <c>Fn(grad, input, result)</c>; input and result are null
/// unless <see cref="SaveInput"/> / <see cref="SaveResult"/> ask for them.
/// </summary>
internal sealed record UnaryFormula(string Name, bool SaveInput, bool SaveResult, Func<Tensor, Tensor?, Tensor?, Tensor> Fn);

/// <summary>A one-input op with a formula from <see cref="UnaryFormula"/>.</summary>
internal sealed class UnaryFnBackward(UnaryFormula formula) : Autograd.Node
{
    public SavedTensor? Input, Result;

    public override string Name => formula.Name;

    internal override Tensor?[] Apply(Tensor?[] grads) =>
        [Scoped.Run(() => formula.Fn(grads[0]!, Input?.Unpack(this), Result?.Unpack(this)))];

    internal override void ReleaseSaved()
    {
        Input?.Release();
        Result?.Release();
    }
}

/// <summary>
/// An op of several tensor inputs (broadcast together): <c>Fn(grad, inputs, result)</c> returns one
/// gradient per input in the broadcast shape (null where none is needed); they are reduced to each
/// input's shape and dtype.
/// </summary>
internal sealed class MultiFnBackward(string name, long[][] shapes, DType[] dtypes, Func<Tensor, Tensor[], Tensor?, bool[], Tensor?[]> fn) : Autograd.Node
{
    public SavedTensor?[] Inputs = [];
    public SavedTensor? Result;

    public override string Name => name;

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        var needs = new bool[shapes.Length];
        for (int i = 0; i < needs.Length; i++)
            needs[i] = NeedsGrad(i);
        using TensorScope scope = Torch.NewScope();
        Tensor[] inputs = Array.ConvertAll(Inputs, s => s?.Unpack(this)!);
        Tensor?[] raw = fn(grads[0]!, inputs, Result?.Unpack(this), needs);
        var result = new Tensor?[shapes.Length];
        for (int i = 0; i < result.Length; i++)
        {
            if (!needs[i] || raw[i] is null)
                continue;
            Tensor g = Grads.ToInput(raw[i]!, false, shapes[i], dtypes[i]);
            result[i] = ReferenceEquals(g, grads[0]) ? g : Scoped.Keep(scope, g);
        }
        return result;
    }

    internal override void ReleaseSaved()
    {
        foreach (SavedTensor? s in Inputs)
            s?.Release();
        Result?.Release();
    }
}

/// <summary>Runs gradient formulas in a scope of their own and keeps only the result.</summary>
internal static class Scoped
{
    public static Tensor Run(Func<Tensor> formula)
    {
        using TensorScope scope = Torch.NewScope();
        return Keep(scope, formula());
    }

    /// <summary>Takes t out of scope when the scope owns it (an incoming gradient passed on is not owned).</summary>
    public static Tensor Keep(TensorScope scope, Tensor t) => t.Scope == scope ? scope.MoveOut(t) : t;
}

/// <summary>
/// Values chosen by index along a dim (max/min/median/mode over a dim, cummax/cummin): the gradient goes
/// to the chosen positions. <c>indices</c> has the result's shape (keepdim when <paramref name="keepdim"/>).
/// </summary>
internal sealed class IndexedBackward(string name, long[] inputShape, int dim, bool keepdim, bool scan) : Autograd.Node
{
    public SavedTensor? Indices;

    public override string Name => name;

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        if (inputShape.Length == 0)
            return [g];
        return [Scoped.Run(() => Spread(g, Indices!.Unpack(this)))];
    }

    // grad_x[.., j, ..] = sum over result positions i with index i == j of grad[.., i, ..].
    private Tensor Spread(Tensor g, Tensor indices)
    {
        long n = inputShape[dim];
        Tensor gk = keepdim || scan ? g : g.Unsqueeze(dim);
        Tensor ik = keepdim || scan ? indices : indices.Unsqueeze(dim);
        // positions along dim, as a tensor that broadcasts after an extra dim inserted at dim + 1.
        long[] posShape = new long[inputShape.Length + 1];
        Array.Fill(posShape, 1L);
        posShape[dim + 1] = n;
        Tensor positions = Torch.Arange(n, DType.Int64, indices.Device).View(posShape);
        Tensor hit = ik.Unsqueeze(dim + 1).Eq(positions);
        Tensor spread = gk.Unsqueeze(dim + 1) * hit.To(g.DType);
        return spread.Sum(dim);
    }

    internal override void ReleaseSaved() => Indices?.Release();
}
