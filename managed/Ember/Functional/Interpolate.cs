using Ember.Interop;

namespace Ember;

// F.interpolate and the pixel (un)shuffles. Interpolation runs native kernels (ember/interpolate.h);
// its backward is a native op too, and since that op is linear in the gradient, its own gradient is
// the forward interpolation again (so gradients of any order work).
public static unsafe partial class Functional
{
    // The values of ember_interpolate's mode argument.
    private const int NearestMode = 0, NearestExactMode = 1, LinearMode = 2, CubicMode = 3;

    /// <summary>
    /// Resizes the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) input (<c>F.interpolate</c>) to
    /// <paramref name="size"/> or by <paramref name="scaleFactor"/> (exactly one of them; one entry applies to
    /// every spatial dim). <paramref name="mode"/> is "nearest", "nearest-exact", "linear" (3-d input),
    /// "bilinear" (4-d), "bicubic" (4-d), "trilinear" (5-d) or "area" (adaptive average pooling, 3-d or 4-d).
    /// <paramref name="alignCorners"/> (interpolating modes only; false by default) maps the corner pixels'
    /// centres onto each other. With a scale factor the output size is floor(in · scale) and, unless
    /// <paramref name="recomputeScaleFactor"/>, the scale itself maps coordinates, as in PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException">Bad sizes, scales, mode or a mode that does not fit the input's dims.</exception>
    public static Tensor Interpolate(Tensor input, long[]? size = null, double[]? scaleFactor = null, string mode = "nearest",
        bool? alignCorners = null, bool? recomputeScaleFactor = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        int dims = input.Dim - 2;
        if (dims is < 1 or > 3)
            throw new ArgumentException($"interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.Dim}D, shape {input.Shape}) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got {mode})", nameof(input));
        (int code, int needDims) = mode switch
        {
            "nearest" => (NearestMode, 0),
            "nearest-exact" => (NearestExactMode, 0),
            "area" => (-1, 0),
            "linear" => (LinearMode, 1),
            "bilinear" => (LinearMode, 2),
            "trilinear" => (LinearMode, 3),
            "bicubic" => (CubicMode, 2),
            _ => throw new ArgumentException($"interpolate: Input Error: Only nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact modes are supported, got '{mode}'", nameof(mode)),
        };
        if (needDims != 0 && needDims != dims)
            throw new ArgumentException($"interpolate: Got {input.Dim}D input (shape {input.Shape}), but {mode} mode needs {needDims + 2}D input", nameof(mode));
        bool interpolating = code is LinearMode or CubicMode;
        if (alignCorners is not null && !interpolating)
            throw new ArgumentException($"interpolate: align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear (got '{mode}')", nameof(alignCorners));
        if ((size is null) == (scaleFactor is null))
            throw new ArgumentException(size is null ? "interpolate: either size or scale_factor should be defined" : "interpolate: only one of size or scale_factor should be defined");

        var outSize = new long[dims];
        double[]? scales = null;
        if (size is not null)
        {
            if (size.Length != 1 && size.Length != dims)
                throw new ArgumentException($"interpolate: Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of [{string.Join(", ", input.ShapeArray[2..])}] and output size of [{string.Join(", ", size)}]. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.", nameof(size));
            for (int i = 0; i < dims; i++)
                outSize[i] = size.Length == 1 ? size[0] : size[i];
        }
        else
        {
            if (scaleFactor!.Length != 1 && scaleFactor.Length != dims)
                throw new ArgumentException($"interpolate: Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of [{string.Join(", ", input.ShapeArray[2..])}] and scale_factor of shape [{string.Join(", ", scaleFactor)}]. Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.", nameof(scaleFactor));
            scales = new double[dims];
            for (int i = 0; i < dims; i++)
            {
                scales[i] = scaleFactor.Length == 1 ? scaleFactor[0] : scaleFactor[i];
                if (!(scales[i] > 0) || double.IsInfinity(scales[i]))
                    throw new ArgumentException($"interpolate: scale_factor must be positive and finite, got {scales[i]}", nameof(scaleFactor));
                outSize[i] = (long)Math.Floor(input.ShapeArray[i + 2] * scales[i]);
            }
            if (recomputeScaleFactor == true)
                scales = null;
        }
        if (code < 0)
        {
            if (dims == 3)
                throw new ArgumentException($"interpolate: area mode supports 3-d and 4-d input, got shape {input.Shape}", nameof(mode));
            return dims == 1 ? AdaptiveAvgPool1d(input, outSize[0]) : AdaptiveAvgPool2d(input, outSize);
        }
        return InterpolateOp(input, code, outSize, scales, alignCorners ?? false);
    }

    /// <summary>Interpolates to <paramref name="size"/> in every spatial dim (<c>F.interpolate(input, size=int)</c>).</summary>
    public static Tensor Interpolate(Tensor input, long size, string mode = "nearest", bool? alignCorners = null) =>
        Interpolate(input, [size], null, mode, alignCorners);

    /// <summary>Interpolates by <paramref name="scaleFactor"/> in every spatial dim (<c>F.interpolate(input, scale_factor=float)</c>).</summary>
    public static Tensor Interpolate(Tensor input, double scaleFactor, string mode = "nearest", bool? alignCorners = null, bool? recomputeScaleFactor = null) =>
        Interpolate(input, null, [scaleFactor], mode, alignCorners, recomputeScaleFactor);

    /// <summary>
    /// Rearranges (*, C·r², H, W) into (*, C, H·r, W·r) with r = <paramref name="upscaleFactor"/> (<c>F.pixel_shuffle</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 3 dims, or channels not divisible by r².</exception>
    public static Tensor PixelShuffle(Tensor input, long upscaleFactor)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(upscaleFactor, 1);
        long r = upscaleFactor;
        long[] s = input.ShapeArray;
        if (s.Length < 3)
            throw new ArgumentException($"pixel_shuffle expects input to have at least 3 dimensions, but got input with {s.Length} dimension(s) (shape {input.Shape})", nameof(input));
        long c = s[^3], h = s[^2], w = s[^1];
        if (c % (r * r) != 0)
            throw new ArgumentException($"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}", nameof(input));
        long batch = 1;
        foreach (long d in s[..^3])
            batch *= d;
        using Tensor split = input.Reshape(batch, c / (r * r), r, r, h, w);
        using Tensor moved = split.Permute(0, 1, 4, 2, 5, 3);
        return moved.Reshape([.. s[..^3], c / (r * r), h * r, w * r]);
    }

    /// <summary>
    /// Rearranges (*, C, H·r, W·r) into (*, C·r², H, W) with r = <paramref name="downscaleFactor"/>, reversing
    /// <see cref="PixelShuffle"/> (<c>F.pixel_unshuffle</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 3 dims, or height or width not divisible by r.</exception>
    public static Tensor PixelUnshuffle(Tensor input, long downscaleFactor)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(downscaleFactor, 1);
        long r = downscaleFactor;
        long[] s = input.ShapeArray;
        if (s.Length < 3)
            throw new ArgumentException($"pixel_unshuffle expects input to have at least 3 dimensions, but got input with {s.Length} dimension(s) (shape {input.Shape})", nameof(input));
        long c = s[^3], h = s[^2], w = s[^1];
        if (h % r != 0 || w % r != 0)
            throw new ArgumentException($"pixel_unshuffle expects height and width to be divisible by downscale_factor, but input.size(-2)={h} and input.size(-1)={w} are not both divisible by {r}", nameof(input));
        long batch = 1;
        foreach (long d in s[..^3])
            batch *= d;
        using Tensor split = input.Reshape(batch, c, h / r, r, w / r, r);
        using Tensor moved = split.Permute(0, 1, 3, 5, 2, 4);
        return moved.Reshape([.. s[..^3], c * r * r, h / r, w / r]);
    }

    private static Tensor InterpolateOp(Tensor input, int mode, long[] outSize, double[]? scales, bool alignCorners)
    {
        ember_tensor r;
        ember_status status;
        fixed (long* o = outSize)
        fixed (double* sc = scales)
            status = NativeMethods.ember_interpolate(input.Handle, mode, o, sc, outSize.Length, alignCorners ? 1 : 0, &r);
        Check(status, input);
        var result = new Tensor(r);
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new InterpolateBackward(input.ShapeArray, mode, scales, alignCorners) { Next = [Autograd.EdgeOf(input)] };
        return Autograd.SetHistory(result, node);
    }

    /// <summary>The gradient of interpolation for an input of <paramref name="inputShape"/>, as a differentiable op.</summary>
    private static Tensor InterpolateGrad(Tensor grad, long[] inputShape, int mode, double[]? scales, bool alignCorners)
    {
        ember_tensor r;
        ember_status status;
        fixed (long* s = inputShape)
        fixed (double* sc = scales)
            status = NativeMethods.ember_interpolate_backward(grad.Handle, s, inputShape.Length, mode, sc, alignCorners ? 1 : 0, &r);
        Check(status, grad);
        var result = new Tensor(r);
        if (!grad._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new InterpolateBackwardBackward(grad.ShapeArray[2..], mode, scales, alignCorners) { Next = [Autograd.EdgeOf(grad)] };
        return Autograd.SetHistory(result, node);
    }

    private static string InterpolateName(int mode, int dims) => mode switch
    {
        NearestMode => $"UpsampleNearest{dims}D",
        NearestExactMode => $"_UpsampleNearestExact{dims}D",
        LinearMode => dims == 1 ? "UpsampleLinear1D" : dims == 2 ? "UpsampleBilinear2D" : "UpsampleTrilinear3D",
        _ => "UpsampleBicubic2D",
    };

    private sealed class InterpolateBackward(long[] inputShape, int mode, double[]? scales, bool alignCorners) : Autograd.Node
    {
        public override string Name => InterpolateName(mode, inputShape.Length - 2) + "Backward0";

        internal override Tensor?[] Apply(Tensor?[] grads) => [InterpolateGrad(grads[0]!, inputShape, mode, scales, alignCorners)];
    }

    // The backward op is linear in the gradient; its gradient is the forward interpolation.
    private sealed class InterpolateBackwardBackward(long[] outSize, int mode, double[]? scales, bool alignCorners) : Autograd.Node
    {
        public override string Name => InterpolateName(mode, outSize.Length) + "BackwardBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads) => [InterpolateOp(grads[0]!, mode, outSize, scales, alignCorners)];
    }
}
