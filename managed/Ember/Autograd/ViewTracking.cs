namespace Ember;

/// <summary>
/// Views of tensors that require grad. A view remembers its root base's autograd state and how to rebuild
/// its backward nodes on it; an in-place op on the view rewrites the base's history (<see cref="CopySlices"/>),
/// and a view whose base changed in place gets its GradFn rebuilt on the base's new history the next
/// time it is used.
/// </summary>
internal static class ViewTracking
{
    /// <summary>
    /// Records <paramref name="result"/> as a view of <paramref name="input"/>; <paramref name="makeNode"/> creates
    /// the view op's backward node and <paramref name="replay"/> takes the same view of another tensor.
    /// </summary>
    public static Tensor RecordView(Tensor result, Tensor input, Func<Autograd.Node> makeNode, Func<Tensor, Tensor> replay)
    {
        Autograd.Node node = makeNode();
        node.Next = [Autograd.EdgeOf(input)];
        AutogradMeta inputMeta = input._autograd!;
        ViewInfo? inputView = inputMeta.View;
        Autograd.Edge Step(Autograd.Edge e)
        {
            Autograd.Node n = makeNode();
            n.Next = [e];
            return new Autograd.Edge(n, 0);
        }
        ViewInfo info = inputView is null
            ? new ViewInfo(inputMeta, input.ShapeArray, replay, Step, result.VersionCounter)
            : new ViewInfo(inputView.BaseMeta, inputView.BaseShape, Compose(inputView.Replay, replay), e => Step(inputView.Rebuild(e)), result.VersionCounter);
        result._autograd = new AutogradMeta { GradFn = node, View = info };
        result._requiresGrad = true;
        return result;
    }

    private static Func<Tensor, Tensor> Compose(Func<Tensor, Tensor> first, Func<Tensor, Tensor> second) => t =>
    {
        using Tensor mid = first(t);
        return second(mid);
    };

    /// <summary>Rebuilds the view's GradFn on its base's history when the shared version counter moved since it was set.</summary>
    public static void Refresh(Tensor view, AutogradMeta meta)
    {
        ViewInfo info = meta.View!;
        long version = view.VersionCounter;
        if (version == info.Version)
            return;
        lock (meta)
        {
            if (version == info.Version)
                return;
            Autograd.Edge edge = info.Rebuild(info.BaseEdge());
            meta.GradFn = edge.Node;
            meta.OutputNr = edge.InputNr;
            info.Version = version;
            if (meta.RetainsGrad)
                meta.GradFn!.SetRetainGrad(meta.OutputNr, meta);
        }
    }

    /// <summary>After the in-place op <paramref name="fn"/> changed <paramref name="view"/>: the base's history becomes CopySlices(fn), and the view's is rebuilt on it.</summary>
    public static void RebaseHistory(Tensor view, AutogradMeta meta, Autograd.Node fn)
    {
        ViewInfo info = meta.View!;
        var copySlices = new CopySlices(info.Replay, info.BaseShape, fn);
        Autograd.Edge[] next = (Autograd.Edge[])fn.Next.Clone();
        next[0] = info.BaseEdge();
        copySlices.Next = next;
        AutogradMeta baseMeta = info.BaseMeta;
        lock (baseMeta)
        {
            baseMeta.GradFn = copySlices;
            baseMeta.OutputNr = 0;
            if (baseMeta.RetainsGrad)
                copySlices.SetRetainGrad(0, baseMeta);
        }
        info.Version = -1;
        Refresh(view, meta);
    }
}

/// <summary>
/// The history of a base after an in-place op on one of its views (PyTorch's <c>CopySlices</c>): the
/// gradient of the base passes through unchanged outside the view, and through the op inside it.
/// </summary>
internal sealed class CopySlices(Func<Tensor, Tensor> replay, long[] baseShape, Autograd.Node fn) : Autograd.Node
{
    public override string Name => "CopySlices";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor?[] inner;
        using (Tensor gradView = replay(g))
        {
            Tensor viewCopy = gradView.Clone();
            inner = fn.Apply([viewCopy]);
            if (Array.IndexOf(inner, viewCopy) < 0)
                viewCopy.Dispose();
        }
        Tensor? first = inner.Length > 0 ? inner[0] : null;
        var outputs = new Tensor?[Next.Length];
        for (int i = 1; i < outputs.Length && i < inner.Length; i++)
            outputs[i] = inner[i];
        outputs[0] = GradOfBase(g, first);
        if (first is not null && Array.IndexOf(outputs, first) < 0)
            first.Dispose();
        return outputs;
    }

    // The base's gradient: g outside the view, and the op's input gradient (or zero) inside it.
    private Tensor GradOfBase(Tensor g, Tensor? inside)
    {
        if (!GradMode.IsEnabled)
        {
            Tensor result = g.Clone();
            using Tensor region = replay(result);
            if (inside is not null)
            {
                region.Copy_(inside);
            }
            else
            {
                using Tensor zeros = Torch.ZerosLike(region);
                region.Copy_(zeros);
            }
            return result;
        }
        // createGraph: the same as out-of-place ops, g * (1 - mask) + the inside placed into zeros, so that
        // the gradient of the result reaches both g and the op's gradient.
        using Tensor mask = Embed.View(null, baseShape, g.DType, g.Device, replay);
        using Tensor keep = 1.0 - mask;
        Tensor outside = g * keep;
        if (inside is null)
            return outside;
        using (outside)
        using (Tensor placed = Embed.View(inside, baseShape, g.DType, g.Device, replay))
            return outside + placed;
    }

    internal override void ReleaseSaved() => fn.ReleaseSaved();
}
