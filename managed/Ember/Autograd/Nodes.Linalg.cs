namespace Ember;

// Backward formulas of the matrix products and torch.linalg ops, written with Ember ops (so they can be
// differentiated again).

/// <summary>outer(a, b): g @ b and gᵀ @ a.</summary>
internal sealed class OuterBackward(SavedTensor a, SavedTensor b) : IndexingNode(a, b)
{
    public override string Name => "OuterBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor? ga = NeedsGrad(0) ? g.Mv(Unpack(1)!) : null;
        Tensor? gb = null;
        if (NeedsGrad(1))
        {
            using Tensor gt = g.T;
            gb = gt.Mv(Unpack(0)!);
        }
        return [ga, gb];
    }
}

/// <summary>addmm / addbmm / baddbmm: beta times the gradient for input, alpha times the matmul gradients for the factors.</summary>
internal sealed class AddmmBackward(Tensor.AddmmKind kind, long[] inputShape, DType inputType, double beta, double alpha, SavedTensor a, SavedTensor b)
    : IndexingNode(a, b)
{
    public override string Name => kind switch
    {
        Tensor.AddmmKind.Mm => "AddmmBackward0",
        Tensor.AddmmKind.Addbmm => "AddbmmBackward0",
        _ => "BaddbmmBackward0",
    };

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor? gi = null, ga = null, gb = null;
        if (NeedsGrad(0))
            gi = Grads.ToInput(beta == 1 ? g.Alias() : g * beta, true, inputShape, inputType);
        if (NeedsGrad(1))
        {
            using Tensor bt = Unpack(1)!.MT;
            using Tensor p = g.MatMul(bt);
            ga = alpha == 1 ? p.Alias() : p * alpha;
        }
        if (NeedsGrad(2))
        {
            using Tensor at = Unpack(0)!.MT;
            using Tensor p = at.MatMul(g);
            gb = alpha == 1 ? p.Alias() : p * alpha;
        }
        return [gi, ga, gb];
    }
}

/// <summary>kron(a, b): the gradient seen as [a0, b0, a1, b1, ...], multiplied by the other factor and summed over its dims.</summary>
internal sealed class KronBackward(SavedTensor a, SavedTensor b) : IndexingNode(a, b)
{
    public override string Name => "KronBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor a = Unpack(0)!, b = Unpack(1)!;
        int n = Math.Max(a.Dim, b.Dim);
        long[] sa = Padded(a.ShapeArray, n), sb = Padded(b.ShapeArray, n);
        var split = new long[2 * n];
        var aView = new long[2 * n];
        var bView = new long[2 * n];
        var aDims = new int[n];
        var bDims = new int[n];
        for (int i = 0; i < n; i++)
        {
            split[2 * i] = sa[i];
            split[2 * i + 1] = sb[i];
            aView[2 * i] = sa[i];
            aView[2 * i + 1] = 1;
            bView[2 * i] = 1;
            bView[2 * i + 1] = sb[i];
            aDims[i] = 2 * i;
            bDims[i] = 2 * i + 1;
        }
        using Tensor gs = g.Reshape(split);
        Tensor? ga = null, gb = null;
        if (NeedsGrad(0))
        {
            using Tensor bv = b.Reshape(bView);
            using Tensor p = gs * bv;
            using Tensor s = p.Sum(bDims);
            ga = s.Reshape(a.ShapeArray);
        }
        if (NeedsGrad(1))
        {
            using Tensor av = a.Reshape(aView);
            using Tensor p = gs * av;
            using Tensor s = p.Sum(aDims);
            gb = s.Reshape(b.ShapeArray);
        }
        return [ga, gb];
    }

    private static long[] Padded(long[] s, int n)
    {
        var r = new long[n];
        for (int i = 0; i < n; i++)
            r[i] = i < n - s.Length ? 1 : s[i - (n - s.Length)];
        return r;
    }
}

/// <summary>trace: the gradient on the main diagonal.</summary>
internal sealed class TraceBackward(long[] shape, DType dtype) : Autograd.Node
{
    public override string Name => "TraceBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        using Tensor eye = Torch.Eye(shape[0], shape[1], grads[0]!.DType, grads[0]!.Device);
        Tensor g = eye * grads[0]!;
        return [g.DType == dtype ? g : Grads.ToInput(g, true, shape, dtype)];
    }
}

/// <summary>
/// einsum: the gradient of operand i is an einsum of the output gradient with the other operands. A
/// subscript repeated in operand i becomes a pair tied by an identity matrix, and one summed away by the
/// forward is brought back by a ones vector.
/// </summary>
internal sealed class EinsumBackward(string equation, long[][] shapes, SavedTensor[] operands) : IndexingNode(operands)
{
    public override string Name => "EinsumBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        (List<string> terms, string output) = Explicit(equation, shapes);
        var sizes = new Dictionary<char, long>();
        for (int k = 0; k < terms.Count; k++)
            for (int i = 0; i < terms[k].Length; i++)
                sizes[terms[k][i]] = Math.Max(sizes.GetValueOrDefault(terms[k][i], 1), shapes[k][i]);
        var result = new Tensor?[terms.Count];
        for (int k = 0; k < terms.Count; k++)
        {
            if (!NeedsGrad(k))
                continue;
            var subs = new List<string> { output };
            var inputs = new List<Tensor> { g };
            var extra = new List<Tensor>();
            for (int j = 0; j < terms.Count; j++)
            {
                if (j == k)
                    continue;
                subs.Add(terms[j]);
                inputs.Add(Unpack(j)!);
            }
            string present = string.Concat(subs);
            var target = new System.Text.StringBuilder();
            var used = new HashSet<char>(present + terms[k]);
            foreach (char c in terms[k])
            {
                char name = c;
                if (target.ToString().Contains(c))
                {
                    // A repeated subscript: a fresh one, tied to the first by an identity matrix.
                    name = Fresh(used);
                    Tensor eye = Torch.Eye(sizes[c], null, g.DType, g.Device);
                    extra.Add(eye);
                    subs.Add($"{c}{name}");
                    inputs.Add(eye);
                }
                else if (!present.Contains(c))
                {
                    Tensor ones = Torch.Ones([sizes[c]], g.DType, g.Device);
                    extra.Add(ones);
                    subs.Add(c.ToString());
                    inputs.Add(ones);
                    present += c;
                }
                target.Append(name);
            }
            Tensor r = Torch.Einsum($"{string.Join(",", subs)}->{target}", inputs.ToArray());
            foreach (Tensor t in extra)
                t.Dispose();
            result[k] = Grads.ToInput(r, true, shapes[k], Unpack(k)!.DType);
        }
        return result;
    }

    private static char Fresh(HashSet<char> used)
    {
        for (char c = 'a'; c <= 'z'; c++)
            if (used.Add(c))
                return c;
        for (char c = 'A'; c <= 'Z'; c++)
            if (used.Add(c))
                return c;
        throw new AutogradException("einsum backward: the equation uses every subscript letter");
    }

    /// <summary>The equation with "..." spelled out as letters and the output made explicit.</summary>
    private static (List<string> Terms, string Output) Explicit(string equation, long[][] shapes)
    {
        string eq = equation.Replace(" ", "");
        int arrow = eq.IndexOf("->", StringComparison.Ordinal);
        string lhs = arrow < 0 ? eq : eq[..arrow];
        List<string> terms = [.. lhs.Split(',')];
        var used = new HashSet<char>(eq.Where(char.IsLetter));
        int maxEll = 0;
        for (int k = 0; k < terms.Count; k++)
            if (terms[k].Contains("..."))
                maxEll = Math.Max(maxEll, shapes[k].Length - (terms[k].Length - 3));
        var ell = new char[maxEll];
        for (int i = 0; i < maxEll; i++)
            ell[i] = Fresh(used);
        string Spell(string t, int rank) => t.Replace("...", new string(ell[(maxEll - rank)..]));
        for (int k = 0; k < terms.Count; k++)
            if (terms[k].Contains("..."))
                terms[k] = Spell(terms[k], shapes[k].Length - (terms[k].Length - 3));
        string output;
        if (arrow >= 0)
        {
            output = Spell(eq[(arrow + 2)..], maxEll);
        }
        else
        {
            var counts = new Dictionary<char, int>();
            foreach (char c in string.Concat(terms))
                counts[c] = counts.GetValueOrDefault(c) + 1;
            string named = new string(counts.Where(kv => kv.Value == 1 && !ell.Contains(kv.Key)).Select(kv => kv.Key)
                .OrderBy(c => char.IsUpper(c) ? 26 + c - 'A' : c - 'a').ToArray());
            output = new string(ell) + named;
        }
        return (terms, output);
    }
}

/// <summary>linalg.inv: -A⁻ᵀ g A⁻ᵀ.</summary>
internal sealed class LinalgInvBackward : Autograd.Node
{
    public SavedTensor? Result;

    public override string Name => "LinalgInvExBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        using Tensor invT = Result!.Unpack(this).MT;
        using Tensor left = invT.MatMul(grads[0]!);
        using Tensor p = left.MatMul(invT);
        return [-p];
    }

    internal override void ReleaseSaved() => Result?.Release();
}

/// <summary>linalg.det: g det A⁻ᵀ; slogdet's logabsdet: g A⁻ᵀ.</summary>
internal sealed class LinalgDetBackward(SavedTensor a, bool logDet) : IndexingNode(a)
{
    public SavedTensor? Result;

    public override string Name => logDet ? "LinalgSlogdetBackward0" : "LinalgDetBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        using Tensor g = grads[0]!.Unsqueeze(-1);
        using Tensor g2 = g.Unsqueeze(-1);
        using Tensor inv = Linalg.Inv(Unpack(0)!);
        using Tensor invT = inv.MT;
        if (logDet)
            return [g2 * invT];
        using Tensor det = Result!.Unpack(this).Unsqueeze(-1);
        using Tensor det2 = det.Unsqueeze(-1);
        using Tensor scale = g2 * det2;
        return [scale * invT];
    }

    internal override void ReleaseSaved()
    {
        base.ReleaseSaved();
        Result?.Release();
    }
}

/// <summary>linalg.solve: gB = solve(Aᵀ, g), gA = -gB Xᵀ (reduced to the inputs' broadcast shapes).</summary>
internal sealed class LinalgSolveBackward(SavedTensor a, long[] aShape, long[] bShape, bool vector) : IndexingNode(a)
{
    public SavedTensor? Result;

    public override string Name => "LinalgSolveExBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        using Tensor at = Unpack(0)!.MT;
        Tensor gb = Linalg.Solve(at, g);
        Tensor? ga = null;
        if (NeedsGrad(0))
        {
            Tensor x = Result!.Unpack(this);
            using Tensor gbm = vector ? gb.Unsqueeze(-1) : gb.Alias();
            using Tensor xm = vector ? x.Unsqueeze(-1) : x.Alias();
            using Tensor xt = xm.MT;
            using Tensor p = gbm.MatMul(xt);
            ga = Grads.ToInput(-p, true, aShape, p.DType);
        }
        Tensor? gbOut = NeedsGrad(1) ? Grads.ToInput(gb, true, bShape, gb.DType) : null;
        if (gbOut is null)
            gb.Dispose();
        return [ga, gbOut];
    }

    internal override void ReleaseSaved()
    {
        base.ReleaseSaved();
        Result?.Release();
    }
}

/// <summary>linalg.cholesky: A's gradient L⁻ᵀ Φ(Lᵀ gL) L⁻¹, symmetrised (Φ: the lower triangle with the diagonal halved).</summary>
internal sealed class LinalgCholeskyBackward(bool upper) : Autograd.Node
{
    public SavedTensor? Result;

    public override string Name => "LinalgCholeskyExBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor r = Result!.Unpack(this);
        using Tensor l = upper ? r.MT : r.Alias();
        using Tensor gl = upper ? grads[0]!.MT : grads[0]!.Alias();
        using Tensor lt = l.MT;
        using Tensor p = lt.MatMul(gl);
        using Tensor low = p.Tril();
        using Tensor d = p.Diagonal(0, -2, -1);
        using Tensor half = d * 0.5;
        using Tensor dHalf = half.DiagEmbed();
        using Tensor phi = low - dHalf;
        using Tensor linv = Linalg.Inv(l);
        using Tensor linvT = linv.MT;
        using Tensor left = linvT.MatMul(phi);
        using Tensor s = left.MatMul(linv);
        using Tensor st = s.MT;
        using Tensor sum = s + st;
        return [sum * 0.5];
    }

    internal override void ReleaseSaved() => Result?.Release();
}

/// <summary>linalg.eigh: V (diag(gλ) + F ∘ (Vᵀ gV)) Vᵀ with F_ij = 1 / (λ_j - λ_i) off the diagonal.</summary>
internal sealed class LinalgEighBackward : Autograd.Node
{
    public SavedTensor? Values, Vectors;

    public override string Name => "LinalgEighBackward0";

    internal override int NumOutputs => 2;

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor w = Values!.Unpack(this), v = Vectors!.Unpack(this);
        using Tensor vt = v.MT;
        Tensor? inner = null;
        if (grads[1] is { } gv)
        {
            using Tensor wj = w.Unsqueeze(-2);
            using Tensor wi = w.Unsqueeze(-1);
            using Tensor e = wj - wi;
            long n = w.ShapeArray[^1];
            using Tensor eye = Torch.Eye(n, null, DType.Bool, w.Device);
            using Tensor safe = e.MaskedFill(eye, 1.0);
            using Tensor f0 = safe.Reciprocal();
            using Tensor f = f0.MaskedFill(eye, 0.0);
            using Tensor vtg = vt.MatMul(gv);
            inner = f * vtg;
        }
        if (grads[0] is { } gw)
        {
            using Tensor dw = gw.DiagEmbed();
            Tensor sum = inner is null ? dw.Alias() : inner + dw;
            inner?.Dispose();
            inner = sum;
        }
        using (inner)
        {
            using Tensor left = v.MatMul(inner!);
            return [left.MatMul(vt)];
        }
    }

    internal override void ReleaseSaved()
    {
        Values?.Release();
        Vectors?.Release();
    }
}

/// <summary>
/// linalg.svd (Townsend, "Differentiating the singular value decomposition"):
/// gA = U [(F ∘ (UᵀgU - gUᵀU)) S + diag(gS) + S (F ∘ (VᵀgV - gVᵀV))] Vᵀ + (I - UUᵀ) gU S⁻¹ Vᵀ + U S⁻¹ gVᵀ (I - VVᵀ),
/// F_ij = 1 / (s_j² - s_i²) off the diagonal. Singular values must be distinct for the U/Vh terms.
/// </summary>
internal sealed class LinalgSvdBackward(bool fullMatrices) : Autograd.Node
{
    public SavedTensor? U, S, Vh;

    public override string Name => "LinalgSvdBackward0";

    internal override int NumOutputs => 3;

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor u = U!.Unpack(this), s = S!.Unpack(this), vh = Vh!.Unpack(this);
        Tensor? gu = grads[0], gs = grads[1], gvh = grads[2];
        long k = s.ShapeArray[^1];
        if (gu is null && gvh is null)
        {
            // Only the singular values: U diag(gS) Vh, using the first k columns / rows.
            using Tensor uk = u.Narrow(-1, 0, k);
            using Tensor vk = vh.Narrow(-2, 0, k);
            using Tensor d = gs!.DiagEmbed();
            using Tensor left = uk.MatMul(d);
            return [left.MatMul(vk)];
        }
        if (fullMatrices)
        {
            // As PyTorch: only the first k columns of U (rows of Vh) take part; gradients on the others are ignored.
            u = u.Narrow(-1, 0, k);
            vh = vh.Narrow(-2, 0, k);
            gu = gu?.Narrow(-1, 0, k);
            gvh = gvh?.Narrow(-2, 0, k);
        }
        using Tensor v = vh.MT;
        using Tensor ut = u.MT;
        using Tensor sDiag = s.DiagEmbed();
        using Tensor sInv = s.Reciprocal();
        using Tensor sInvDiag = sInv.DiagEmbed();
        // F_ij = 1 / (s_j² - s_i²), 0 on the diagonal.
        using Tensor s2 = s * s;
        using Tensor sj = s2.Unsqueeze(-2);
        using Tensor si = s2.Unsqueeze(-1);
        using Tensor diff = sj - si;
        using Tensor eye = Torch.Eye(k, null, DType.Bool, s.Device);
        using Tensor safe = diff.MaskedFill(eye, 1.0);
        using Tensor f0 = safe.Reciprocal();
        using Tensor f = f0.MaskedFill(eye, 0.0);
        Tensor inner = gs is null ? Torch.ZerosLike(sDiag) : gs.DiagEmbed();
        if (gu is not null)
        {
            using Tensor utgu = ut.MatMul(gu);
            using Tensor skew = utgu - utgu.MT;
            using Tensor j = f * skew;
            using Tensor js = j.MatMul(sDiag);
            Tensor next = inner + js;
            inner.Dispose();
            inner = next;
        }
        Tensor? gv = gvh?.MT;
        if (gv is not null)
        {
            using Tensor vtgv = vh.MatMul(gv);
            using Tensor skew = vtgv - vtgv.MT;
            using Tensor kk = f * skew;
            using Tensor sk = sDiag.MatMul(kk);
            Tensor next = inner + sk;
            inner.Dispose();
            inner = next;
        }
        Tensor ga;
        using (inner)
        using (Tensor left = u.MatMul(inner))
            ga = left.MatMul(vh);
        if (gu is not null)
        {
            // (I - U Uᵀ) gU S⁻¹ Vᵀ
            using Tensor proj = u.MatMul(ut.MatMul(gu));
            using Tensor rest = gu - proj;
            using Tensor scaled = rest.MatMul(sInvDiag);
            using Tensor term = scaled.MatMul(vh);
            Tensor next = ga + term;
            ga.Dispose();
            ga = next;
        }
        if (gv is not null)
        {
            // U S⁻¹ gVᵀ (I - V Vᵀ)
            using Tensor gvt = gv.MT;
            using Tensor proj = gvt.MatMul(v).MatMul(vh);
            using Tensor rest = gvt - proj;
            using Tensor scaled = sInvDiag.MatMul(rest);
            using Tensor term = u.MatMul(scaled);
            Tensor next = ga + term;
            ga.Dispose();
            ga = next;
            gv.Dispose();
        }
        return [ga];
    }

    internal override void ReleaseSaved()
    {
        U?.Release();
        S?.Release();
        Vh?.Release();
    }
}

/// <summary>
/// linalg.qr. For square R (m ≥ n, reduced): gA = (gQ + Q copyltu(M)) R⁻ᵀ with M = R gRᵀ - gQᵀ Q and copyltu(M) the
/// symmetric matrix built from M's lower triangle. For m &lt; n, A = [X | Y] and R = [U | V]: X takes the square case
/// with gQ + Y gVᵀ and gU, and Y gets Q gV.
/// </summary>
internal sealed class LinalgQrBackward(string mode, long m, long n) : Autograd.Node
{
    public SavedTensor? Q, R;

    public override string Name => "LinalgQrBackward0";

    internal override int NumOutputs => 2;

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        if (mode == "r")
            throw new AutogradException("linalg.qr: the derivative of mode \"r\" is not defined (Q is not computed); use mode \"reduced\"");
        if (mode == "complete" && m > n)
            throw new AutogradException($"linalg.qr: the derivative of mode \"complete\" is not defined for m > n (here {m} > {n}), as in PyTorch");
        Tensor q = Q!.Unpack(this), r = R!.Unpack(this);
        Tensor gq = grads[0] ?? Torch.ZerosLike(q);
        Tensor gr = grads[1] ?? Torch.ZerosLike(r);
        if (m >= n)
            return [Square(q, r, gq, gr)];
        using Tensor u = r.Narrow(-1, 0, m);
        using Tensor v = r.Narrow(-1, m, n - m);
        using Tensor gu = gr.Narrow(-1, 0, m);
        using Tensor gv = gr.Narrow(-1, m, n - m);
        // Y = Q V (the columns of A after the first m).
        using Tensor y = q.MatMul(v);
        using Tensor gvt = gv.MT;
        using Tensor ygv = y.MatMul(gvt);
        using Tensor gq2 = gq + ygv;
        using Tensor gx = Square(q, u, gq2, gu);
        using Tensor gy = q.MatMul(gv);
        return [Torch.Cat([gx, gy], -1)];
    }

    private static Tensor Square(Tensor q, Tensor r, Tensor gq, Tensor gr)
    {
        using Tensor rt = r.MT;
        using Tensor rgr = r.MatMul(gr.MT);
        using Tensor gqtq = gq.MT.MatMul(q);
        using Tensor mm = rgr - gqtq;
        using Tensor low = mm.Tril(-1);
        using Tensor lowT = low.MT;
        using Tensor d = mm.Diagonal(0, -2, -1).DiagEmbed();
        using Tensor sym = low + lowT + d;
        using Tensor qs = q.MatMul(sym);
        using Tensor b = gq + qs;
        // b R⁻ᵀ = (R⁻¹ bᵀ)ᵀ
        using Tensor bt = b.MT;
        using Tensor x = Linalg.Solve(r, bt);
        return x.MT.Contiguous();
    }

    internal override void ReleaseSaved()
    {
        Q?.Release();
        R?.Release();
    }
}

/// <summary>linalg.vector_norm: g x |x|^(p-2) / ‖x‖^(p-1); for ±∞ the gradient is shared by the elements at the extreme.</summary>
internal sealed class VectorNormBackward(double ord, long[] keepShape, SavedTensor x) : IndexingNode(x)
{
    public SavedTensor? Result;

    public override string Name => "LinalgVectorNormBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor xv = Unpack(0)!;
        using Tensor g = grads[0]!.Reshape(keepShape);
        using Tensor norm = Result!.Unpack(this).Reshape(keepShape);
        if (double.IsInfinity(ord))
        {
            using Tensor ax = xv.Abs();
            using Tensor hit = ax.Eq(norm);
            using Tensor mask = hit.To(xv.DType);
            using Tensor count = mask.Sum(Dims(), keepdim: true);
            using Tensor sign = xv.Sign();
            using Tensor share = g / count;
            using Tensor m = mask * sign;
            return [m * share];
        }
        if (ord == 1)
        {
            using Tensor sign = xv.Sign();
            return [sign * g];
        }
        using Tensor zero = norm.Eq(0.0);
        using Tensor safeNorm = norm.MaskedFill(zero, 1.0);
        if (ord == 2)
        {
            using Tensor q = g / safeNorm;
            using Tensor r = xv * q;
            return [r.MaskedFill(zero, 0.0)];
        }
        using Tensor ab = xv.Abs();
        using Tensor pw = ab.Pow(ord - 2);
        using Tensor num = xv * pw;
        using Tensor den = safeNorm.Pow(ord - 1);
        using Tensor q2 = g / den;
        using Tensor r2 = num * q2;
        return [r2.MaskedFill(zero, 0.0)];
    }

    private int[] Dims()
    {
        var dims = new List<int>();
        for (int i = 0; i < keepShape.Length; i++)
            if (keepShape[i] == 1)
                dims.Add(i);
        return [.. dims];
    }

    internal override void ReleaseSaved()
    {
        base.ReleaseSaved();
        Result?.Release();
    }
}
