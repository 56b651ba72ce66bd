namespace Ember.NN;

/// <summary>Cosine similarity along <see cref="Dim"/> (<c>nn.CosineSimilarity</c>).</summary>
public sealed class CosineSimilarity(int dim = 1, double eps = 1e-8) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>The dim the similarity is taken along (<c>dim</c>).</summary>
    public int Dim { get; } = dim;

    /// <summary>The smallest norm used (<c>eps</c>).</summary>
    public double Eps { get; } = eps;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x1, Tensor x2) => Functional.CosineSimilarity(x1, x2, Dim, Eps);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dim}, eps={Eps}";
}

/// <summary>The p-norm distance between rows along the last dim (<c>nn.PairwiseDistance</c>).</summary>
public sealed class PairwiseDistance(double p = 2.0, double eps = 1e-6, bool keepdim = false) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>The norm (<c>norm</c>).</summary>
    public double Norm { get; } = p;

    /// <summary>Added to the differences (<c>eps</c>).</summary>
    public double Eps { get; } = eps;

    /// <summary>Whether the reduced dim is kept (<c>keepdim</c>).</summary>
    public bool Keepdim { get; } = keepdim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x1, Tensor x2) => Functional.PairwiseDistance(x1, x2, Norm, Eps, Keepdim);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={Norm}, eps={Eps}, keepdim={Keepdim}";
}
