namespace Ember;

public static partial class Autograd
{
    /// <summary>
    /// Higher-level differentiation of functions (<c>torch.autograd.functional</c>). The function is
    /// evaluated on copies of the inputs that require grad; results are detached unless
    /// <c>createGraph</c>, in which case they can be differentiated again. An input the outputs do not
    /// depend on gets zeros.
    /// </summary>
    public static class Functional
    {
        /// <summary>The outputs of <paramref name="func"/> and the vector-Jacobian products vᵀJ with respect to each input (<c>vjp</c>); <paramref name="v"/> may be null for one-element outputs.</summary>
        public static (Tensor[] Outputs, Tensor[] Vjp) Vjp(Func<Tensor[], Tensor[]> func, Tensor[] inputs, Tensor[]? v = null, bool createGraph = false)
        {
            ArgumentNullException.ThrowIfNull(func);
            ArgumentNullException.ThrowIfNull(inputs);
            Tensor[] x = Prepare(inputs, createGraph);
            Tensor[] outputs = func(x);
            if (v is not null && v.Length != outputs.Length)
                throw new ArgumentException($"Autograd.Functional.Vjp: got {outputs.Length} outputs but {v.Length} vectors", nameof(v));
            Tensor[] grads = GradOrZeros(outputs, x, v ?? new Tensor[outputs.Length], createGraph);
            (Tensor[] o, Tensor[] g) = (Finish(outputs, createGraph), Finish(grads, createGraph));
            DisposeExcept(x, o);
            return (o, g);
        }

        /// <summary>The output of <paramref name="func"/> and vᵀJ (<c>vjp</c> for one input and one output).</summary>
        public static (Tensor Output, Tensor Vjp) Vjp(Func<Tensor, Tensor> func, Tensor input, Tensor? v = null, bool createGraph = false)
        {
            ArgumentNullException.ThrowIfNull(func);
            (Tensor[] o, Tensor[] g) = Vjp(x => [func(x[0])], [input], v is null ? null : [v], createGraph);
            return (o[0], g[0]);
        }

        /// <summary>
        /// The outputs of <paramref name="func"/> and the Jacobian-vector products J v for tangents
        /// <paramref name="v"/> shaped like the inputs (<c>jvp</c>; by the double-backward trick).
        /// </summary>
        public static (Tensor[] Outputs, Tensor[] Jvp) Jvp(Func<Tensor[], Tensor[]> func, Tensor[] inputs, Tensor[]? v = null, bool createGraph = false)
        {
            ArgumentNullException.ThrowIfNull(func);
            ArgumentNullException.ThrowIfNull(inputs);
            if (v is not null && v.Length != inputs.Length)
                throw new ArgumentException($"Autograd.Functional.Jvp: got {inputs.Length} inputs but {v.Length} tangents", nameof(v));
            Tensor[] x = Prepare(inputs, createGraph);
            Tensor[] outputs = func(x);
            // g(u) = Jᵀu is linear in u, so the gradient of <g(u), v> with respect to u is J v.
            Tensor[] u = Array.ConvertAll(outputs, o => Torch.ZerosLike(o).RequiresGrad_());
            Tensor[] g = GradOrZeros(outputs, x, u, createGraph: true);
            Tensor[] tangents = v ?? Array.ConvertAll(x, t => Torch.OnesLike(t));
            Tensor[] jvp = GradOrZeros(g, u, tangents, createGraph);
            Tensor[] o = Finish(outputs, createGraph);
            DisposeExcept(g, jvp);
            DisposeExcept(u, jvp);
            DisposeExcept(x, o);
            if (v is null)
                DisposeExcept(tangents, jvp);
            return (o, Finish(jvp, createGraph));
        }

        /// <summary>The output of <paramref name="func"/> and J v (<c>jvp</c> for one input and one output).</summary>
        public static (Tensor Output, Tensor Jvp) Jvp(Func<Tensor, Tensor> func, Tensor input, Tensor? v = null, bool createGraph = false)
        {
            ArgumentNullException.ThrowIfNull(func);
            (Tensor[] o, Tensor[] j) = Jvp(x => [func(x[0])], [input], v is null ? null : [v], createGraph);
            return (o[0], j[0]);
        }

        /// <summary>
        /// The Jacobian of <paramref name="func"/> (<c>jacobian</c>): entry [i, j] has the shape of output i followed by
        /// the shape of input j.
        /// </summary>
        public static Tensor[,] Jacobian(Func<Tensor[], Tensor[]> func, Tensor[] inputs, bool createGraph = false)
        {
            ArgumentNullException.ThrowIfNull(func);
            ArgumentNullException.ThrowIfNull(inputs);
            Tensor[] x = Prepare(inputs, createGraph);
            Tensor[] outputs = func(x);
            var result = new Tensor[outputs.Length, x.Length];
            for (int i = 0; i < outputs.Length; i++)
            {
                Tensor o = outputs[i];
                long rows = o.NumEl;
                var rowsPerInput = new Tensor[x.Length][];
                for (int j = 0; j < x.Length; j++)
                    rowsPerInput[j] = new Tensor[rows];
                for (long k = 0; k < rows; k++)
                {
                    using Tensor v = OneHot(o, k);
                    Tensor[] g = GradOrZeros([o], x, [v], createGraph, retainGraph: true);
                    for (int j = 0; j < x.Length; j++)
                        rowsPerInput[j][k] = g[j];
                }
                for (int j = 0; j < x.Length; j++)
                    result[i, j] = Stack(rowsPerInput[j], [.. o.ShapeArray, .. x[j].ShapeArray], createGraph);
            }
            foreach (Tensor o in outputs)
                o.Dispose();
            foreach (Tensor t in x)
                t.Dispose();
            return result;
        }

        /// <summary>The Jacobian of a function of one tensor: shape of the output followed by the shape of the input (<c>jacobian</c>).</summary>
        public static Tensor Jacobian(Func<Tensor, Tensor> func, Tensor input, bool createGraph = false)
        {
            ArgumentNullException.ThrowIfNull(func);
            return Jacobian(x => [func(x[0])], [input], createGraph)[0, 0];
        }

        /// <summary>The Hessian of a scalar function (<c>hessian</c>): entry [i, j] has the shape of input i followed by that of input j.</summary>
        public static Tensor[,] Hessian(Func<Tensor[], Tensor> func, Tensor[] inputs, bool createGraph = false)
        {
            ArgumentNullException.ThrowIfNull(func);
            return Jacobian(x =>
            {
                Tensor y = func(x);
                if (y.NumEl != 1)
                    throw new ArgumentException($"Autograd.Functional.Hessian: the function must return a tensor of one element, but it returned shape {y.Shape}");
                using (y)
                    return GradOrZeros([y], x, [null], createGraph: true);
            }, inputs, createGraph);
        }

        /// <summary>The Hessian of a scalar function of one tensor (<c>hessian</c>): the input's shape twice.</summary>
        public static Tensor Hessian(Func<Tensor, Tensor> func, Tensor input, bool createGraph = false)
        {
            ArgumentNullException.ThrowIfNull(func);
            return Hessian(x => func(x[0]), [input], createGraph)[0, 0];
        }

        // Inputs to differentiate with respect to: with createGraph, views that keep the inputs' history; else detached copies.
        private static Tensor[] Prepare(Tensor[] inputs, bool createGraph) => Array.ConvertAll(inputs, input =>
        {
            if (!input.IsFloatingPoint)
                throw new DTypeException($"Autograd.Functional: inputs must be floating point, but got {input.DType.ToTorchString()}");
            return createGraph && input._requiresGrad ? input.Alias() : input.Detach().RequiresGrad_();
        });

        private static Tensor[] Finish(Tensor[] tensors, bool createGraph)
        {
            if (createGraph)
                return tensors;
            return Array.ConvertAll(tensors, t =>
            {
                if (!t._requiresGrad)
                    return t;
                Tensor d = t.Detach();
                t.Dispose();
                return d;
            });
        }

        /// <summary>Autograd.Grad over the outputs that require grad, with zeros for unused inputs.</summary>
        private static Tensor[] GradOrZeros(Tensor[] outputs, Tensor[] inputs, Tensor?[] v, bool createGraph, bool retainGraph = false)
        {
            var outs = new List<Tensor>();
            var vs = new List<Tensor?>();
            for (int i = 0; i < outputs.Length; i++)
            {
                if (!outputs[i]._requiresGrad)
                    continue;
                outs.Add(outputs[i]);
                vs.Add(v[i]);
            }
            var wrt = inputs.Where(x => x._requiresGrad).ToArray();
            Tensor?[] grads = outs.Count == 0 || wrt.Length == 0
                ? new Tensor?[wrt.Length]
                : Grad(outs, wrt, vs, retainGraph || createGraph, createGraph, allowUnused: true);
            var result = new Tensor[inputs.Length];
            for (int i = 0, k = 0; i < inputs.Length; i++)
                result[i] = (inputs[i]._requiresGrad ? grads[k++] : null) ?? Torch.ZerosLike(inputs[i]);
            return result;
        }

        private static void DisposeExcept(Tensor[] temporaries, Tensor[] keep)
        {
            foreach (Tensor t in temporaries)
            {
                if (Array.IndexOf(keep, t) < 0)
                    t.Dispose();
            }
        }

        private static Tensor OneHot(Tensor like, long index)
        {
            Tensor v = Torch.Zeros([like.NumEl], like.DType, like.Device);
            using (Torch.NoGrad())
            using (Tensor element = v.Select(0, index))
                element.Add_(1L);
            using (v)
                return v.View(like.ShapeArray);
        }

        /// <summary>Stacks rows (one per output element, each shaped like the input) into a tensor of <paramref name="shape"/>; takes ownership of the rows.</summary>
        private static Tensor Stack(Tensor[] rows, long[] shape, bool createGraph)
        {
            long[] flatShape = [rows.Length, rows.Length == 0 ? 0 : rows[0].NumEl];
            Tensor flat;
            if (!createGraph)
            {
                flat = Torch.Zeros(flatShape, rows.Length == 0 ? DType.Float32 : rows[0].DType);
                using (Torch.NoGrad())
                {
                    for (int k = 0; k < rows.Length; k++)
                    {
                        using Tensor slot = flat.Select(0, k);
                        using Tensor row = rows[k].Reshape(-1);
                        slot.Copy_(row);
                    }
                }
            }
            else
            {
                // Differentiable: each row placed into zeros at its position, summed.
                flat = Torch.Zeros(flatShape, rows.Length == 0 ? DType.Float32 : rows[0].DType);
                for (int k = 0; k < rows.Length; k++)
                {
                    using Tensor row = rows[k].Reshape(-1);
                    using Tensor placed = Embed.Select(row, flatShape, 0, k);
                    Tensor sum = flat + placed;
                    flat.Dispose();
                    flat = sum;
                }
            }
            foreach (Tensor r in rows)
                r.Dispose();
            using (flat)
                return flat.Reshape(shape);
        }
    }
}
