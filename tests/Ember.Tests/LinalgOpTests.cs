namespace Ember.Tests;

/// <summary>Matrix products and torch.linalg against PyTorch (Data/shape/reference.json), plus identities and errors.</summary>
public class LinalgOpTests
{
    private static readonly Dictionary<string, Func<Tensor[], Tensor[]>> Ops = new()
    {
        ["mm"] = x => [x[0].Mm(x[1])],
        ["bmm"] = x => [x[0].Bmm(x[1])],
        ["mv"] = x => [x[0].Mv(x[1])],
        ["dot"] = x => [x[0].Dot(x[1])],
        ["vdot"] = x => [x[0].Vdot(x[1])],
        ["outer"] = x => [x[0].Outer(x[1])],
        ["addmm"] = x => [x[0].Addmm(x[1], x[2], beta: 0.5, alpha: 2.0)],
        ["addbmm"] = x => [x[0].Addbmm(x[1], x[2], beta: 2.0, alpha: -1.0)],
        ["baddbmm"] = x => [x[0].Baddbmm(x[1], x[2], alpha: 0.5)],
        ["kron"] = x => [x[0].Kron(x[1])],
        ["kron_ranks"] = x => [x[0].Kron(x[1])],
        ["trace"] = x => [x[0].Trace()],
        ["trace_int"] = x => [x[0].Trace()],
        ["einsum_matmul"] = x => [Torch.Einsum("ij,jk->ik", x[0], x[1])],
        ["einsum_batch"] = x => [Torch.Einsum("bij,bjk->bik", x[0], x[1])],
        ["einsum_trace"] = x => [Torch.Einsum("ii", x[0])],
        ["einsum_diag"] = x => [Torch.Einsum("ii->i", x[0])],
        ["einsum_outer"] = x => [Torch.Einsum("i,j->ij", x[0], x[1])],
        ["einsum_implicit"] = x => [Torch.Einsum("ij,jk", x[0], x[1])],
        ["einsum_ellipsis"] = x => [Torch.Einsum("...ij,...jk->...ik", x[0], x[1])],
        ["einsum_sum_all"] = x => [Torch.Einsum("ijk->", x[0])],
        ["einsum_three"] = x => [Torch.Einsum("ij,jk,kl->il", x[0], x[1], x[2])],
        ["einsum_transpose"] = x => [Torch.Einsum("ijk->kji", x[0])],
        ["einsum_bilinear"] = x => [Torch.Einsum("bn,anm,bm->ba", x[0], x[1], x[2])],
        ["linalg_inv"] = x => [Linalg.Inv(x[0])],
        ["linalg_inv_batched_float32"] = x => [Linalg.Inv(x[0])],
        ["linalg_det"] = x => [Linalg.Det(x[0])],
        ["linalg_slogdet"] = x => { var (s, l) = Linalg.Slogdet(x[0]); return [s, l]; },
        ["linalg_solve"] = x => [Linalg.Solve(x[0], x[1])],
        ["linalg_solve_vector_broadcast"] = x => [Linalg.Solve(x[0], x[1])],
        ["linalg_cholesky"] = x => [Linalg.Cholesky(x[0])],
        ["linalg_cholesky_upper"] = x => [Linalg.Cholesky(x[0], upper: true)],
        ["linalg_qr_abs"] = x => { var (q, r) = Linalg.Qr(x[0]); return [q.Abs(), r.Abs()]; },
        ["linalg_qr_complete_abs"] = x => { var (q, r) = Linalg.Qr(x[0], "complete"); return [q.Abs(), r.Abs()]; },
        ["linalg_svd_values"] = x => [Linalg.Svd(x[0]).S],
        ["linalg_eigh"] = x => { var (w, v) = Linalg.Eigh(x[0]); return [w, v.Abs()]; },
        ["linalg_lstsq"] = x => [Linalg.Lstsq(x[0], x[1])],
        ["linalg_pinv"] = x => [Linalg.Pinv(x[0])],
        ["linalg_pinv_rank_deficient"] = x => [Linalg.Pinv(x[0])],
        ["vector_norm"] = x => [Linalg.VectorNorm(x[0])],
        ["vector_norm_dims"] = x => [Linalg.VectorNorm(x[0], 3, [0, 2], keepdim: true)],
        ["vector_norm_l1"] = x => [Linalg.VectorNorm(x[0], 1, [1])],
        ["vector_norm_inf"] = x => [Linalg.VectorNorm(x[0], double.PositiveInfinity, [0])],
        ["vector_norm_neg_inf"] = x => [Linalg.VectorNorm(x[0], double.NegativeInfinity)],
        ["vector_norm_zero"] = x => [Linalg.VectorNorm(x[0], 0)],
        ["matrix_norm_fro"] = x => [Linalg.MatrixNorm(x[0])],
        ["matrix_norm_nuc"] = x => [Linalg.MatrixNorm(x[0], "nuc")],
        ["matrix_norm_one"] = x => [Linalg.MatrixNorm(x[0], 1)],
        ["matrix_norm_neg_one"] = x => [Linalg.MatrixNorm(x[0], -1)],
        ["matrix_norm_inf_keepdim"] = x => [Linalg.MatrixNorm(x[0], double.PositiveInfinity, keepdim: true)],
        ["matrix_norm_two"] = x => [Linalg.MatrixNorm(x[0], 2, 2, 0)],
        ["matrix_norm_neg_two"] = x => [Linalg.MatrixNorm(x[0], -2)],
    };

    public static IEnumerable<string> CaseNames => Ops.Keys;

    [TestCaseSource(nameof(CaseNames))]
    public void MatchesPyTorch(string name) => ShapeReference.Check(name, Ops[name]);

    [Test]
    public void FactorizationsReconstructTheInput()
    {
        using TensorScope scope = Torch.NewScope();
        // The sine pattern has rank 2; the added identity makes the matrices full rank.
        Tensor a = AutogradTestUtil.Pattern([2, 4, 3], 0.3) + Torch.Eye(4, 3, DType.Float64);
        var (q, r) = Linalg.Qr(a);
        AssertClose(q.MatMul(r), a);
        AssertClose(q.MT.MatMul(q), Torch.Eye(3, null, DType.Float64).Expand(2, 3, 3));
        var (u, s, vh) = Linalg.Svd(a, fullMatrices: false);
        AssertClose(u.MatMul(s.DiagEmbed()).MatMul(vh), a);
        var (uf, _, vhf) = Linalg.Svd(a);
        Assert.That(uf.Shape.ToArray(), Is.EqualTo(new long[] { 2, 4, 4 }));
        Assert.That(vhf.Shape.ToArray(), Is.EqualTo(new long[] { 2, 3, 3 }));
        Tensor sym = a.MT.MatMul(a);
        var (w, v) = Linalg.Eigh(sym);
        AssertClose(v.MatMul(w.DiagEmbed()).MatMul(v.MT), sym);
        Tensor l = Linalg.Cholesky(sym);
        AssertClose(l.MatMul(l.MT), sym);
    }

    [Test]
    public void LibraryStillNeedsOnlyTheCRuntime()
    {
        // LAPACK comes from the static OpenBLAS; a Fortran runtime must not have become a dependency.
        string lib = Path.Combine(TestContext.CurrentContext.TestDirectory, "libember.so");
        Assume.That(File.Exists(lib), Is.True, "libember.so is not beside the tests");
        Assert.That(File.ReadAllBytes(lib).AsSpan().IndexOf("libgfortran"u8), Is.EqualTo(-1));
    }

    [Test]
    public void Errors()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor singular = Torch.Zeros([3, 3], DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => Linalg.Inv(singular))!;
        Assert.That(e.Message, Does.Contain("linalg.inv").And.Contain("singular"));
        Assert.Throws<ArgumentException>(() => Linalg.Solve(singular, Torch.Ones([3], DType.Float64)));
        var c = Assert.Throws<ArgumentException>(() => Linalg.Cholesky(Torch.Eye(3, null, DType.Float64) * -1.0))!;
        Assert.That(c.Message, Does.Contain("positive-definite"));
        Assert.Throws<ShapeMismatchException>(() => Linalg.Inv(Torch.Zeros([2, 3], DType.Float64)));
        Assert.Throws<DTypeException>(() => Linalg.Inv(Torch.Zeros([2, 2], DType.Int64)));
        var m = Assert.Throws<ShapeMismatchException>(() => Torch.Zeros(2, 3).Mm(Torch.Zeros(2, 3)))!;
        Assert.That(m.Message, Does.Contain("mm").Or.Contain("matmul"));
        Assert.Throws<ShapeMismatchException>(() => Torch.Zeros(3).Mm(Torch.Zeros(3, 3)));
        Assert.Throws<ArgumentException>(() => Torch.Einsum("ij,jk->ik", Torch.Zeros(2, 3)));
        Assert.Throws<ShapeMismatchException>(() => Torch.Einsum("ij,jk->ik", Torch.Zeros(2, 3), Torch.Zeros(4, 2)));
        Assert.Throws<ArgumentException>(() => Torch.Einsum("ij->iz", Torch.Zeros(2, 3)));
        Assert.That(Linalg.Det(singular).Item<double>(), Is.EqualTo(0));
    }

    private static void AssertClose(Tensor actual, Tensor expected, double tol = 1e-10)
    {
        double[] a = Assertions.Values(actual), e = Assertions.Values(expected);
        Assert.That(a, Has.Length.EqualTo(e.Length));
        for (int i = 0; i < a.Length; i++)
            Assert.That(a[i], Is.EqualTo(e[i]).Within(tol), $"element {i}");
    }
}
