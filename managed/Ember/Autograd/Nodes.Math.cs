namespace Ember;

// Backward formulas of arithmetic, unary math, reductions and matmul. Each is written with Ember ops,
// so under createGraph the backward records its own graph and can be differentiated again.

/// <summary>a + b and a - b (also their in-place forms): the gradient, reduced to each input's shape.</summary>
internal sealed class AddBackward(long[] aShape, DType aType, long[] bShape, DType bType, bool subtract) : Autograd.Node
{
    public override string Name => subtract ? "SubBackward0" : "AddBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        if (Grads.SameLayout(aShape, aType, bShape, bType))
            return [NeedsGrad(0) ? g : null, NeedsGrad(1) ? (subtract ? -g : g) : null];
        Tensor? ga = NeedsGrad(0) ? Grads.ToInput(g, false, aShape, aType) : null;
        Tensor? gb = null;
        if (NeedsGrad(1))
            gb = subtract ? Grads.ToInput(-g, true, bShape, bType) : Grads.ToInput(g, false, bShape, bType);
        return [ga, gb];
    }

    internal override bool AccumulatesInto => true;

    internal override Tensor?[] ApplyInto(Tensor?[] grads, Autograd.GradAccumulator?[] into)
    {
        Tensor g = grads[0]!;
        bool fusedA = into[0] is { } a && a.TryAccumulate(g);
        bool fusedB = into[1] is { } b && b.TryAccumulate(g, negate: subtract);
        if (!fusedA)
            into[0] = null;
        if (!fusedB)
            into[1] = null;
        if (fusedA && fusedB)
            return []; // nothing to pass on (the engine reads missing outputs as null)
        if (Grads.SameLayout(aShape, aType, bShape, bType))
            return [fusedA || !NeedsGrad(0) ? null : g, fusedB || !NeedsGrad(1) ? null : subtract ? -g : g];
        Tensor?[] result = Apply(grads);
        if (fusedA)
            DropFused(result, 0, g);
        if (fusedB)
            DropFused(result, 1, g);
        return result;
    }

    // The gradient of an input that was already added in place is not passed on (Apply computed it anyway).
    private static void DropFused(Tensor?[] result, int i, Tensor g)
    {
        if (result[i] is { } r && !ReferenceEquals(r, g) && Array.IndexOf(result, r) == i && Array.LastIndexOf(result, r) == i)
            r.Dispose();
        result[i] = null;
    }
}

/// <summary>Ops whose gradient passes through unchanged or negated: a + s, a - s, s - a, -a, and clone/alias.</summary>
internal sealed class PassBackward(string name, bool negate) : Autograd.Node
{
    public override string Name => name;

    internal override Tensor?[] Apply(Tensor?[] grads) => [negate ? -grads[0]! : grads[0]];

    internal override bool AccumulatesInto => true;

    internal override Tensor?[] ApplyInto(Tensor?[] grads, Autograd.GradAccumulator?[] into)
    {
        if (into[0]!.TryAccumulate(grads[0]!, negate: negate))
            return [];
        into[0] = null;
        return Apply(grads);
    }
}

/// <summary>a * b: grad * b and grad * a.</summary>
internal sealed class MulBackward(long[] aShape, DType aType, long[] bShape, DType bType) : Autograd.Node
{
    // Embedded rather than SavedTensor objects: a * b is recorded often enough for the two allocations to show.
    // A is saved only when b needs a gradient, B only when a does.
    public SavedSlot A, B;

    public override string Name => "MulBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        if (Grads.SameLayout(aShape, aType, bShape, bType))
        {
            return [NeedsGrad(0) ? (g * B.Unpack(this)).KnownLayout(aShape, aType) : null,
                NeedsGrad(1) ? (g * A.Unpack(this)).KnownLayout(bShape, bType) : null];
        }
        Tensor? ga = NeedsGrad(0) ? Grads.ToInput(g * B.Unpack(this), true, aShape, aType) : null;
        Tensor? gb = NeedsGrad(1) ? Grads.ToInput(g * A.Unpack(this), true, bShape, bType) : null;
        return [ga, gb];
    }

    internal override bool AccumulatesInto => true;

    // grad_a += g * b and grad_b += g * a as one addcmul_ each, when g, a and b have the leaves' shape and dtype.
    internal override Tensor?[] ApplyInto(Tensor?[] grads, Autograd.GradAccumulator?[] into)
    {
        Tensor g = grads[0]!;
        Tensor? ga = null, gb = null;
        if (into[0] is not { } accA || !accA.TryAccumulate(g, B.Unpack(this)))
        {
            into[0] = null;
            ga = NeedsGrad(0) ? Grads.ToInput(g * B.Unpack(this), true, aShape, aType) : null;
        }
        if (into[1] is not { } accB || !accB.TryAccumulate(g, A.Unpack(this)))
        {
            into[1] = null;
            gb = NeedsGrad(1) ? Grads.ToInput(g * A.Unpack(this), true, bShape, bType) : null;
        }
        return ga is null && gb is null ? [] : [ga, gb];
    }

    internal override void ReleaseSaved()
    {
        A.Release();
        B.Release();
    }
}

/// <summary>a / b: grad / b and -grad * a / b².</summary>
internal sealed class DivBackward(long[] aShape, DType aType, long[] bShape, DType bType) : Autograd.Node
{
    public SavedTensor? A, B;

    public override string Name => "DivBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor b = B!.Unpack(this);
        Tensor gOverB = g / b;
        Tensor? gb = null;
        if (NeedsGrad(1))
        {
            using Tensor t = gOverB * A!.Unpack(this);
            using Tensor q = t / b;
            gb = Grads.ToInput(-q, true, bShape, bType);
        }
        Tensor? ga = null;
        if (NeedsGrad(0))
            ga = Grads.ToInput(gOverB, true, aShape, aType);
        else
            gOverB.Dispose();
        return [ga, gb];
    }

    internal override void ReleaseSaved()
    {
        A?.Release();
        B?.Release();
    }
}

/// <summary>a * s and a / s for a number s: grad * s, grad / s.</summary>
internal sealed class ScaleBackward(string name, double scale, bool divide) : Autograd.Node
{
    public override string Name => name;

    internal override Tensor?[] Apply(Tensor?[] grads) => [divide ? grads[0]! / scale : grads[0]! * scale];
}

/// <summary>s / a for a number s: -grad * s / a².</summary>
internal sealed class RdivBackward(double numerator) : Autograd.Node
{
    public SavedTensor? A;

    public override string Name => "RdivBackward1";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor a = A!.Unpack(this);
        using Tensor t = grads[0]! * -numerator;
        using Tensor u = t / a;
        return [u / a];
    }

    internal override void ReleaseSaved() => A?.Release();
}

/// <summary>exp(a): grad * result.</summary>
internal sealed class ExpBackward : Autograd.Node
{
    public SavedTensor? Result;

    public override string Name => "ExpBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [grads[0]! * Result!.Unpack(this)];

    internal override void ReleaseSaved() => Result?.Release();
}

/// <summary>log(a): grad / a.</summary>
internal sealed class LogBackward : Autograd.Node
{
    public SavedTensor? A;

    public override string Name => "LogBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [grads[0]! / A!.Unpack(this)];

    internal override void ReleaseSaved() => A?.Release();
}

/// <summary>sum and mean over all elements or some dims: the gradient spread back over the reduced dims (divided by the count for mean).</summary>
internal sealed class ReduceBackward(string name, long[] inputShape, DType inputType, int[]? dims, bool keepdim, long count) : Autograd.Node
{
    public override string Name => name;

    /// <summary>True for a reduction over all elements to a 0-d tensor.</summary>
    internal bool IsFull => dims is null;

    /// <summary>The input's gradient when the output's is 1: ones, or 1/n for the mean.</summary>
    internal Tensor GradientOfOne(AutogradThread thread, Device device) => Seeds.Filled(thread, inputShape, inputType, device, count == 0 ? 1.0 : 1.0 / count);

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor expanded;
        if (dims is null || keepdim)
        {
            expanded = g.Expand(inputShape).KnownShape(inputShape);
        }
        else
        {
            long[] kept = (long[])inputShape.Clone();
            foreach (int d in dims)
                kept[d] = 1;
            using Tensor reshaped = g.Reshape(kept);
            expanded = reshaped.Expand(inputShape).KnownShape(inputShape);
        }
        if (count == 0)
            return [expanded];
        using (expanded)
            return [expanded / (double)count];
    }
}

/// <summary>
/// matmul with 1-d, 2-d and batched operands: grad @ bᵀ and aᵀ @ grad, computed on the 2-d-or-more forms
/// (a 1-d a is a row, a 1-d b a column) and reduced over broadcast batch dims.
/// </summary>
internal sealed class MatmulBackward(long[] aShape, DType aType, long[] bShape, DType bType) : Autograd.Node
{
    public SavedTensor? A, B;

    public override string Name => (aShape.Length, bShape.Length) switch
    {
        (1, 1) => "DotBackward0",
        (2, 1) => "MvBackward0",
        (2, 2) => "MmBackward0",
        (3, 3) when aShape[0] == bShape[0] => "BmmBackward0",
        _ => "MatmulBackward0",
    };

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        bool aVec = aShape.Length == 1, bVec = bShape.Length == 1;
        // The gradient in the 2-d-or-more form: insert the dims the vector operands dropped.
        Tensor g2 = g;
        if (aVec && bVec)
            g2 = g.Reshape(1, 1);
        else if (aVec)
            g2 = g.Unsqueeze(-2);
        else if (bVec)
            g2 = g.Unsqueeze(-1);
        try
        {
            Tensor? ga = null, gb = null;
            if (NeedsGrad(0))
            {
                Tensor b = B!.Unpack(this);
                using Tensor? column = bVec ? b.Unsqueeze(-1) : null;
                using Tensor bt = (column ?? b).MT;
                ga = ToShape(g2.MatMul(bt), aVec ? [1, aShape[0]] : aShape, aShape, aType);
            }
            if (NeedsGrad(1))
            {
                Tensor a = A!.Unpack(this);
                using Tensor? row = aVec ? a.Unsqueeze(0) : null;
                using Tensor at = (row ?? a).MT;
                gb = ToShape(at.MatMul(g2), bVec ? [bShape[0], 1] : bShape, bShape, bType);
            }
            return [ga, gb];
        }
        finally
        {
            if (!ReferenceEquals(g2, g))
                g2.Dispose();
        }
    }

    // Takes ownership of full: sums the broadcast batch dims away, then drops the dim a vector operand gained.
    private static Tensor ToShape(Tensor full, long[] twoD, long[] shape, DType dtype)
    {
        Tensor r = Grads.SumTo(full, twoD);
        if (!ReferenceEquals(r, full))
            full.Dispose();
        if (!ReferenceEquals(twoD, shape))
        {
            Tensor flat = r.Reshape(shape);
            r.Dispose();
            r = flat;
        }
        return Grads.ToInput(r, true, shape, dtype);
    }

    internal override void ReleaseSaved()
    {
        A?.Release();
        B?.Release();
    }
}
