using F = Ember.Functional;

namespace Ember.Tests;

/// <summary>Indexing ops and the indexer against PyTorch (Data/shape/reference.json), assignment, and errors.</summary>
public class IndexingOpTests
{
    private static readonly Dictionary<string, Func<Tensor[], Tensor[]>> Ops = new()
    {
        ["index_select"] = x => [x[0].IndexSelect(1, x[1])],
        ["index_select_noncontiguous"] = x => [x[0].T.IndexSelect(0, x[1])],
        ["index_select_int32_index"] = x => [x[0].IndexSelect(0, x[1])],
        ["index_add"] = x => [x[0].IndexAdd(1, x[1], x[2], 2.0)],
        ["index_copy"] = x => [x[0].IndexCopy(0, x[1], x[2])],
        ["index_fill"] = x => [x[0].IndexFill(1, x[1], -2.0)],
        ["gather"] = x => [x[0].Gather(1, x[1])],
        ["gather_dim0"] = x => [x[0].Gather(0, x[1])],
        ["scatter"] = x => [x[0].Scatter(1, x[1], x[2])],
        ["scatter_value"] = x => [x[0].Scatter(1, x[1], 7.0)],
        ["scatter_add"] = x => [x[0].ScatterAdd(1, x[1], x[2])],
        ["scatter_reduce_sum"] = x => [x[0].ScatterReduce(1, x[1], x[2], "sum", includeSelf: false)],
        ["scatter_reduce_prod"] = x => [x[0].ScatterReduce(1, x[1], x[2], "prod")],
        ["scatter_reduce_mean"] = x => [x[0].ScatterReduce(1, x[1], x[2], "mean")],
        ["scatter_reduce_mean_exclude"] = x => [x[0].ScatterReduce(1, x[1], x[2], "mean", includeSelf: false)],
        ["scatter_reduce_amax"] = x => [x[0].ScatterReduce(1, x[1], x[2], "amax")],
        ["scatter_reduce_amin_exclude"] = x => [x[0].ScatterReduce(1, x[1], x[2], "amin", includeSelf: false)],
        ["scatter_reduce_mean_int"] = x => [x[0].ScatterReduce(1, x[1], x[2], "mean")],
        ["masked_fill"] = x => [x[0].MaskedFill(x[1], -1.0)],
        ["masked_fill_broadcast"] = x => [x[0].MaskedFill(x[1], 9.0)],
        ["masked_scatter"] = x => [x[0].MaskedScatter(x[1], x[2])],
        ["masked_select"] = x => [x[0].MaskedSelect(x[1])],
        ["masked_select_broadcast"] = x => [x[0].MaskedSelect(x[1])],
        ["take"] = x => [x[0].Take(x[1])],
        ["take_along_dim"] = x => [x[0].TakeAlongDim(x[1], 1)],
        ["take_along_dim_broadcast"] = x => [x[0].TakeAlongDim(x[1], 0)],
        ["take_along_dim_flat"] = x => [x[0].TakeAlongDim(x[1])],
        ["nonzero"] = x => [x[0].Nonzero()],
        ["argwhere_int"] = x => [x[0].Argwhere()],
        ["one_hot"] = x => [F.OneHot(x[0])],
        ["one_hot_classes"] = x => [F.OneHot(x[0], 5)],
        ["embedding"] = x => [F.Embedding(x[0], x[1])],
        ["index_tensor"] = x => [x[0][x[1]]],
        ["index_second_dim"] = x => [x[0][.., x[1]]],
        ["index_two_tensors"] = x => [x[0][x[1], x[2]]],
        ["index_broadcast_tensors"] = x => [x[0][.., x[1], x[2]]],
        ["index_nonadjacent"] = x => [x[0][x[1], .., x[2]]],
        ["index_mask"] = x => [x[0][x[1]]],
        ["index_mask_2d"] = x => [x[0][x[1]]],
        ["index_mixed_basic"] = x => [x[0][1, 1.., x[1]]],
        ["index_ellipsis_newaxis"] = x => [x[0][TensorIndex.Ellipsis, TensorIndex.None, 1..3]],
        ["index_step_negative_int"] = x => [x[0][^1, TensorIndex.Slice(null, null, 2), 1..^1]],
    };

    public static IEnumerable<string> CaseNames => Ops.Keys;

    [TestCaseSource(nameof(CaseNames))]
    public void MatchesPyTorch(string name) => ShapeReference.Check(name, Ops[name]);

    [Test]
    public void BasicIndexingGivesViews()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor x = Torch.Arange(24.0, DType.Float64).Reshape(2, 3, 4);
        Tensor v = x[1, .., 1..^1];
        Assert.That(v.Shape.ToArray(), Is.EqualTo(new long[] { 3, 2 }));
        Assert.That(v.SharesStorageWith(x), Is.True);
        Assert.That(v.ToArray<double>(), Is.EqualTo(new double[] { 13, 14, 17, 18, 21, 22 }));
        Assert.That(x[^1, ^1, ^1].Item<double>(), Is.EqualTo(23));
        Assert.That(x[TensorIndex.None].Shape.ToArray(), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
        Assert.That(x[true].Shape.ToArray(), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
        Assert.That(x[false].Shape.ToArray(), Is.EqualTo(new long[] { 0, 2, 3, 4 }));
    }

    [Test]
    public void AssignmentThroughTheIndexer()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor x = Torch.Arange(12.0, DType.Float64).Reshape(3, 4);
        x[.., 1..3] = Torch.Tensor<double>([-1, -2], [2]);
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 0, -1, -2, 3, 4, -1, -2, 7, 8, -1, -2, 11 }));
        Tensor mask = x.Lt(0.0);
        x[mask] = 0;
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 0, 0, 0, 3, 4, 0, 0, 7, 8, 0, 0, 11 }));
        x[Torch.Tensor<long>([2, 0], [2]), 3] = 1.5;
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 0, 0, 0, 1.5, 4, 0, 0, 7, 8, 0, 0, 1.5 }));
        x[1] = 5;
        Assert.That(x[1].ToArray<double>(), Is.EqualTo(new double[] { 5, 5, 5, 5 }));
        // Non-adjacent advanced indices write to the right places.
        Tensor y = Torch.Zeros([2, 3, 4], DType.Float64);
        y[Torch.Tensor<long>([1, 0], [2]), .., Torch.Tensor<long>([3, 1], [2])] = Torch.Tensor<double>([1, 2], [2, 1]);
        Assert.That(y[1, .., 3].ToArray<double>(), Is.EqualTo(new double[] { 1, 1, 1 }));
        Assert.That(y[0, .., 1].ToArray<double>(), Is.EqualTo(new double[] { 2, 2, 2 }));
        Assert.That(y.Sum().Item<double>(), Is.EqualTo(9));
    }

    [Test]
    public void IndexPutAccumulateAddsDuplicates()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor x = Torch.Zeros([3], DType.Float64);
        x.IndexPut_([Torch.Tensor<long>([0, 2, 0], [3])], Torch.Tensor<double>([1, 2, 3], [3]), accumulate: true);
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 4, 0, 2 }));
    }

    [Test]
    public void InPlaceForms()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor x = Torch.Zeros([2, 3], DType.Float64);
        Tensor ix = Torch.Tensor<long>([2, 0], [2]);
        x.IndexFill_(1, ix, 1.0);
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 1, 0, 1, 1, 0, 1 }));
        x.IndexAdd_(0, Torch.Tensor<long>([1], [1]), Torch.Ones([1, 3], DType.Float64), 2.0);
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 1, 0, 1, 3, 2, 3 }));
        x.MaskedFill_(x.Gt(2.5), -1.0);
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 1, 0, 1, -1, 2, -1 }));
        x.Scatter_(1, Torch.Tensor<long>([1, 0], [2, 1]), 9.0);
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 1, 9, 1, 9, 2, -1 }));
        x.ScatterAdd_(1, Torch.Tensor<long>([1, 1], [1, 2]), Torch.Ones([1, 2], DType.Float64));
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 1, 11, 1, 9, 2, -1 }));
        x.MaskedScatter_(x.Lt(1.5), Torch.Tensor<double>([7, 8, 9], [3]));
        Assert.That(x.ToArray<double>(), Is.EqualTo(new double[] { 7, 11, 8, 9, 2, 9 }));
    }

    [Test]
    public void IndexSelectLargeBatchGather()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor data = Torch.Arange(0, 60000 * 8, 1, DType.Float32).Reshape(60000, 8);
        Tensor idx = Torch.Tensor<long>([59999, 0, 123, 31337], [4]);
        Tensor batch = data.IndexSelect(0, idx);
        Assert.That(batch[.., 0].ToArray<float>(), Is.EqualTo(new float[] { 59999 * 8, 0, 123 * 8, 31337 * 8 }));
    }

    [Test]
    public void OutOfRangeIndicesAreClearErrorsAndChangeNothing()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor x = Torch.Zeros([3, 4], DType.Float64);
        Tensor bad = Torch.Tensor<long>([0, 5], [2]);
        var e = Assert.Throws<ArgumentException>(() => x.IndexSelect(1, bad))!;
        Assert.That(e.Message, Does.Contain("index_select").And.Contain("index 5").And.Contain("size 4"));
        Assert.Throws<ArgumentException>(() => x.Gather(1, Torch.Tensor<long>([0, 4], [1, 2])));
        var s = Assert.Throws<ArgumentException>(() => x.Scatter_(1, Torch.Tensor<long>([0, -1], [1, 2]), 1.0))!;
        Assert.That(s.Message, Does.Contain("scatter_").And.Contain("index -1"));
        Assert.Throws<ArgumentException>(() => x.IndexAdd_(0, bad, Torch.Ones([2, 4], DType.Float64)));
        Assert.Throws<ArgumentException>(() => _ = x[3]);
        Assert.Throws<ArgumentException>(() => _ = x[0, 0, 0]);
        Assert.Throws<ArgumentException>(() => _ = x[bad, ..]);
        Assert.Throws<ArgumentException>(() => x[.., bad] = 1.0);
        Assert.Throws<ArgumentException>(() => x.Take(Torch.Tensor<long>([12], [1])));
        Assert.Throws<ArgumentException>(() => F.OneHot(Torch.Tensor<long>([0, 3], [2]), 3));
        Assert.Throws<ArgumentException>(() => F.Embedding(Torch.Tensor<long>([3], [1]), x));
        Assert.Throws<DTypeException>(() => x.IndexSelect(0, Torch.Tensor<double>([0], [1])));
        Assert.Throws<DTypeException>(() => x.MaskedFill(Torch.Zeros(4), 1.0));
        var m = Assert.Throws<ShapeMismatchException>(() => x.MaskedScatter_(Torch.Ones([4], DType.Bool), Torch.Ones([3], DType.Float64)))!;
        Assert.That(m.Message, Does.Contain("masked_scatter").And.Contain("[3] float64"));
        Assert.That(x.Sum().Item<double>(), Is.EqualTo(0), "failed ops leave their input untouched");
    }
}
