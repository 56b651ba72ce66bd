namespace Ember;

/// <summary>Helpers of backward formulas: reducing broadcast gradients, casts, validation, ownership.</summary>
internal static class Grads
{
    /// <summary>
    /// Sums <paramref name="g"/> down to <paramref name="shape"/> (undoing broadcasting) and casts it to
    /// <paramref name="dtype"/>. Returns <paramref name="g"/> itself when nothing changes; when
    /// <paramref name="owned"/>, a <paramref name="g"/> that was replaced is disposed.
    /// </summary>
    public static Tensor ToInput(Tensor g, bool owned, long[] shape, DType dtype)
    {
        Tensor r = SumTo(g, shape);
        if (r.DType != dtype)
        {
            Tensor cast = r.To(dtype);
            if (!ReferenceEquals(r, g))
                r.Dispose();
            r = cast;
        }
        if (owned && !ReferenceEquals(r, g))
            g.Dispose();
        return r;
    }

    /// <summary>True when a binary op's inputs had the same shape and dtype: their gradients need no reduction or cast.</summary>
    public static bool SameLayout(long[] aShape, DType aType, long[] bShape, DType bType) => aType == bType && SameShape(aShape, bShape);

    /// <summary>
    /// Shape equality for the autograd paths every op takes: results of recorded ops often share their input's shape
    /// array, and shapes are short, so this beats the general span compare (its call and length set-up) here.
    /// </summary>
    public static bool SameShape(long[] a, long[] b)
    {
        if (ReferenceEquals(a, b))
            return true;
        if (a.Length != b.Length)
            return false;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
                return false;
        }
        return true;
    }

    /// <summary>The sum of <paramref name="g"/> over the dims broadcasting added or stretched, so that it has <paramref name="shape"/>; g itself when it already has.</summary>
    public static Tensor SumTo(Tensor g, long[] shape)
    {
        long[] gs = g.ShapeArray;
        if (SameShape(gs, shape))
            return g;
        int lead = gs.Length - shape.Length;
        if (lead < 0)
            throw new AutogradException($"internal: cannot reduce a gradient of shape {g.Shape} to shape {new Size(shape)}");
        Span<int> dims = stackalloc int[gs.Length];
        int n = 0;
        for (int i = 0; i < gs.Length; i++)
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1))
                dims[n++] = i;
        if (n == 0)
            return g.Reshape(shape);
        using Tensor summed = g.Sum(dims[..n], keepdim: true);
        return summed.View(shape);
    }

    /// <summary>Checks a gradient against the tensor it is for: same shape (else an error naming the node) and dtype (cast when it differs).</summary>
    public static Tensor Validate(Tensor g, long[] shape, DType dtype, Autograd.Node node)
    {
        if (!SameShape(g.ShapeArray, shape))
        {
            string got = g.Shape.ToString();
            g.Dispose();
            throw new AutogradException($"Function {node.Name} returned an invalid gradient - got shape {got} but expected shape {new Size(shape)}");
        }
        if (g.DType == dtype)
            return g;
        Tensor cast = g.To(dtype);
        g.Dispose();
        return cast;
    }

    /// <summary>True when autograd knows that no other tensor shares <paramref name="g"/>'s elements, so it may be stored and added into in place.</summary>
    public static bool IsExclusive(Tensor g) => g._viewBase is null && g.IsContiguous;

    /// <summary>
    /// Makes the results of <see cref="Autograd.Node.Apply"/> distinct objects the caller owns, and disposes
    /// the incoming gradients that are not passed on. A result that is an incoming gradient is taken over
    /// as it is; a second occurrence of an object becomes a new reference marked shared.
    /// </summary>
    public static void TakeOver(Tensor?[] incoming, Tensor?[] results)
    {
        for (int i = 0; i < results.Length; i++)
        {
            Tensor? r = results[i];
            if (r is null)
                continue;
            for (int j = 0; j < i; j++)
            {
                if (ReferenceEquals(results[j], r))
                {
                    results[i] = r.SharedRef();
                    break;
                }
            }
        }
        foreach (Tensor? g in incoming)
        {
            if (g is not null && !Contains(results, g))
                g.Dispose();
        }
    }

    // By reference (Array.IndexOf goes through the default equality comparer).
    private static bool Contains(Tensor?[] results, Tensor g)
    {
        foreach (Tensor? r in results)
        {
            if (ReferenceEquals(r, g))
                return true;
        }
        return false;
    }
}

/// <summary>Running tensor hooks and retaining gradients.</summary>
internal static class Hooks
{
    /// <summary>Runs <paramref name="hooks"/> on <paramref name="g"/> (owned by the engine); returns the gradient to go on with, also owned by the engine.</summary>
    public static Tensor Run(HookList<Func<Tensor, Tensor?>> hooks, Tensor g)
    {
        foreach (Func<Tensor, Tensor?> hook in hooks.Snapshot)
        {
            // The hook gets its own reference: it may keep or dispose it without touching the engine's.
            Tensor arg = g.SharedRef();
            Tensor? replacement = hook(arg);
            if (replacement is null || ReferenceEquals(replacement, arg))
                continue;
            Tensor next = replacement.SharedRef();
            g.Dispose();
            g = next;
        }
        return g;
    }

    /// <summary>Stores (or adds) a non-leaf's gradient into its <see cref="Tensor.Grad"/> for <see cref="Tensor.RetainGrad"/>.</summary>
    public static void Retain(AutogradMeta meta, Tensor g)
    {
        meta.EnterGrad();
        try
        {
            Tensor? old = meta.Grad;
            if (old is null)
                meta.Grad = g.Clone().DetachFromScope();
            else if (!GradMode.IsEnabled)
                old.Add_(g);
            else
                meta.Grad = (old + g).DetachFromScope();
        }
        finally
        {
            meta.ExitGrad();
        }
    }
}
