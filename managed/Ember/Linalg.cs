using System.Text;
using Ember.Interop;

namespace Ember;

// Matrix products (torch.mm, bmm, addmm, einsum, kron, ...) on Tensor and Torch.
public unsafe partial class Tensor
{
    /// <summary>The product of two matrices (<c>torch.mm</c>).</summary>
    public Tensor Mm(Tensor mat2) { ember_tensor r; return Derivatives.MatMul(Wrap(NativeMethods.ember_mm(Handle, mat2.Handle, &r), r, this, mat2), this, mat2); }

    /// <summary>Products of matching matrices of two [b, n, m] batches (<c>torch.bmm</c>).</summary>
    public Tensor Bmm(Tensor mat2) { ember_tensor r; return Derivatives.MatMul(Wrap(NativeMethods.ember_bmm(Handle, mat2.Handle, &r), r, this, mat2), this, mat2); }

    /// <summary>A matrix times a vector (<c>torch.mv</c>).</summary>
    public Tensor Mv(Tensor vec) { ember_tensor r; return Derivatives.MatMul(Wrap(NativeMethods.ember_mv(Handle, vec.Handle, &r), r, this, vec), this, vec); }

    /// <summary>The dot product of two 1-d tensors of one dtype (<c>torch.dot</c>).</summary>
    public Tensor Dot(Tensor other) { ember_tensor r; return Derivatives.MatMul(Wrap(NativeMethods.ember_dot(Handle, other.Handle, &r), r, this, other), this, other); }

    /// <summary>The dot product, conjugating this tensor (the same as <see cref="Dot"/> for real dtypes) (<c>torch.vdot</c>).</summary>
    public Tensor Vdot(Tensor other) { ember_tensor r; return Derivatives.MatMul(Wrap(NativeMethods.ember_vdot(Handle, other.Handle, &r), r, this, other), this, other); }

    /// <summary>The outer product of two 1-d tensors (<c>torch.outer</c>).</summary>
    public Tensor Outer(Tensor vec2) { ember_tensor r; return Derivatives.Outer(Wrap(NativeMethods.ember_outer(Handle, vec2.Handle, &r), r, this, vec2), this, vec2); }

    /// <summary><paramref name="beta"/> * this + <paramref name="alpha"/> * (mat1 @ mat2) (<c>torch.addmm</c>).</summary>
    public Tensor Addmm(Tensor mat1, Tensor mat2, double beta = 1, double alpha = 1) =>
        AddProduct(NativeMethods.ember_addmm, mat1, mat2, beta, alpha, AddmmKind.Mm);

    /// <summary><paramref name="beta"/> * this + <paramref name="alpha"/> * the sum of batch1[i] @ batch2[i] (<c>torch.addbmm</c>).</summary>
    public Tensor Addbmm(Tensor batch1, Tensor batch2, double beta = 1, double alpha = 1) =>
        AddProduct(NativeMethods.ember_addbmm, batch1, batch2, beta, alpha, AddmmKind.Addbmm);

    /// <summary><paramref name="beta"/> * this + <paramref name="alpha"/> * (batch1 @ batch2) per batch (<c>torch.baddbmm</c>).</summary>
    public Tensor Baddbmm(Tensor batch1, Tensor batch2, double beta = 1, double alpha = 1) =>
        AddProduct(NativeMethods.ember_baddbmm, batch1, batch2, beta, alpha, AddmmKind.Baddbmm);

    internal enum AddmmKind
    {
        Mm,
        Addbmm,
        Baddbmm,
    }

    private delegate ember_status AddProductCall(ember_tensor input, ember_tensor a, ember_tensor b, ember_scalar beta, ember_scalar alpha, ember_tensor* @out);

    private Tensor AddProduct(AddProductCall call, Tensor a, Tensor b, double beta, double alpha, AddmmKind kind)
    {
        ember_tensor r;
        ember_status s = call(Handle, a.Handle, b.Handle, ValueOf(beta), ValueOf(alpha), &r);
        GC.KeepAlive(a);
        Tensor result = Wrap(s, r, this, b);
        return Derivatives.Addmm(result, this, a, b, beta, alpha, kind);
    }

    /// <summary>The Kronecker product (<c>torch.kron</c>).</summary>
    public Tensor Kron(Tensor other) { ember_tensor r; return Derivatives.Kron(Wrap(NativeMethods.ember_kron(Handle, other.Handle, &r), r, this, other), this, other); }

    /// <summary>The sum of the main diagonal of a matrix (<c>torch.trace</c>).</summary>
    public Tensor Trace() { ember_tensor r; return Derivatives.Trace(Wrap(NativeMethods.ember_trace(Handle, &r), r, this), this); }
}

public static unsafe partial class Torch
{
    /// <summary>
    /// Sums products of the operands' elements as the equation says (<c>torch.einsum</c>), e.g. "bij,bjk->bik";
    /// "..." broadcasts, and without "->" the output holds the subscripts that appear once, in alphabetical
    /// order. Contractions run as matrix products.
    /// </summary>
    public static Ember.Tensor Einsum(string equation, params ReadOnlySpan<Ember.Tensor> operands)
    {
        ArgumentNullException.ThrowIfNull(equation);
        byte[] eq = Encoding.ASCII.GetBytes(equation + "\0");
        ember_tensor[] handles = Ember.Tensor.HandlesOf(operands);
        ember_tensor r;
        ember_status s;
        fixed (byte* e = eq)
        fixed (ember_tensor* h = handles)
            s = NativeMethods.ember_einsum(e, h, handles.Length, &r);
        Ember.Tensor.KeepAlive(operands);
        return Derivatives.Einsum(Ember.Tensor.Wrap(s, r), equation, operands);
    }
}

/// <summary>
/// <c>torch.linalg</c>: matrix functions of float32/float64 tensors [..., m, n], applied to every matrix of the
/// batch, through the LAPACK inside Ember's native library.
/// </summary>
public static unsafe class Linalg
{
    /// <summary>The inverse of square matrices (<c>torch.linalg.inv</c>).</summary>
    /// <exception cref="ArgumentException">A matrix is singular.</exception>
    public static Tensor Inv(Tensor a) { ember_tensor r; return Derivatives.LinalgInv(Tensor.Wrap(NativeMethods.ember_linalg_inv(a.Handle, &r), r, a), a); }

    /// <summary>The determinant of square matrices (<c>torch.linalg.det</c>).</summary>
    public static Tensor Det(Tensor a) { ember_tensor r; return Derivatives.LinalgDet(Tensor.Wrap(NativeMethods.ember_linalg_det(a.Handle, &r), r, a), a); }

    /// <summary>The sign and the log of the absolute value of the determinant (<c>torch.linalg.slogdet</c>); sign 0 and -inf for singular matrices.</summary>
    public static (Tensor Sign, Tensor LogAbsDet) Slogdet(Tensor a)
    {
        ember_tensor s, l;
        Tensor.Check(NativeMethods.ember_linalg_slogdet(a.Handle, &s, &l), a);
        var sign = new Tensor(s);
        return (sign, Derivatives.LinalgSlogdet(new Tensor(l), a));
    }

    /// <summary>X with a @ X = b; b is [..., n, k] or a vector per matrix; batch dims broadcast (<c>torch.linalg.solve</c>).</summary>
    /// <exception cref="ArgumentException">A matrix is singular.</exception>
    public static Tensor Solve(Tensor a, Tensor b)
    {
        ember_tensor r;
        return Derivatives.LinalgSolve(Tensor.Wrap(NativeMethods.ember_linalg_solve(a.Handle, b.Handle, &r), r, a, b), a, b);
    }

    /// <summary>The lower triangular L with a = L Lᵀ, or the upper U with a = Uᵀ U (<c>torch.linalg.cholesky</c>).</summary>
    /// <exception cref="ArgumentException">A matrix is not positive-definite.</exception>
    public static Tensor Cholesky(Tensor a, bool upper = false)
    {
        ember_tensor r;
        return Derivatives.LinalgCholesky(Tensor.Wrap(NativeMethods.ember_linalg_cholesky(a.Handle, upper ? 1 : 0, &r), r, a), a, upper);
    }

    /// <summary>
    /// Q and R with a = Q R (<c>torch.linalg.qr</c>); mode is "reduced", "complete" or "r" (Q is then empty).
    /// Differentiable in the modes PyTorch differentiates: "reduced", and "complete" when m ≤ n.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown mode.</exception>
    public static (Tensor Q, Tensor R) Qr(Tensor a, string mode = "reduced")
    {
        ember_qr_mode m = mode switch
        {
            "reduced" => ember_qr_mode.EMBER_QR_REDUCED,
            "complete" => ember_qr_mode.EMBER_QR_COMPLETE,
            "r" => ember_qr_mode.EMBER_QR_R,
            _ => throw new ArgumentException($"linalg.qr: mode must be \"reduced\", \"complete\" or \"r\", got \"{mode}\"", nameof(mode)),
        };
        ember_tensor q, r;
        Tensor.Check(NativeMethods.ember_linalg_qr(a.Handle, (int)m, &q, &r), a);
        return Derivatives.LinalgQr(new Tensor(q), new Tensor(r), a, mode);
    }

    /// <summary>
    /// U, S (descending) and Vh with a = U diag(S) Vh (<c>torch.linalg.svd</c>). Differentiable; gradients through U
    /// and Vh need distinct singular values and, with <paramref name="fullMatrices"/>, only use the first min(m, n)
    /// columns of U (rows of Vh), as in PyTorch.
    /// </summary>
    public static (Tensor U, Tensor S, Tensor Vh) Svd(Tensor a, bool fullMatrices = true)
    {
        ember_tensor u, s, vh;
        Tensor.Check(NativeMethods.ember_linalg_svd(a.Handle, fullMatrices ? 1 : 0, &u, &s, &vh), a);
        return Derivatives.LinalgSvd(new Tensor(u), new Tensor(s), new Tensor(vh), a, fullMatrices);
    }

    /// <summary>The eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices, read from the lower triangle ("L") or the upper ("U") (<c>torch.linalg.eigh</c>).</summary>
    public static (Tensor Eigenvalues, Tensor Eigenvectors) Eigh(Tensor a, string uplo = "L")
    {
        if (uplo != "L" && uplo != "U")
            throw new ArgumentException($"linalg.eigh: UPLO must be \"L\" or \"U\", got \"{uplo}\"", nameof(uplo));
        ember_tensor w, v;
        Tensor.Check(NativeMethods.ember_linalg_eigh(a.Handle, uplo == "U" ? 1 : 0, &w, &v), a);
        return Derivatives.LinalgEigh(new Tensor(w), new Tensor(v), a);
    }

    /// <summary>
    /// The least-squares solution X of a @ X = b; the minimum-norm one for rank-deficient a
    /// (<c>torch.linalg.lstsq(...).solution</c>). When an input requires grad it is computed as pinv(a) @ b, so that
    /// gradients flow.
    /// </summary>
    public static Tensor Lstsq(Tensor a, Tensor b)
    {
        if ((a._requiresGrad || b._requiresGrad) && GradMode.IsEnabled)
        {
            using Tensor p = Pinv(a);
            bool vector = b.Dim == a.Dim - 1;
            if (!vector)
                return p.MatMul(b);
            using Tensor column = b.Unsqueeze(-1);
            using Tensor x = p.MatMul(column);
            return x.Squeeze(-1);
        }
        ember_tensor r;
        return Tensor.Wrap(NativeMethods.ember_linalg_lstsq(a.Handle, b.Handle, &r), r, a, b);
    }

    /// <summary>
    /// The Moore-Penrose pseudo-inverse; singular values below rtol times the largest count as zero (default:
    /// eps * max(m, n)) (<c>torch.linalg.pinv</c>). When a requires grad it is built from the differentiable SVD.
    /// </summary>
    public static Tensor Pinv(Tensor a, double? rtol = null)
    {
        if (a._requiresGrad && GradMode.IsEnabled)
            return ComposedPinv(a, rtol);
        ember_tensor r;
        return Tensor.Wrap(NativeMethods.ember_linalg_pinv(a.Handle, rtol ?? -1, &r), r, a);
    }

    // Vh^T diag(1/s) U^T, with the singular values under the cutoff (a constant mask) dropped.
    private static Tensor ComposedPinv(Tensor a, double? rtol)
    {
        long[] shape = a.ShapeArray;
        long m = shape[^2], n = shape[^1];
        double tol = rtol ?? (a.DType == DType.Float32 ? 1.1920928955078125e-07 : 2.220446049250313e-16) * Math.Max(m, n); // eps of the dtype
        (Tensor u, Tensor s, Tensor vh) = Svd(a, fullMatrices: false);
        using (u)
        using (s)
        using (vh)
        {
            Tensor cutoff;
            using (Tensor top = s.Detach().Narrow(-1, 0, Math.Min(1, s.ShapeArray[^1])))
                cutoff = top * tol;
            using (cutoff)
            using (Tensor small = s.Detach().Le(cutoff))
            using (Tensor safe = s.MaskedFill(small, 1.0))
            using (Tensor inv0 = safe.Reciprocal())
            using (Tensor inv = inv0.MaskedFill(small, 0.0))
            using (Tensor v = vh.MT)
            using (Tensor scaled = v * inv.Unsqueeze(-2))
            using (Tensor ut = u.MT)
                return scaled.MatMul(ut);
        }
    }

    /// <summary>The <paramref name="ord"/>-norm over <paramref name="dims"/> (all elements when empty): any p, ±∞ (max/min of |x|), 0 (count of non-zeros) (<c>torch.linalg.vector_norm</c>).</summary>
    public static Tensor VectorNorm(Tensor x, double ord = 2, int[]? dims = null, bool keepdim = false)
    {
        dims ??= [];
        ember_tensor r;
        Tensor result;
        fixed (int* d = dims)
            result = Tensor.Wrap(NativeMethods.ember_linalg_vector_norm(x.Handle, ord, d, dims.Length, keepdim ? 1 : 0, &r), r, x);
        return Derivatives.VectorNorm(result, x, ord, dims, keepdim);
    }

    /// <summary>
    /// A matrix norm over dims (dim0, dim1) (<c>torch.linalg.matrix_norm</c>): ord "fro", "nuc", or a number: 1/-1
    /// (max/min column sum), ∞/-∞ (max/min row sum), 2/-2 (largest/smallest singular value). Differentiable.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown ord.</exception>
    public static Tensor MatrixNorm(Tensor x, string ord = "fro", int dim0 = -2, int dim1 = -1, bool keepdim = false)
    {
        ember_matrix_norm o = ord switch
        {
            "fro" => ember_matrix_norm.EMBER_NORM_FRO,
            "nuc" => ember_matrix_norm.EMBER_NORM_NUC,
            _ => throw new ArgumentException($"linalg.matrix_norm: ord must be \"fro\", \"nuc\" or a number, got \"{ord}\"", nameof(ord)),
        };
        if (o == ember_matrix_norm.EMBER_NORM_FRO)
            return VectorNorm(x, 2, [dim0, dim1], keepdim);
        return MatrixNorm(x, o, dim0, dim1, keepdim);
    }

    /// <summary>
    /// A matrix norm over dims (dim0, dim1) built from differentiable ops, for inputs that require grad: the
    /// singular values' norms for "nuc" and ±2, the column or row sums' extremes for ±1 and ±∞.
    /// </summary>
    private static Tensor ComposedMatrixNorm(Tensor x, ember_matrix_norm ord, int dim0, int dim1, bool keepdim)
    {
        int n = x.Dim;
        int d0 = Tensor.NormalizeDim(dim0, n), d1 = Tensor.NormalizeDim(dim1, n);
        Tensor r;
        switch (ord)
        {
            case ember_matrix_norm.EMBER_NORM_NUC or ember_matrix_norm.EMBER_NORM_TWO or ember_matrix_norm.EMBER_NORM_NEG_TWO:
                {
                    using Tensor moved = x.Movedim([d0, d1], [-2, -1]);
                    (Tensor u, Tensor s, Tensor vh) = Svd(moved, fullMatrices: false);
                    u.Dispose();
                    vh.Dispose();
                    double p = ord == ember_matrix_norm.EMBER_NORM_NUC ? 1 : ord == ember_matrix_norm.EMBER_NORM_TWO ? double.PositiveInfinity : double.NegativeInfinity;
                    using (s)
                        r = VectorNorm(s, p, [-1]);
                    break;
                }
            default:
                {
                    bool cols = ord is ember_matrix_norm.EMBER_NORM_ONE or ember_matrix_norm.EMBER_NORM_NEG_ONE;
                    double p = ord is ember_matrix_norm.EMBER_NORM_ONE or ember_matrix_norm.EMBER_NORM_INF ? double.PositiveInfinity : double.NegativeInfinity;
                    using Tensor sums = VectorNorm(x, 1, [cols ? d0 : d1], keepdim: true);
                    using Tensor picked = VectorNorm(sums, p, [cols ? d1 : d0], keepdim: true);
                    r = picked.Squeeze(Math.Max(d0, d1)).Squeeze(Math.Min(d0, d1));
                    break;
                }
        }
        if (!keepdim)
            return r;
        using (r)
        using (Tensor once = r.Unsqueeze(Math.Min(d0, d1)))
            return once.Unsqueeze(Math.Max(d0, d1));
    }

    /// <summary>A numeric matrix norm: 1/-1 (max/min column sum), ±∞ (max/min row sum), 2/-2 (largest/smallest singular value) (<c>torch.linalg.matrix_norm</c>).</summary>
    /// <exception cref="ArgumentException">An ord other than ±1, ±2, ±∞.</exception>
    public static Tensor MatrixNorm(Tensor x, double ord, int dim0 = -2, int dim1 = -1, bool keepdim = false)
    {
        ember_matrix_norm o = ord switch
        {
            1 => ember_matrix_norm.EMBER_NORM_ONE,
            -1 => ember_matrix_norm.EMBER_NORM_NEG_ONE,
            2 => ember_matrix_norm.EMBER_NORM_TWO,
            -2 => ember_matrix_norm.EMBER_NORM_NEG_TWO,
            double.PositiveInfinity => ember_matrix_norm.EMBER_NORM_INF,
            double.NegativeInfinity => ember_matrix_norm.EMBER_NORM_NEG_INF,
            _ => throw new ArgumentException($"linalg.matrix_norm: ord must be 1, -1, 2, -2, inf or -inf, got {ord}", nameof(ord)),
        };
        return MatrixNorm(x, o, dim0, dim1, keepdim);
    }

    private static Tensor MatrixNorm(Tensor x, ember_matrix_norm ord, int dim0, int dim1, bool keepdim)
    {
        if (x._requiresGrad && GradMode.IsEnabled)
            return ComposedMatrixNorm(x, ord, dim0, dim1, keepdim);
        ember_tensor r;
        return Tensor.Wrap(NativeMethods.ember_linalg_matrix_norm(x.Handle, (int)ord, dim0, dim1, keepdim ? 1 : 0, &r), r, x);
    }
}
