namespace Ember;

public static partial class Autograd
{
    /// <summary>
    /// Activation checkpointing (<c>torch.utils.checkpoint.checkpoint</c>): runs <paramref name="fn"/> without
    /// keeping its intermediate tensors, and runs it again during backward to get them. Gradients reach
    /// <paramref name="inputs"/> and every leaf <paramref name="fn"/> uses (its parameters). <paramref name="fn"/>
    /// must compute the same values both times: as with PyTorch's default <c>preserve_rng_state=True</c>, the
    /// recomputation replays the default generator's numbers of the first run (dropout draws the same mask), and
    /// leaves the generator where it was. Use it with
    /// <see cref="Tensor.Backward"/>; <see cref="Grad(IReadOnlyList{Tensor}, IReadOnlyList{Tensor}, IReadOnlyList{Tensor?}?, bool?, bool, bool)"/>
    /// through a checkpoint also adds the gradients of <paramref name="fn"/>'s parameters into their Grad, as PyTorch's reentrant checkpoint does.
    /// </summary>
    public static Tensor Checkpoint(Func<Tensor[], Tensor> fn, params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(fn);
        ArgumentNullException.ThrowIfNull(inputs);
        var rngState = Generator.GetRawState(default);
        Tensor output;
        using (Torch.NoGrad())
            output = fn(inputs);
        if (!GradMode.IsEnabled)
            return output;
        if (Array.IndexOf(inputs, output) >= 0)
            output = output.SharedRef();
        // The output of fn under NoGrad has no history; the checkpoint node becomes its history.
        output._autograd = null;
        output._requiresGrad = false;
        var node = new CheckpointNode(fn, Array.ConvertAll(inputs, SavedTensor.Of), Array.ConvertAll(inputs, i => i._requiresGrad), rngState)
        {
            Next = Array.ConvertAll(inputs, EdgeOf),
        };
        return SetHistory(output, node);
    }

    /// <summary>Activation checkpointing of a function of one tensor; see <see cref="Checkpoint(Func{Tensor[], Tensor}, Tensor[])"/>.</summary>
    public static Tensor Checkpoint(Func<Tensor, Tensor> fn, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return Checkpoint(x => fn(x[0]), [input]);
    }

    /// <summary>Recomputes the checkpointed function with history and runs a nested backward through it.</summary>
    private sealed class CheckpointNode(Func<Tensor[], Tensor> fn, SavedTensor[] inputs, bool[] requiresGrad, (ulong, ulong) rngState) : Node
    {
        public override string Name => "CheckpointFunctionBackward";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            var detached = new Tensor[inputs.Length];
            try
            {
                for (int i = 0; i < inputs.Length; i++)
                {
                    detached[i] = inputs[i].Unpack(this).Detach();
                    if (requiresGrad[i])
                        detached[i].RequiresGrad_();
                }
                Tensor output;
                var current = Generator.GetRawState(default);
                Generator.SetRawState(default, rngState);
                try
                {
                    using (Torch.EnableGrad())
                        output = fn(detached);
                }
                finally
                {
                    Generator.SetRawState(default, current);
                }
                using (output)
                {
                    if (output._requiresGrad)
                        Autograd.Backward([output], [grads[0]]);
                }
                var result = new Tensor?[inputs.Length];
                for (int i = 0; i < inputs.Length; i++)
                {
                    if (detached[i]._autograd is not { } meta)
                        continue;
                    // The detached inputs' gradients move out to the engine.
                    result[i] = meta.Grad;
                    meta.Grad = null;
                }
                return result;
            }
            finally
            {
                foreach (Tensor? d in detached)
                    d?.Dispose();
            }
        }

        internal override void ReleaseSaved()
        {
            foreach (SavedTensor s in inputs)
                s.Release();
        }
    }
}
