using System.Runtime.CompilerServices;

namespace Ember;

// Recording of the elementwise math ops, activations and further reductions (Nodes.Elementwise.cs).
internal static partial class Derivatives
{
    /// <summary>A one-input op with a formula; records only when the input requires grad.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Unary(Tensor result, Tensor a, UnaryFormula formula) => a._requiresGrad ? RecordUnaryFn(result, a, formula) : result;

    /// <summary>
    /// An op of several tensor inputs; <paramref name="fn"/> gives the gradients in the broadcast shape. Tensors in
    /// <paramref name="extra"/> (a where's condition) are saved too and reach <paramref name="fn"/> after the inputs.
    /// </summary>
    public static Tensor Multi(Tensor result, Tensor[] inputs, string name, Func<Tensor, Tensor[], Tensor?, bool[], Tensor?[]> fn, bool saveResult = false,
        Tensor[]? extra = null)
    {
        bool any = false;
        foreach (Tensor t in inputs)
            any |= t._requiresGrad;
        if (!any || !GradMode.IsEnabled)
            return result;
        var node = new MultiFnBackward(name, Array.ConvertAll(inputs, t => t.ShapeArray), Array.ConvertAll(inputs, t => t.DType), fn)
        {
            Next = Array.ConvertAll(inputs, Autograd.EdgeOf),
            Inputs = Array.ConvertAll([.. inputs, .. extra ?? []], t => (SavedTensor?)SavedTensor.Of(t)),
        };
        Autograd.SetHistory(result, node);
        if (saveResult)
            node.Result = SavedTensor.Of(result);
        return result;
    }

    /// <summary>Values picked by index along <paramref name="dim"/> (max/min/median/mode over a dim, cummax/cummin).</summary>
    public static Tensor Indexed(Tensor values, Tensor indices, Tensor input, string name, int dim, bool keepdim, bool scan = false)
    {
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return values;
        long[] shape = input.ShapeArray;
        var node = new IndexedBackward(name, shape, shape.Length == 0 ? 0 : Tensor.NormalizeDim(dim, shape.Length), keepdim, scan)
        {
            Next = [Autograd.EdgeOf(input)],
            Indices = SavedTensor.Of(indices),
        };
        return Autograd.SetHistory(values, node);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordUnaryFn(Tensor result, Tensor a, UnaryFormula formula)
    {
        if (!GradMode.IsEnabled)
            return result;
        var node = new UnaryFnBackward(formula) { Next = [Autograd.EdgeOf(a)] };
        if (formula.SaveInput)
            node.Input = SavedTensor.Of(a);
        Autograd.SetHistory(result, node);
        if (formula.SaveResult)
            node.Result = SavedTensor.Of(result);
        return result;
    }

    /// <summary>
    /// A one-input op in place: refuses what autograd cannot allow, keeps a copy of the old values when the
    /// formula needs them, runs <paramref name="run"/> and records the formula as the tensor's history.
    /// </summary>
    public static Tensor UnaryInplace(Tensor self, UnaryFormula formula, string op, Action run)
    {
        if (!GradMode.IsEnabled)
        {
            run();
            return self;
        }
        var node = new UnaryFnBackward(formula) { Next = [BeginInplace(self, [], op)] };
        if (formula.SaveInput)
            node.Input = SavedTensor.Own(self.Clone());
        try
        {
            run();
        }
        catch
        {
            node.ReleaseSaved();
            throw;
        }
        FinishInplace(self, node);
        if (formula.SaveResult)
            node.Result = SavedTensor.Of(self);
        return self;
    }

    /// <summary>
    /// An op of several inputs in place on <paramref name="self"/> (inputs[0]): the old values of self are
    /// saved as a copy; the others as they are.
    /// </summary>
    public static Tensor MultiInplace(Tensor self, Tensor[] others, string name, string op, Func<Tensor, Tensor[], Tensor?, bool[], Tensor?[]> fn, Action run)
    {
        if (!GradMode.IsEnabled)
        {
            run();
            return self;
        }
        Autograd.Edge selfEdge = BeginInplace(self, others, op);
        Tensor[] inputs = [self, .. others];
        var node = new MultiFnBackward(name, Array.ConvertAll(inputs, t => t.ShapeArray), Array.ConvertAll(inputs, t => t.DType), fn)
        {
            Next = [selfEdge, .. Array.ConvertAll(others, Autograd.EdgeOf)],
            Inputs = [SavedTensor.Own(self.Clone()), .. Array.ConvertAll(others, t => (SavedTensor?)SavedTensor.Of(t))],
        };
        try
        {
            run();
        }
        catch
        {
            node.ReleaseSaved();
            throw;
        }
        return FinishInplace(self, node);
    }

    /// <summary>An in-place fill whose result does not depend on the old values (random fills): no gradient flows back.</summary>
    public static Tensor FillInplace(Tensor self, string op, Action run)
    {
        if (!GradMode.IsEnabled)
        {
            run();
            return self;
        }
        var node = new UnaryFnBackward(new UnaryFormula(op.TrimEnd('_') + "Backward0", false, false, (g, _, _) => Torch.ZerosLike(g)))
        {
            Next = [BeginInplace(self, [], op)],
        };
        run();
        return FinishInplace(self, node);
    }
}
