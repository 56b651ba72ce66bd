using System.Diagnostics;
using Ember.Interop;

namespace Ember;

public static partial class Autograd
{
    /// <summary>
    /// A function of the backward graph (<c>torch.autograd.graph.Node</c>, what <see cref="Tensor.GradFn"/>
    /// returns): it turns the gradients of an op's outputs into the gradients of its inputs, and
    /// <see cref="NextFunctions"/> leads to the nodes of those inputs.
    /// </summary>
    public abstract class Node
    {
        private HookList<Func<Tensor, Tensor?>>?[]? _preHooks;
        private AutogradMeta?[]? _retainGrad;

        /// <summary>Creates a node; under <see cref="DetectAnomaly"/> it remembers where it was created.</summary>
        private protected Node()
        {
            if (Anomaly.IsEnabled)
                CreationTrace = new StackTrace(2, true).ToString();
        }

        /// <summary>The name, e.g. <c>AddBackward0</c> (<c>type(grad_fn).__name__</c>).</summary>
        public abstract string Name { get; }

        /// <summary>For each input of the op: the node that receives its gradient and which of that node's slots (<c>grad_fn.next_functions</c>).</summary>
        public IReadOnlyList<(Node? Function, int InputNr)> NextFunctions => Array.ConvertAll(Next, e => (e.Node, e.InputNr));

        /// <summary>Where the node was created, when it was created under <see cref="DetectAnomaly"/>; else null.</summary>
        public string? CreationTrace { get; }

        /// <summary>The name.</summary>
        public override string ToString() => Name;

        /// <summary>Edges to the nodes of the op's inputs, one per input (an invalid edge for an input without grad).</summary>
        internal Edge[] Next = [];

        /// <summary>The engine run that holds this node now, and the node's task in it (see Engine.RunState).</summary>
        internal object? RunOwner;

        internal object? RunTask;

        /// <summary>Number of outputs of the op, i.e. of gradients the node takes.</summary>
        internal virtual int NumOutputs => 1;

        /// <summary>
        /// Computes the gradients of the op's inputs from those of its outputs (null means zero). It may
        /// return an incoming gradient object itself (or the same object twice) and must not dispose the
        /// incoming gradients; everything else it returns is new and belongs to the caller. It may take
        /// ownership of an incoming gradient by setting its slot to null.
        /// </summary>
        internal abstract Tensor?[] Apply(Tensor?[] grads);

        /// <summary>True when the node overrides <see cref="ApplyInto"/>.</summary>
        internal virtual bool AccumulatesInto => false;

        /// <summary>
        /// <see cref="Apply"/> that may add an input's gradient straight into a leaf's <see cref="Tensor.Grad"/>
        /// (one fused in-place op instead of a new gradient tensor and an add): <paramref name="into"/>[i] is the
        /// accumulator of input i where the engine allows that. The node leaves into[i] set and returns null for
        /// an input it added through <see cref="GradAccumulator.TryAccumulate"/>, and clears into[i] for the others.
        /// </summary>
        internal virtual Tensor?[] ApplyInto(Tensor?[] grads, GradAccumulator?[] into)
        {
            Array.Clear(into);
            return Apply(grads);
        }

        /// <summary>Frees what the node saved for backward (after a backward without retainGraph).</summary>
        internal virtual void ReleaseSaved() { }

        internal bool NeedsGrad(int input) => Next[input].Node is not null;

        internal RemovableHandle AddTensorPreHook(int output, Func<Tensor, Tensor?> hook)
        {
            HookList<Func<Tensor, Tensor?>>? list;
            lock (this)
            {
                _preHooks ??= new HookList<Func<Tensor, Tensor?>>?[NumOutputs];
                list = _preHooks[output] ??= new HookList<Func<Tensor, Tensor?>>();
            }
            return list.Add(hook);
        }

        internal void SetRetainGrad(int output, AutogradMeta? meta)
        {
            lock (this)
            {
                _retainGrad ??= new AutogradMeta?[NumOutputs];
                _retainGrad[output] = meta;
            }
        }

        internal bool HasPreHooks => _preHooks is not null || _retainGrad is not null;

        /// <summary>Runs the tensor hooks on the gradient of each output, then stores retained gradients.</summary>
        internal void RunPreHooks(Tensor?[] grads)
        {
            if (_preHooks is { } hooks)
            {
                for (int i = 0; i < hooks.Length; i++)
                    if (hooks[i] is { } list && grads[i] is not null)
                        grads[i] = Hooks.Run(list, grads[i]!);
            }
            if (_retainGrad is { } retain)
            {
                for (int i = 0; i < retain.Length; i++)
                    if (retain[i] is { } meta && grads[i] is { } g)
                        Hooks.Retain(meta, g);
            }
        }
    }

    /// <summary>The node at a leaf that requires grad: adds the incoming gradient into the leaf's <see cref="Tensor.Grad"/>.</summary>
    internal sealed class GradAccumulator(AutogradMeta leaf, long[] shape, DType dtype) : Node
    {
        public override string Name => "AccumulateGrad";

        internal AutogradMeta Leaf { get; } = leaf;

        internal long[] Shape { get; } = shape;

        internal DType DType { get; } = dtype;

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor g = grads[0]!;
            grads[0] = null; // ownership moves here
            Accumulate(g);
            return [];
        }

        /// <summary>Adds <paramref name="g"/> (owned by this call) into the leaf's gradient, then runs the post-accumulate hooks.</summary>
        internal void Accumulate(Tensor g)
        {
            if (Leaf.LeafHooks is { } hooks)
                g = Hooks.Run(hooks, g);
            g = Grads.Validate(g, Shape, DType, this);
            Leaf.EnterGrad();
            try
            {
                Tensor? old = Leaf.Grad;
                if (old is null)
                {
                    // The stored gradient must own its elements: a later backward adds into it in place.
                    Tensor stored = Grads.IsExclusive(g) ? g : g.Clone();
                    if (!ReferenceEquals(stored, g))
                        g.Dispose();
                    Leaf.Grad = stored.DetachFromScope();
                }
                else if (!GradMode.IsEnabled)
                {
                    old.Add_(g);
                    g.Dispose();
                }
                else
                {
                    // createGraph: the sum is a new differentiable tensor; the old gradient stays valid for whoever holds it.
                    Leaf.Grad = (old + g).DetachFromScope();
                    g.Dispose();
                }
            }
            finally
            {
                Leaf.ExitGrad();
            }
            RunPostHooks();
        }

        /// <summary>The post-accumulate hooks; the engine calls it itself when every gradient of the run was added through <see cref="TryAccumulate"/>.</summary>
        internal void RunPostHooks()
        {
            if (Leaf.PostAccumulateHooks is { } post)
                foreach (Action hook in post.Snapshot)
                    hook();
        }

        /// <summary>
        /// Whether a producer may add into the leaf's gradient in place now: it exists, and no hook has to see
        /// the incoming gradient first. The engine asks only outside createGraph and anomaly mode.
        /// </summary>
        internal bool CanAccumulateInPlace =>
            Leaf.Grad is not null && (Leaf.LeafHooks is null || Leaf.LeafHooks.Snapshot.Length == 0) && !HasPreHooks;

        /// <summary>
        /// <see cref="CanAccumulateInPlace"/> with no post-accumulate hooks either: the leaf's gradients may be added
        /// one by one as they arrive, with nothing to run once they are all in (the engine gives such a leaf no task).
        /// </summary>
        internal bool IsDirect => CanAccumulateInPlace && (Leaf.PostAccumulateHooks is null || Leaf.PostAccumulateHooks.Snapshot.Length == 0);

        /// <summary>
        /// Adds <paramref name="g"/> (times <paramref name="factor"/> when given, negated with <paramref name="negate"/>)
        /// into the leaf's gradient in place, as <see cref="Apply"/> would add it, when everything has the leaf's
        /// shape and dtype; returns false, changing nothing, when it cannot (the caller then returns the gradient).
        /// </summary>
        internal bool TryAccumulate(Tensor g, Tensor? factor = null, bool negate = false)
        {
            if (!SameLayout(g) || (factor is not null && !SameLayout(factor)))
                return false;
            Leaf.EnterGrad();
            try
            {
                // (An inference tensor as Grad takes the ordinary path, whose in-place add refuses it.)
                if (Leaf.Grad is not { IsDisposed: false } old || !SameLayout(old) || old._requiresGrad || old._inference
                    || (Leaf.LeafHooks is { } hooks && hooks.Snapshot.Length != 0))
                    return false;
                // The engine's own in-place add: no autograd checks to make (grad mode is off, old is a plain tensor).
                ember_status status = factor is null
                    ? (negate ? NativeMethods.ember_sub_(old.Handle, g.Handle) : NativeMethods.ember_add_(old.Handle, g.Handle))
                    : NativeMethods.ember_addcmul_(old.Handle, g.Handle, factor.Handle, Scalar.Of(negate ? -1L : 1L));
                GC.KeepAlive(factor);
                Tensor.Check(status, old, g);
            }
            finally
            {
                Leaf.ExitGrad();
            }
            return true;
        }

        /// <summary>
        /// The leaf's gradient, locked, when a fused backward kernel may add this leaf's gradient into it in place (as
        /// <see cref="TryAccumulate"/> would, and contiguous); otherwise null, with nothing locked. A non-null result
        /// must be released with <see cref="EndInPlace"/>.
        /// </summary>
        internal Tensor? BeginInPlace()
        {
            Leaf.EnterGrad();
            if (Leaf.Grad is { IsDisposed: false } old && SameLayout(old) && !old._requiresGrad && !old._inference && old.IsContiguous
                && (Leaf.LeafHooks is not { } hooks || hooks.Snapshot.Length == 0))
                return old;
            Leaf.ExitGrad();
            return null;
        }

        /// <summary>Releases the gradient <see cref="BeginInPlace"/> handed out.</summary>
        internal void EndInPlace() => Leaf.ExitGrad();

        private bool SameLayout(Tensor t) => t.DType == DType && Grads.SameShape(t.ShapeArray, Shape);
    }

    /// <summary>An edge of the graph: the node that gets a gradient and the slot it goes to.</summary>
    internal readonly record struct Edge(Node? Node, int InputNr);
}
