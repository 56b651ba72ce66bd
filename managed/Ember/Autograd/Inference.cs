namespace Ember;

/// <summary>
/// The rules for inference tensors (<c>torch.inference_mode</c>): tensors created inside
/// <see cref="Torch.InferenceMode"/> stay out of autograd for good, so that inference needs no bookkeeping
/// for a backward that can never come. Outside the mode they may be read by any op, but not saved for
/// backward, changed in place, or made to require grad.
/// </summary>
internal static class Inference
{
    /// <summary>Throws when <paramref name="tensor"/> is an inference tensor and autograd is about to save it outside inference mode.</summary>
    public static void CheckSave(Tensor tensor)
    {
        if (tensor._inference && !GradMode.IsInference)
            throw new AutogradException(
                "Inference tensors cannot be saved for backward. To work around you can make a clone to get a normal tensor and use it in autograd. " +
                $"(An op recorded for autograd needs the inference tensor [{tensor.DType.ToTorchString()} {tensor.Shape}] for its backward.)");
    }

    /// <summary>
    /// Called by every in-place op on an inference tensor: throws outside inference mode; returns false
    /// (nothing for autograd to do) inside it.
    /// </summary>
    public static bool CheckInplace(Tensor tensor)
    {
        if (!GradMode.IsInference)
            throw new AutogradException(
                "Inplace update to inference tensor outside InferenceMode is not allowed. You can make a clone to get a normal tensor before doing inplace update. " +
                $"(The tensor is [{tensor.DType.ToTorchString()} {tensor.Shape}], created inside Torch.InferenceMode().) " +
                "See https://github.com/pytorch/rfcs/pull/17 for more details.");
        return false;
    }
}
