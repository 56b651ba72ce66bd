namespace Ember;

/// <summary>
/// Define-by-run automatic differentiation (<c>torch.autograd</c>). Ops on tensors that require grad
/// record a graph of <see cref="Node"/>s; <see cref="Tensor.Backward"/> and <see cref="Grad(IReadOnlyList{Tensor}, IReadOnlyList{Tensor}, IReadOnlyList{Tensor?}?, bool?, bool, bool)"/>
/// walk it in reverse. See docs/autograd.md.
/// </summary>
public static partial class Autograd
{
    /// <summary>
    /// Computes the gradients of <paramref name="tensors"/> with respect to the graph's leaves and adds
    /// them into the leaves' <see cref="Tensor.Grad"/> (<c>torch.autograd.backward</c>).
    /// </summary>
    /// <param name="tensors">The tensors to differentiate.</param>
    /// <param name="gradTensors">The gradient with respect to each tensor; null (or a null entry) means ones for a one-element tensor.</param>
    /// <param name="retainGraph">Keep the saved tensors for another backward; defaults to <paramref name="createGraph"/>.</param>
    /// <param name="createGraph">Record the backward so that its results can be differentiated.</param>
    /// <exception cref="AutogradException">A tensor does not require grad, or the graph was already freed.</exception>
    public static void Backward(IReadOnlyList<Tensor> tensors, IReadOnlyList<Tensor?>? gradTensors = null, bool? retainGraph = null, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (gradTensors is null && tensors.Count == 1 && !createGraph && TryBackwardOfFullReduction(tensors[0], retainGraph))
            return;
        (Edge[] roots, Tensor[] grads) = Roots(tensors, gradTensors, "Backward");
        Engine.Run(roots, grads, retainGraph ?? createGraph, createGraph, captures: null);
    }

    /// <summary>
    /// y.Sum().Backward() and y.Mean().Backward() without createGraph: the gradient of y is ones (or 1/n), made
    /// directly rather than as a 0-d one expanded by the reduction's node (which saves nothing and has no hooks).
    /// Returns false, doing nothing, when <paramref name="root"/> is not such a reduction.
    /// </summary>
    internal static bool TryBackwardOfFullReduction(Tensor? root, bool? retainGraph)
    {
        if (root is not { _autograd.GradFn: ReduceBackward { IsFull: true, HasPreHooks: false } reduce } || reduce.Next[0].Node is null
            || Anomaly.IsEnabled)
            return false;
        AutogradThread thread = AutogradThread.Current;
        Engine.Run(reduce.Next[0], reduce.GradientOfOne(thread, root.Device), retainGraph ?? false, thread);
        return true;
    }

    /// <summary>
    /// The gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, returned
    /// rather than accumulated: no <see cref="Tensor.Grad"/> changes (<c>torch.autograd.grad</c>).
    /// </summary>
    /// <param name="outputs">The tensors to differentiate.</param>
    /// <param name="inputs">The tensors to differentiate with respect to; each must require grad.</param>
    /// <param name="gradOutputs">The gradient with respect to each output; null entries mean ones for one-element outputs.</param>
    /// <param name="retainGraph">Keep the saved tensors for another backward; defaults to <paramref name="createGraph"/>.</param>
    /// <param name="createGraph">Record the backward so that the gradients can be differentiated again.</param>
    /// <param name="allowUnused">Give null for an input the outputs do not depend on, instead of throwing.</param>
    /// <returns>One gradient per input, in order (null only for unused inputs with <paramref name="allowUnused"/>).</returns>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? gradOutputs = null,
        bool? retainGraph = null, bool createGraph = false, bool allowUnused = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        (Edge[] roots, Tensor[] grads) = Roots(outputs, gradOutputs, "Grad");
        var captures = new Edge[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            Tensor input = inputs[i] ?? throw new ArgumentNullException(nameof(inputs), $"Autograd.Grad: input {i} is null");
            if (!input._requiresGrad)
                throw new AutogradException($"Autograd.Grad: input {i} does not require grad (One of the differentiated Tensors does not require grad)");
            captures[i] = EdgeOf(input);
        }
        Tensor?[] result = Engine.Run(roots, grads, retainGraph ?? createGraph, createGraph, captures)!;
        if (!allowUnused)
        {
            for (int i = 0; i < result.Length; i++)
            {
                if (result[i] is null)
                {
                    foreach (Tensor? r in result)
                        r?.Dispose();
                    throw new AutogradException(
                        $"Autograd.Grad: input {i} appears to not have been used in the graph (One of the differentiated Tensors appears to not have been used in the graph). " +
                        "Pass allowUnused: true if this is the desired behavior.");
                }
            }
        }
        return result;
    }

    /// <summary>The gradient of <paramref name="output"/> with respect to <paramref name="input"/> (<c>torch.autograd.grad</c> for one of each).</summary>
    /// <exception cref="AutogradException"><paramref name="output"/> does not depend on <paramref name="input"/>, or either does not require grad.</exception>
    public static Tensor Grad(Tensor output, Tensor input, Tensor? gradOutput = null, bool? retainGraph = null, bool createGraph = false) =>
        Grad([output], [input], [gradOutput], retainGraph, createGraph, allowUnused: false)[0]!;

    private static (Edge[] Roots, Tensor[] Grads) Roots(IReadOnlyList<Tensor> tensors, IReadOnlyList<Tensor?>? grads, string caller)
    {
        if (grads is not null && grads.Count != tensors.Count)
            throw new ArgumentException($"Autograd.{caller}: got {tensors.Count} tensors but {grads.Count} gradients");
        var roots = new Edge[tensors.Count];
        var seeds = new Tensor[tensors.Count];
        try
        {
            for (int i = 0; i < tensors.Count; i++)
            {
                Tensor t = tensors[i] ?? throw new ArgumentNullException(nameof(tensors), $"Autograd.{caller}: tensor {i} is null");
                if (!t._requiresGrad)
                    throw new AutogradException($"element {i} of tensors does not require grad and does not have a GradFn (Autograd.{caller})");
                Tensor? g = grads?[i];
                if (g is null)
                {
                    if (t.NumEl != 1)
                        throw new AutogradException(
                            $"Autograd.{caller}: a gradient can be implicitly created only for outputs of one element, but tensor {i} has shape {t.Shape}; pass the gradient");
                    // Autograd.Grad may hand a seed back as a result: only Backward shares the cached one.
                    seeds[i] = caller == "Backward"
                        ? Seeds.Filled(t.ShapeArray, t.DType, t.Device, 1.0)
                        : Torch.Ones(t.ShapeArray, t.DType, t.Device).KnownLayout(t.ShapeArray, t.DType);
                }
                else
                {
                    if (!g.ShapeArray.AsSpan().SequenceEqual(t.ShapeArray))
                        throw new ShapeMismatchException($"Autograd.{caller}: mismatch in shape: gradient {i} has shape {g.Shape} but tensor {i} has shape {t.Shape}");
                    // The engine disposes what it owns: it works on its own reference, never on the caller's object.
                    seeds[i] = g.SharedRef();
                }
                roots[i] = EdgeOf(t);
            }
        }
        catch
        {
            foreach (Tensor? s in seeds)
                s?.Dispose();
            throw;
        }
        return (roots, seeds);
    }

    /// <summary>The edge through which a gradient of <paramref name="t"/> enters the graph (invalid when it does not require grad).</summary>
    internal static Edge EdgeOf(Tensor t)
    {
        if (!t._requiresGrad)
            return default;
        AutogradMeta meta = t._autograd!;
        if (meta.View is not null)
            ViewTracking.Refresh(t, meta);
        Node? fn = meta.GradFn;
        return fn is not null ? new Edge(fn, meta.OutputNr) : new Edge(meta.Accumulator(t), 0);
    }

    /// <summary>Makes <paramref name="result"/> output <paramref name="output"/> of <paramref name="node"/>.</summary>
    internal static Tensor SetHistory(Tensor result, Node node, int output = 0)
    {
        result._autograd = new AutogradMeta { GradFn = node, OutputNr = output };
        result._requiresGrad = true;
        return result;
    }
}
