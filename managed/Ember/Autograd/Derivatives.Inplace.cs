using Ember.Interop;

namespace Ember;

/// <summary>The arithmetic of an in-place op.</summary>
internal enum InplaceOp
{
    Add,
    Sub,
    Mul,
    Div,
}

// In-place ops. An op calls these instead of its native function when the tensor or an operand
// requires grad: they refuse what autograd cannot allow (a leaf that requires grad, a view of one, an
// untracked view), keep what the backward needs from before the change (a recorded Clone, so that
// higher-order gradients reach the old values), run the op, and rewrite the tensor's history (through
// its base when it is a view).
internal static unsafe partial class Derivatives
{
    /// <summary>self op= other.</summary>
    public static Tensor Inplace(Tensor self, Tensor other, InplaceOp op)
    {
        string name = op switch { InplaceOp.Add => "Add_", InplaceOp.Sub => "Sub_", InplaceOp.Mul => "Mul_", _ => "Div_" };
        if (!GradMode.IsEnabled)
        {
            Run(self, other, op);
            return self;
        }
        Autograd.Edge selfEdge = BeginInplace(self, [other], name);
        Autograd.Edge otherEdge = Autograd.EdgeOf(other);
        long[] selfShape = self.ShapeArray, otherShape = other.ShapeArray;
        DType selfType = self.DType, otherType = other.DType;
        Autograd.Node node;
        switch (op)
        {
            case InplaceOp.Add or InplaceOp.Sub:
                node = new AddBackward(selfShape, selfType, otherShape, otherType, op == InplaceOp.Sub);
                break;
            case InplaceOp.Mul:
                node = new MulBackward(selfShape, selfType, otherShape, otherType)
                {
                    A = otherEdge.Node is null ? default : SavedSlot.Own(self.Clone()),
                    B = selfEdge.Node is null ? default : SavedSlot.Of(other),
                };
                break;
            default:
                node = new DivBackward(selfShape, selfType, otherShape, otherType)
                {
                    A = otherEdge.Node is null ? null : SavedTensor.Own(self.Clone()),
                    B = SavedTensor.Of(other),
                };
                break;
        }
        node.Next = [selfEdge, otherEdge];
        try
        {
            Run(self, other, op);
        }
        catch
        {
            node.ReleaseSaved();
            throw;
        }
        return FinishInplace(self, node);
    }

    /// <summary>self op= s for a number s.</summary>
    public static Tensor Inplace(Tensor self, ember_scalar s, InplaceOp op)
    {
        if (!GradMode.IsEnabled)
        {
            Run(self, s, op);
            return self;
        }
        double value = s.kind == (int)ember_scalar_kind.EMBER_SCALAR_FLOAT ? s.f : s.i;
        Autograd.Node node = op switch
        {
            InplaceOp.Add => new PassBackward("AddBackward1", false),
            InplaceOp.Sub => new PassBackward("SubBackward1", false),
            InplaceOp.Mul => new ScaleBackward("MulBackward1", value, false),
            _ => new ScaleBackward("DivBackward1", value, true),
        };
        node.Next = [BeginInplace(self, [], op + "_")];
        Run(self, s, op);
        return FinishInplace(self, node);
    }

    /// <summary>neg_.</summary>
    public static Tensor Neg_(Tensor self)
    {
        if (!GradMode.IsEnabled)
        {
            Tensor.Check(NativeMethods.ember_neg_(self.Handle), self);
            return self;
        }
        var node = new PassBackward("NegBackward0", true) { Next = [BeginInplace(self, [], "Neg_")] };
        Tensor.Check(NativeMethods.ember_neg_(self.Handle), self);
        return FinishInplace(self, node);
    }

    /// <summary>exp_: the backward uses the result, saved after the op.</summary>
    public static Tensor Exp_(Tensor self)
    {
        if (!GradMode.IsEnabled)
        {
            Tensor.Check(NativeMethods.ember_exp_(self.Handle), self);
            return self;
        }
        var node = new ExpBackward { Next = [BeginInplace(self, [], "Exp_")] };
        Tensor.Check(NativeMethods.ember_exp_(self.Handle), self);
        FinishInplace(self, node);
        node.Result = SavedTensor.Of(self);
        return self;
    }

    /// <summary>log_: the backward uses the values from before the op.</summary>
    public static Tensor Log_(Tensor self)
    {
        if (!GradMode.IsEnabled)
        {
            Tensor.Check(NativeMethods.ember_log_(self.Handle), self);
            return self;
        }
        var node = new LogBackward { Next = [BeginInplace(self, [], "Log_")] };
        node.A = SavedTensor.Own(self.Clone());
        Tensor.Check(NativeMethods.ember_log_(self.Handle), self);
        return FinishInplace(self, node);
    }

    /// <summary>copy_(src).</summary>
    public static Tensor Copy_(Tensor self, Tensor src)
    {
        if (!GradMode.IsEnabled)
        {
            Tensor.Check(NativeMethods.ember_copy_(self.Handle, src.Handle), self, src);
            return self;
        }
        var node = new CopyBackwards(src.ShapeArray, src.DType);
        node.Next = [BeginInplace(self, [src], "Copy_"), Autograd.EdgeOf(src)];
        Tensor.Check(NativeMethods.ember_copy_(self.Handle, src.Handle), self, src);
        return FinishInplace(self, node);
    }

    /// <summary>
    /// Refuses an in-place op autograd cannot allow, and returns the edge of the tensor's history before
    /// the op (which the op's node continues from).
    /// </summary>
    internal static Autograd.Edge BeginInplace(Tensor self, ReadOnlySpan<Tensor> operands, string op)
    {
        AutogradMeta? meta = self._autograd;
        if (self._requiresGrad && meta!.GradFn is null)
            throw new AutogradException(
                $"a leaf tensor that requires grad is being used in an in-place operation (Tensor.{op}); " +
                "do it inside Torch.NoGrad() (e.g. a parameter update), or use an out-of-place op");
        if (meta?.View is { BaseIsLeaf: true })
            throw new AutogradException(
                $"a view of a leaf tensor that requires grad is being used in an in-place operation (Tensor.{op}); " +
                "do it inside Torch.NoGrad(), or Clone() the leaf first");
        if (meta?.View is null && self._viewBase is { } b && !ReferenceEquals(b, self) && !b.IsDisposed && self.SharesStorageWith(b))
        {
            bool any = self._requiresGrad || b._requiresGrad;
            foreach (Tensor o in operands)
                any |= o._requiresGrad;
            if (any)
                throw new AutogradException(
                    $"Tensor.{op} changes a view that autograd does not track (it was made while grad mode was off, or from a tensor that did not " +
                    "require grad) using values that require grad: the gradient could not reach the tensor the view belongs to. Make the view in grad " +
                    "mode from a tensor that requires grad, or build the result with out-of-place ops.");
        }
        return Autograd.EdgeOf(self);
    }

    /// <summary>Makes <paramref name="node"/> the history of <paramref name="self"/> after an in-place op.</summary>
    internal static Tensor FinishInplace(Tensor self, Autograd.Node node)
    {
        AutogradMeta meta = self.EnsureMeta();
        if (meta.View is not null)
        {
            ViewTracking.RebaseHistory(self, meta, node);
            return self;
        }
        lock (meta)
        {
            meta.GradFn = node;
            meta.OutputNr = 0;
            if (meta.RetainsGrad)
                node.SetRetainGrad(0, meta);
        }
        self._requiresGrad = true;
        return self;
    }

    private static void Run(Tensor self, Tensor other, InplaceOp op)
    {
        ember_status status = op switch
        {
            InplaceOp.Add => NativeMethods.ember_add_(self.Handle, other.Handle),
            InplaceOp.Sub => NativeMethods.ember_sub_(self.Handle, other.Handle),
            InplaceOp.Mul => NativeMethods.ember_mul_(self.Handle, other.Handle),
            _ => NativeMethods.ember_div_(self.Handle, other.Handle),
        };
        Tensor.Check(status, self, other);
    }

    private static void Run(Tensor self, ember_scalar s, InplaceOp op)
    {
        ember_status status = op switch
        {
            InplaceOp.Add => NativeMethods.ember_add_scalar_(self.Handle, s),
            InplaceOp.Sub => NativeMethods.ember_sub_scalar_(self.Handle, s),
            InplaceOp.Mul => NativeMethods.ember_mul_scalar_(self.Handle, s),
            _ => NativeMethods.ember_div_scalar_(self.Handle, s),
        };
        Tensor.Check(status, self);
    }
}
