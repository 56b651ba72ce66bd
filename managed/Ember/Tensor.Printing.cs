namespace Ember;

// Text form of a tensor.
public partial class Tensor
{
    /// <summary>The tensor as PyTorch prints it: <c>tensor([[1., 2.],\n        [3., 4.]])</c>, with <c>dtype=</c> for non-default dtypes.</summary>
    public override string ToString()
    {
        if (IsDisposed)
            return "tensor(<disposed>)";
        var suffixes = new List<string>();
        AddPrintSuffixes(suffixes);
        return TensorFormatter.Format(this, suffixes);
    }

    /// <summary>Lets other parts of the class (autograd) append suffixes such as <c>requires_grad=True</c>.</summary>
    partial void AddPrintSuffixes(List<string> suffixes);
}
