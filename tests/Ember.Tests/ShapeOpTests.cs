using F = Ember.Functional;

namespace Ember.Tests;

/// <summary>Shape ops against PyTorch (Data/shape/reference.json), plus error messages and views.</summary>
public class ShapeOpTests
{
    private static readonly Dictionary<string, Func<Tensor[], Tensor[]>> Ops = new()
    {
        ["cat_dim1"] = x => [Torch.Cat([x[0], x[1]], 1)],
        ["cat_promote"] = x => [Torch.Cat([x[0], x[1]])],
        ["cat_legacy_empty"] = x => [Torch.Cat([x[0], x[1]], 0)],
        ["cat_noncontiguous"] = x => [Torch.Cat([x[0].T, x[1]], 0)],
        ["cat_empty_dim"] = x => [Torch.Cat([x[0], x[1]], 1)],
        ["stack_last"] = x => [Torch.Stack([x[0], x[1]], -1)],
        ["stack_scalars"] = x => [Torch.Stack([x[0], x[1]])],
        ["hstack_1d"] = x => [Torch.HStack([x[0], x[1]])],
        ["hstack_2d"] = x => [Torch.HStack([x[0], x[1]])],
        ["vstack_mixed"] = x => [Torch.VStack([x[0], x[1]])],
        ["split_size"] = x => x[0].Split(2),
        ["split_sizes_dim1"] = x => x[0].Split([1, 3], 1),
        ["chunk"] = x => x[0].Chunk(3),
        ["chunk_fewer"] = x => x[0].Chunk(4, 1),
        ["unbind_dim1"] = x => x[0].Unbind(1),
        ["flatten_range"] = x => [x[0].Flatten(1)],
        ["flatten_noncontiguous"] = x => [x[0].Transpose(0, 2).Flatten(0, 1)],
        ["unflatten"] = x => [x[0].Unflatten(2, 2, -1)],
        ["repeat"] = x => [x[0].Repeat(2, 1, 2)],
        ["repeat_scalar"] = x => [x[0].Repeat(2, 3)],
        ["repeat_noncontiguous"] = x => [x[0].T.Repeat(1, 2)],
        ["tile"] = x => [x[0].Tile(2)],
        ["repeat_interleave_int"] = x => [x[0].RepeatInterleave(2, 1)],
        ["repeat_interleave_flat"] = x => [x[0].RepeatInterleave(2)],
        ["repeat_interleave_tensor"] = x => [x[0].RepeatInterleave(x[1], 1)],
        ["flip"] = x => [x[0].Flip(0, 2)],
        ["flip_noncontiguous"] = x => [x[0].Transpose(1, 2).Flip(-1)],
        ["flip_int"] = x => [x[0].Flip(1)],
        ["roll_dim"] = x => [x[0].Roll(1, 1)],
        ["roll_flat"] = x => [x[0].Roll(-5)],
        ["roll_dims"] = x => [x[0].Roll([2, -1], [2, 0])],
        ["movedim"] = x => [x[0].Movedim(0, -1)],
        ["movedim_multi"] = x => [x[0].Movedim([0, 1], [2, 0])],
        ["swapaxes"] = x => [x[0].Swapaxes(0, 2)],
        ["tril"] = x => [x[0].Tril()],
        ["tril_k"] = x => [x[0].Tril(-1)],
        ["triu_k"] = x => [x[0].Triu(2)],
        ["triu_noncontiguous"] = x => [x[0].T.Triu(-1)],
        ["tril_int"] = x => [x[0].Tril(1)],
        ["diag_vector"] = x => [x[0].Diag(-1)],
        ["diag_matrix"] = x => [x[0].Diag(1)],
        ["diagonal_3d"] = x => [x[0].Diagonal(1, 2, 0)],
        ["diagonal_negative"] = x => [x[0].Diagonal(-1)],
        ["diag_embed"] = x => [x[0].DiagEmbed(1)],
        ["diag_embed_dims"] = x => [x[0].DiagEmbed(-1, 0, 2)],
        ["pad_constant"] = x => [F.Pad(x[0], [1, 2, 0, 1], value: 0.5)],
        ["pad_constant_negative"] = x => [F.Pad(x[0], [-1, 1])],
        ["pad_reflect"] = x => [F.Pad(x[0], [2, 3], "reflect")],
        ["pad_reflect_2d"] = x => [F.Pad(x[0], [1, 2, 2, 1], "reflect")],
        ["pad_replicate"] = x => [F.Pad(x[0], [2, 1, 1, 2], "replicate")],
        ["pad_circular"] = x => [F.Pad(x[0], [2, 3], "circular")],
        ["meshgrid_ij"] = x => Torch.Meshgrid([x[0], x[1]]),
        ["meshgrid_xy"] = x => Torch.Meshgrid([x[0], x[1], x[2]], "xy"),
    };

    public static IEnumerable<string> CaseNames => Ops.Keys;

    [TestCaseSource(nameof(CaseNames))]
    public void MatchesPyTorch(string name) => ShapeReference.Check(name, Ops[name]);

    [Test]
    public void SplitPiecesAreViews()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor x = Torch.Arange(10.0, DType.Float64).Reshape(5, 2);
        Tensor[] parts = x.Split(2);
        Assert.That(parts, Has.Length.EqualTo(3));
        Assert.That(parts[2].SharesStorageWith(x), Is.True);
        Assert.That(x.Unbind(1)[0].SharesStorageWith(x), Is.True);
        Assert.That(x.Diagonal().SharesStorageWith(x), Is.True);
        Assert.That(x.Movedim(0, 1).SharesStorageWith(x), Is.True);
    }

    [Test]
    public void ZeroDimAndEmpty()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor s = Torch.Tensor(2.0);
        Assert.That(s.Flatten().Shape.ToArray(), Is.EqualTo(new long[] { 1 }));
        Assert.That(s.Flip().Item<double>(), Is.EqualTo(2.0));
        Tensor e = Torch.Zeros(0, 3);
        Assert.That(Torch.Cat([e, e]).Shape.ToArray(), Is.EqualTo(new long[] { 0, 3 }));
        Assert.That(e.Flip(0).Shape.ToArray(), Is.EqualTo(new long[] { 0, 3 }));
        Assert.That(e.Tril().Shape.ToArray(), Is.EqualTo(new long[] { 0, 3 }));
        Assert.That(F.Pad(e, [1, 1]).Shape.ToArray(), Is.EqualTo(new long[] { 0, 5 }));
    }

    [Test]
    public void TrilInPlaceBumpsVersion()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor x = Torch.Ones(3, 3);
        long v = x.Version;
        x.Tril_();
        Assert.That(x.Version, Is.GreaterThan(v));
        Assert.That(x.Sum().Item<float>(), Is.EqualTo(6f));
        x.Triu_(1);
        Assert.That(x.Sum().Item<float>(), Is.EqualTo(0f));
    }

    public static IEnumerable<DType> AllDTypes =>
        [DType.Float32, DType.Float64, DType.Float16, DType.BFloat16, DType.Int8, DType.UInt8, DType.Int16, DType.Int32, DType.Int64, DType.Bool];

    /// <summary>The element-moving kernels work on raw words; every dtype gives what float64 gives, cast.</summary>
    [TestCaseSource(nameof(AllDTypes))]
    public void EveryDTypeMovesElementsExactly(DType dtype)
    {
        using TensorScope scope = Torch.NewScope();
        Tensor x64 = Torch.Tensor<double>([0, 1, 2, 3, 4, 5], [2, 3]);
        Tensor x = x64.To(dtype);
        Tensor idx = Torch.Tensor<long>([2, 0], [2]);
        Tensor mask = Torch.Tensor<bool>([true, false, true], [3]);
        (string Name, Func<Tensor, Tensor> Op)[] ops =
        [
            ("cat", t => Torch.Cat([t, t.Flip(1)], 1)),
            ("roll", t => t.Roll(1, 1)),
            ("tril", t => t.Tril()),
            ("pad", t => F.Pad(t, [1, 2], "reflect")),
            ("repeat", t => t.Repeat(2, 1)),
            ("index_select", t => t.IndexSelect(1, idx)),
            ("gather", t => t.Gather(1, Torch.Tensor<long>([2, 1, 0, 0], [2, 2]))),
            ("masked_select", t => t.MaskedSelect(mask)),
            ("index", t => t[.., idx]),
            ("diag_embed", t => t.DiagEmbed()),
        ];
        foreach ((string name, Func<Tensor, Tensor> op) in ops)
        {
            Tensor expected = op(x64).To(dtype);
            Tensor actual = op(x);
            Assert.That(actual.DType, Is.EqualTo(dtype), name);
            Assert.That(Assertions.Values(actual), Is.EqualTo(Assertions.Values(expected)), name);
        }
        if (dtype != DType.Bool)
        {
            (Tensor v, Tensor i) = x.Flip(1).Sort(1);
            Assert.That(Assertions.Values(v), Is.EqualTo(Assertions.Values(x)), "sort");
            Assert.That(i.ToArray<long>(), Is.EqualTo(new long[] { 2, 1, 0, 2, 1, 0 }), "sort indices");
        }
    }

    [Test]
    public void ErrorsNameOpShapesAndDtypes()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor a = Torch.Zeros(2, 3), b = Torch.Zeros([3, 3], DType.Float64);
        var e = Assert.Throws<ShapeMismatchException>(() => Torch.Cat([a, b], 1))!;
        Assert.That(e.Message, Does.Contain("cat").And.Contain("[2, 3] float32").And.Contain("[3, 3] float64"));
        var s = Assert.Throws<ShapeMismatchException>(() => Torch.Stack([a, b]))!;
        Assert.That(s.Message, Does.Contain("stack"));
        Assert.Throws<ArgumentException>(() => a.Flip(2));
        var r = Assert.Throws<ShapeMismatchException>(() => F.Pad(a, [3, 0], "reflect"))!;
        Assert.That(r.Message, Does.Contain("pad (reflect)").And.Contain("[2, 3] float32"));
        Assert.Throws<ArgumentException>(() => F.Pad(a, [1, 1], "mirror"));
        Assert.Throws<ShapeMismatchException>(() => a.Split([1, 1], 1));
        Assert.Throws<ShapeMismatchException>(() => Torch.Zeros(3).Tril());
        Assert.Throws<ShapeMismatchException>(() => a.Repeat(2));
        Assert.Throws<ArgumentException>(() => a.Chunk(0));
        // The process survives and the inputs are unchanged.
        Assert.That(a.Sum().Item<float>(), Is.EqualTo(0f));
    }
}
