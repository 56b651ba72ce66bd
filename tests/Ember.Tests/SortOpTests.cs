namespace Ember.Tests;

/// <summary>Sorting and search against PyTorch (Data/shape/reference.json), plus errors.</summary>
public class SortOpTests
{
    private static Tensor[] Pair((Tensor, Tensor) r) => [r.Item1, r.Item2];

    private static readonly Dictionary<string, Func<Tensor[], Tensor[]>> Ops = new()
    {
        ["sort"] = x => Pair(x[0].Sort(1)),
        ["sort_descending_dim0"] = x => Pair(x[0].Sort(0, descending: true)),
        ["sort_stable_ties"] = x => Pair(x[0].Sort(stable: true)),
        ["sort_nan"] = x => Pair(x[0].Sort()),
        ["argsort"] = x => [x[0].Argsort(1, descending: true)],
        ["topk"] = x => Pair(x[0].Topk(2, 1)),
        ["topk_smallest_dim0"] = x => Pair(x[0].Topk(2, 0, largest: false)),
        ["kthvalue"] = x => Pair(x[0].Kthvalue(3, 1)),
        ["kthvalue_keepdim"] = x => Pair(x[0].Kthvalue(2, 0, keepdim: true)),
        ["unique"] = x => { var (v, i, c) = x[0].Unique(); return [v, i, c]; },
        ["unique_float_2d"] = x => { var (v, i, c) = x[0].Unique(); return [v, i, c]; },
        ["searchsorted"] = x => [x[0].Searchsorted(x[1])],
        ["searchsorted_right_int32"] = x => [x[0].Searchsorted(x[1], outInt32: true, right: true)],
        ["searchsorted_batched"] = x => [x[0].Searchsorted(x[1])],
        ["bucketize"] = x => [x[0].Bucketize(x[1])],
        ["histc"] = x => [x[0].Histc(6, -1, 1)],
        ["histc_auto_range"] = x => [x[0].Histc(4)],
    };

    public static IEnumerable<string> CaseNames => Ops.Keys;

    [TestCaseSource(nameof(CaseNames))]
    public void MatchesPyTorch(string name) => ShapeReference.Check(name, Ops[name]);

    [Test]
    public void SortIsStableOnLargeRowsWithTies()
    {
        using TensorScope scope = Torch.NewScope();
        var data = new long[10000];
        for (int i = 0; i < data.Length; i++)
            data[i] = (i * 7919) % 13;
        Tensor t = Torch.Tensor<long>(data, [data.Length]);
        (Tensor v, Tensor idx) = t.Sort(stable: true);
        long[] values = v.ToArray<long>(), index = idx.ToArray<long>();
        for (int i = 1; i < values.Length; i++)
        {
            Assert.That(values[i], Is.GreaterThanOrEqualTo(values[i - 1]));
            if (values[i] == values[i - 1])
                Assert.That(index[i], Is.GreaterThan(index[i - 1]), "equal elements keep their order");
        }
    }

    [Test]
    public void Errors()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor x = Torch.Zeros(3, 4);
        var e = Assert.Throws<ArgumentException>(() => x.Topk(5, 1))!;
        Assert.That(e.Message, Does.Contain("topk").And.Contain("[3, 4] float32"));
        Assert.Throws<ArgumentException>(() => x.Kthvalue(0));
        Assert.Throws<ArgumentException>(() => x.Sort(2));
        Assert.Throws<DTypeException>(() => Torch.Zeros([3], DType.Int64).Histc());
        Assert.Throws<ShapeMismatchException>(() => x.Bucketize(Torch.Zeros(2, 2)));
        Assert.Throws<DTypeException>(() => Torch.Ones([2], DType.Bool).Sort());
    }
}
