namespace Ember;

// Recording of the indexing ops (Tensor.Indexing.cs); the formulas are in Nodes.Indexing.cs. Index
// tensors are saved (they carry no gradient); in-place forms reuse the out-of-place nodes.
internal static partial class Derivatives
{
    private static SavedTensor Save(Tensor t) => SavedTensor.Of(t);

    private static SavedTensor?[] SaveAll(Tensor?[] ts) => Array.ConvertAll(ts, t => t is null ? null : SavedTensor.Of(t));

    /// <summary>An in-place indexing op: <paramref name="node"/> is the out-of-place op's node (inputs self and, when given, other).</summary>
    public static Tensor InplaceWith(Tensor self, Tensor? other, string name, Autograd.Node node, Action run)
    {
        if (!GradMode.IsEnabled)
        {
            run();
            return self;
        }
        node.Next = other is null ? [BeginInplace(self, [], name)] : [BeginInplace(self, [other], name), Autograd.EdgeOf(other)];
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

    private static Tensor Record(Tensor result, Autograd.Node node, params Tensor?[] inputs)
    {
        bool any = false;
        foreach (Tensor? t in inputs)
            any |= t is not null && t._requiresGrad;
        if (!any || !GradMode.IsEnabled)
        {
            node.ReleaseSaved();
            return result;
        }
        node.Next = Array.ConvertAll(inputs, t => t is null ? default : Autograd.EdgeOf(t));
        return Autograd.SetHistory(result, node);
    }

    public static Tensor Index(Tensor result, Tensor self, Tensor?[] indices) =>
        self._requiresGrad ? Record(result, new IndexBackward(self.ShapeArray, SaveAll(indices)), self) : result;

    public static Tensor IndexPut(Tensor result, Tensor self, Tensor?[] indices, Tensor values, bool accumulate) =>
        self._requiresGrad || values._requiresGrad
            ? Record(result, new IndexPutBackward(SaveAll(indices), accumulate, values.ShapeArray, values.DType), self, values)
            : result;

    public static Tensor IndexPut_(Tensor self, Tensor?[] indices, Tensor values, bool accumulate) =>
        InplaceWith(self, values, "IndexPut_", new IndexPutBackward(SaveAll(indices), accumulate, values.ShapeArray, values.DType),
            () => self.IndexPutNative(indices, values, accumulate));

    public static Tensor IndexSelect(Tensor result, Tensor self, int dim, Tensor index) =>
        self._requiresGrad ? Record(result, new IndexSelectBackward(self.ShapeArray, Tensor.NormalizeDim(dim, Math.Max(self.Dim, 1)), Save(index)), self) : result;

    public static Tensor IndexAdd(Tensor result, Tensor self, int dim, Tensor index, Tensor source, double alpha) =>
        self._requiresGrad || source._requiresGrad ? Record(result, IndexAddNode(self, dim, index, source, alpha), self, source) : result;

    public static Autograd.Node IndexAddNode(Tensor self, int dim, Tensor index, Tensor source, double alpha) =>
        new IndexAddBackward(Tensor.NormalizeDim(dim, Math.Max(self.Dim, 1)), Save(index), alpha, source.ShapeArray);

    public static Tensor IndexCopy(Tensor result, Tensor self, int dim, Tensor index, Tensor source) =>
        self._requiresGrad || source._requiresGrad ? Record(result, IndexCopyNode(self, dim, index, source), self, source) : result;

    public static Autograd.Node IndexCopyNode(Tensor self, int dim, Tensor index, Tensor source) =>
        new IndexCopyBackward(Tensor.NormalizeDim(dim, Math.Max(self.Dim, 1)), Save(index), source.ShapeArray);

    public static Tensor IndexFill(Tensor result, Tensor self, int dim, Tensor index) =>
        self._requiresGrad ? Record(result, IndexFillNode(self, dim, index), self) : result;

    public static Autograd.Node IndexFillNode(Tensor self, int dim, Tensor index) =>
        new IndexFillBackward(Tensor.NormalizeDim(dim, Math.Max(self.Dim, 1)), Save(index));

    public static Tensor Gather(Tensor result, Tensor self, int dim, Tensor index) =>
        self._requiresGrad ? Record(result, new GatherBackward(self.ShapeArray, Tensor.NormalizeDim(dim, Math.Max(self.Dim, 1)), Save(index)), self) : result;

    public static Tensor Scatter(Tensor result, Tensor self, int dim, Tensor index, Tensor? src, Tensor.ScatterKind kind, bool includeSelf)
    {
        if (!(self._requiresGrad || src is { _requiresGrad: true }) || !GradMode.IsEnabled)
            return result;
        ScatterBackward node = ScatterNode(self, dim, index, src, kind, includeSelf);
        Record(result, node, self, src);
        if (node.NeedsResult)
            node.Result = SavedTensor.Of(result); // saved as an output, so second-order gradients reach it
        return result;
    }

    /// <summary>The node of a scatter; the reductions that need the result (<see cref="ScatterBackward.NeedsResult"/>) get it set after the op.</summary>
    public static ScatterBackward ScatterNode(Tensor self, int dim, Tensor index, Tensor? src, Tensor.ScatterKind kind, bool includeSelf)
    {
        bool needsValues = kind is Tensor.ScatterKind.Prod or Tensor.ScatterKind.Amax or Tensor.ScatterKind.Amin;
        return new ScatterBackward(Tensor.NormalizeDim(dim, Math.Max(self.Dim, 1)), Save(index), kind, includeSelf,
            needsValues ? SavedTensor.Own(self.Clone()) : null,
            needsValues || kind == Tensor.ScatterKind.Mean ? (src is null ? null : Save(src)) : null);
    }

    public static Tensor TakeAlongDim(Tensor result, Tensor self, Tensor indices, int? dim) =>
        self._requiresGrad ? Record(result, new TakeAlongDimBackward(self.ShapeArray, Save(indices), dim), self) : result;

    public static Tensor Take(Tensor result, Tensor self, Tensor index) =>
        self._requiresGrad ? Record(result, new TakeBackward(self.ShapeArray, Save(index)), self) : result;

    public static Tensor MaskedFill(Tensor result, Tensor self, Tensor mask) =>
        self._requiresGrad ? Record(result, MaskedFillNode(self, mask), self) : result;

    public static Autograd.Node MaskedFillNode(Tensor self, Tensor mask) => new MaskedFillBackward(self.ShapeArray, self.DType, Save(mask));

    public static Tensor MaskedScatter(Tensor result, Tensor self, Tensor mask, Tensor source) =>
        self._requiresGrad || source._requiresGrad ? Record(result, MaskedScatterNode(self, mask, source), self, source) : result;

    public static Autograd.Node MaskedScatterNode(Tensor self, Tensor mask, Tensor source) =>
        new MaskedScatterBackward(self.ShapeArray, self.DType, Save(mask), source.ShapeArray);

    public static Tensor MaskedSelect(Tensor result, Tensor self, Tensor mask) =>
        self._requiresGrad ? Record(result, new MaskedSelectBackward(self.ShapeArray, self.DType, Save(mask)), self) : result;
}

internal static partial class Derivatives
{
    /// <summary>sort / topk / kthvalue: values picked from self at indices along dim.</summary>
    public static Tensor Selected(Tensor values, Tensor self, Tensor indices, int dim, bool keepdim, string name) =>
        Record(values, new SelectedBackward(name, self.ShapeArray, Tensor.NormalizeDim(dim, Math.Max(self.Dim, 1)), keepdim || self.Dim == 0, Save(indices)), self);
}
