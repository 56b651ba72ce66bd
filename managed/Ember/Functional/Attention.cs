using Ember.Interop;

namespace Ember;

public static unsafe partial class Functional
{
    /// <summary>
    /// softmax(<paramref name="query"/> @ <paramref name="key"/>ᵀ * scale + mask) @ <paramref name="value"/>
    /// (<c>F.scaled_dot_product_attention</c>), as one fused kernel that never forms the whole L x S score
    /// matrix. query is (..., L, E), key (..., S, E), value (..., S, Ev); the batch dims of all three and of the
    /// mask broadcast, and the result is (..., L, Ev).
    /// </summary>
    /// <param name="query">Queries (..., L, E).</param>
    /// <param name="key">Keys (..., S, E).</param>
    /// <param name="value">Values (..., S, Ev).</param>
    /// <param name="attnMask">Broadcasts to (..., L, S): bool (true = take part in attention) or floating (added to
    /// the scores). Cannot be combined with <paramref name="isCausal"/>. Gets no gradient.</param>
    /// <param name="dropoutP">Dropout probability on the attention weights (applied whenever it is above 0, as
    /// PyTorch does; pass 0 in evaluation).</param>
    /// <param name="isCausal">Masks key j for query i when j &gt; i (top-left aligned).</param>
    /// <param name="scale">Scale of the scores; 1/sqrt(E) when null.</param>
    /// <param name="generator">Source of the dropout mask; the default generator when null.</param>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, double dropoutP = 0,
        bool isCausal = false, double? scale = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!(dropoutP >= 0 && dropoutP <= 1))
            throw new ArgumentOutOfRangeException(nameof(dropoutP), dropoutP, $"Functional.{nameof(ScaledDotProductAttention)}: dropout probability has to be between 0 and 1, but got {dropoutP}");
        double s = scale ?? double.NaN;
        ember_tensor r, lse;
        ulong seed, offset;
        ember_status status = NativeMethods.ember_scaled_dot_product_attention(query.Handle, key.Handle, value.Handle, HandleOf(attnMask),
            dropoutP, isCausal ? 1 : 0, s, Generator.HandleOf(generator), &r, &lse, &seed, &offset);
        GC.KeepAlive(generator);
        Check(status, query, key, value, attnMask);
        var result = new Tensor(r);
        var logsumexp = new Tensor(lse);
        return Derivatives.ScaledDotProductAttention(result, logsumexp, query, key, value, attnMask,
            new Derivatives.AttentionArgs(dropoutP, isCausal, s, seed, offset));
    }
}
