namespace Ember;

public static partial class Autograd
{
    /// <summary>
    /// A custom differentiable operation (<c>torch.autograd.Function</c>). Subclass it, compute the outputs
    /// in <see cref="Forward"/> (which runs with grad mode off) and their gradients in <see cref="Backward"/>,
    /// and call <see cref="Apply"/>. Non-tensor arguments belong in the subclass's fields. Backward may use
    /// any Ember op: under <c>createGraph</c> it is recorded, so custom functions compose with higher-order
    /// gradients.
    /// <code>
    /// sealed class Cube : Autograd.Function
    /// {
    ///     public override Tensor[] Forward(Autograd.FunctionContext ctx, Tensor[] x) { ctx.SaveForBackward(x[0]); return [x[0] * x[0] * x[0]]; }
    ///     public override Tensor?[] Backward(Autograd.FunctionContext ctx, Tensor?[] g) { var x = ctx.SavedTensors[0]; return [g[0]! * x * x * 3]; }
    /// }
    /// Tensor y = new Cube().Apply(x)[0];
    /// </code>
    /// </summary>
    public abstract class Function
    {
        /// <summary>Computes the outputs (<c>Function.forward</c>). Runs with grad mode off.</summary>
        public abstract Tensor[] Forward(FunctionContext ctx, Tensor[] inputs);

        /// <summary>
        /// Computes the gradient of each input from the gradients of the outputs (<c>Function.backward</c>):
        /// one entry per input, null for an input without gradient. Null gradients of outputs arrive as
        /// zeros unless <see cref="FunctionContext.MaterializeGrads"/> is false.
        /// </summary>
        public abstract Tensor?[] Backward(FunctionContext ctx, Tensor?[] gradOutputs);

        /// <summary>Runs the function, recording it when an input requires grad (<c>Function.apply</c>).</summary>
        public Tensor[] Apply(params Tensor[] inputs)
        {
            ArgumentNullException.ThrowIfNull(inputs);
            bool record = false;
            foreach (Tensor input in inputs)
            {
                ArgumentNullException.ThrowIfNull(input, nameof(inputs));
                record |= input._requiresGrad;
            }
            record &= GradMode.IsEnabled;
            var ctx = new FunctionContext(Array.ConvertAll(inputs, i => record && i._requiresGrad));
            Tensor[] outputs;
            using (Torch.NoGrad())
                outputs = Forward(ctx, inputs) ?? throw new InvalidOperationException($"{GetType().Name}.Forward returned null");
            for (int i = 0; i < outputs.Length; i++)
            {
                Tensor o = outputs[i] ?? throw new InvalidOperationException($"{GetType().Name}.Forward returned a null output at {i}");
                // An output must be a new tensor object: an input (or a tensor with a history) returned as is gets a new reference.
                if (Array.IndexOf(inputs, o) >= 0 || o._autograd is not null || Array.IndexOf(outputs, o) < i)
                {
                    Tensor alias = o.SharedRef();
                    alias._autograd = null;
                    alias._requiresGrad = false;
                    outputs[i] = alias;
                }
            }
            if (!record)
            {
                ctx.Discard();
                return outputs;
            }
            var node = new FunctionNode(this, ctx, outputs) { Next = Array.ConvertAll(inputs, EdgeOf) };
            for (int i = 0; i < outputs.Length; i++)
            {
                Tensor o = outputs[i];
                if (o.IsFloatingPoint && !ctx.IsNonDifferentiable(o))
                    SetHistory(o, node, i);
            }
            ctx.Seal(node);
            return outputs;
        }

        /// <summary>Runs the function when it has one output and returns it.</summary>
        /// <exception cref="InvalidOperationException">Forward returned more or fewer than one output.</exception>
        public Tensor ApplySingle(params Tensor[] inputs)
        {
            Tensor[] outputs = Apply(inputs);
            if (outputs.Length != 1)
                throw new InvalidOperationException($"{GetType().Name}.ApplySingle: Forward returned {outputs.Length} outputs; use Apply");
            return outputs[0];
        }
    }

    /// <summary>What a custom <see cref="Function"/> keeps between forward and backward (<c>ctx</c>).</summary>
    public sealed class FunctionContext
    {
        private readonly bool[] _needsInputGrad;
        private List<Tensor>? _toSave;
        private SavedTensor[]? _saved;
        private HashSet<Tensor>? _nonDifferentiable;
        private Node? _node;
        private Dictionary<string, object?>? _items;

        internal FunctionContext(bool[] needsInputGrad) => _needsInputGrad = needsInputGrad;

        /// <summary>For each input, whether its gradient is needed (<c>ctx.needs_input_grad</c>).</summary>
        public IReadOnlyList<bool> NeedsInputGrad => _needsInputGrad;

        /// <summary>Whether null output gradients reach <see cref="Function.Backward"/> as zeros (the default) (<c>ctx.set_materialize_grads</c>).</summary>
        public bool MaterializeGrads { get; set; } = true;

        /// <summary>Values of any kind to keep for backward (PyTorch's attributes set on <c>ctx</c>).</summary>
        public IDictionary<string, object?> Items => _items ??= [];

        /// <summary>
        /// Keeps tensors for backward (<c>ctx.save_for_backward</c>), inputs or outputs or others; call it once
        /// in <see cref="Function.Forward"/>. They are checked for in-place changes when read back.
        /// </summary>
        public void SaveForBackward(params Tensor[] tensors)
        {
            ArgumentNullException.ThrowIfNull(tensors);
            if (_node is not null)
                throw new InvalidOperationException("FunctionContext.SaveForBackward can only be called in Forward");
            (_toSave ??= []).AddRange(tensors);
        }

        /// <summary>The tensors given to <see cref="SaveForBackward"/> (<c>ctx.saved_tensors</c>), for use in backward.</summary>
        /// <exception cref="AutogradException">The graph was freed, or a saved tensor was modified in place.</exception>
        public IReadOnlyList<Tensor> SavedTensors
        {
            get
            {
                if (_node is null || _saved is null)
                    return _toSave is null ? [] : _toSave.ToArray();
                return Array.ConvertAll(_saved, s => s.Unpack(_node));
            }
        }

        /// <summary>Marks outputs that have no gradient (<c>ctx.mark_non_differentiable</c>), e.g. indices.</summary>
        public void MarkNonDifferentiable(params Tensor[] outputs)
        {
            ArgumentNullException.ThrowIfNull(outputs);
            _nonDifferentiable ??= new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            foreach (Tensor o in outputs)
                _nonDifferentiable.Add(o);
        }

        internal bool IsNonDifferentiable(Tensor output) => _nonDifferentiable?.Contains(output) ?? false;

        /// <summary>After forward: takes the graph's own references to the saved tensors (outputs are saved with their new history).</summary>
        internal void Seal(Node node)
        {
            _node = node;
            _saved = _toSave is null ? [] : _toSave.ConvertAll(SavedTensor.Of).ToArray();
            _toSave = null;
        }

        internal void Discard() => _toSave = null;

        internal void Release()
        {
            if (_saved is null)
                return;
            foreach (SavedTensor s in _saved)
                s.Release();
        }
    }

    /// <summary>The node of one call of a custom <see cref="Function"/>.</summary>
    private sealed class FunctionNode : Node
    {
        private readonly Function _function;
        private readonly FunctionContext _ctx;
        private readonly long[][] _outputShapes;
        private readonly DType[] _outputTypes;
        private readonly Device _device;

        public FunctionNode(Function function, FunctionContext ctx, Tensor[] outputs)
        {
            _function = function;
            _ctx = ctx;
            _outputShapes = Array.ConvertAll(outputs, o => o.ShapeArray);
            _outputTypes = Array.ConvertAll(outputs, o => o.DType);
            _device = outputs.Length > 0 ? outputs[0].Device : Device.CPU;
        }

        public override string Name => _function.GetType().Name + "Backward";

        internal override int NumOutputs => _outputShapes.Length;

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            var args = (Tensor?[])grads.Clone();
            var zeros = new List<Tensor>();
            if (_ctx.MaterializeGrads)
            {
                for (int i = 0; i < args.Length; i++)
                {
                    if (args[i] is null)
                    {
                        Tensor z = Torch.Zeros(_outputShapes[i], _outputTypes[i], _device);
                        zeros.Add(z);
                        args[i] = z;
                    }
                }
            }
            try
            {
                Tensor?[] result = _function.Backward(_ctx, args) ?? throw new InvalidOperationException($"{_function.GetType().Name}.Backward returned null");
                if (result.Length != Next.Length)
                    throw new AutogradException($"function {Name} returned an incorrect number of gradients (expected {Next.Length}, got {result.Length})");
                var outputs = new Tensor?[result.Length];
                for (int i = 0; i < result.Length; i++)
                {
                    // The user may keep what Backward returned: the engine works on its own reference (an incoming gradient passes through).
                    if (result[i] is { } r && NeedsGrad(i))
                        outputs[i] = Array.IndexOf(grads, r) >= 0 ? r : r.SharedRef();
                }
                return outputs;
            }
            finally
            {
                foreach (Tensor z in zeros)
                    z.Dispose();
            }
        }

        internal override void ReleaseSaved() => _ctx.Release();
    }
}
