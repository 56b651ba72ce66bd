namespace Ember.Tests;

/// <summary>
/// Gradient checks (float64 finite differences, first and second order) of helper H-H's functions: the
/// composite activations prelu, glu, softmin, hardshrink, softshrink (their values against PyTorch are in
/// Ember.NN.Tests), and the resampling functions interpolate, pixel_shuffle and pixel_unshuffle.
/// </summary>
public class UpsampleGradCases : GradCaseFixture
{
    private static long[] S(params long[] shape) => shape;

    /// <summary>Cases with the op each covers.</summary>
    public static readonly GradCase[] Cases =
    [
        new("prelu_shared", "Prelu", [S(2, 3, 2), S(1)], x => Functional.Prelu(x[0], x[1])),
        new("prelu_channels", "Prelu", [S(2, 3, 2), S(3)], x => Functional.Prelu(x[0], x[1])),
        new("glu", "Glu", [S(3, 4)], x => Functional.Glu(x[0])),
        new("glu_dim0", "Glu", [S(4, 3)], x => Functional.Glu(x[0], 0)),
        new("softmin", "Softmin", [S(3, 4)], x => Functional.Softmin(x[0], 1)),
        // |x| stays at least 0.1 away from lambd on these inputs, so the kinks are out of the differences' reach.
        new("hardshrink", "Hardshrink", [S(4, 6)], x => Functional.Hardshrink(x[0])),
        new("softshrink", "Softshrink", [S(4, 6)], x => Functional.Softshrink(x[0])),
        new("interpolate_nearest", "Interpolate", [S(1, 2, 3, 2)], x => Functional.Interpolate(x[0], [5, 3])),
        new("interpolate_nearest_exact_down", "Interpolate", [S(1, 1, 5)], x => Functional.Interpolate(x[0], [3], null, "nearest-exact")),
        new("interpolate_linear_align", "Interpolate", [S(2, 1, 4)], x => Functional.Interpolate(x[0], [7], null, "linear", alignCorners: true)),
        new("interpolate_bilinear_scale", "Interpolate", [S(1, 2, 3, 3)], x => Functional.Interpolate(x[0], 1.5, "bilinear")),
        new("interpolate_bicubic", "Interpolate", [S(1, 1, 3, 4)], x => Functional.Interpolate(x[0], [5, 3], null, "bicubic")),
        new("interpolate_bicubic_align", "Interpolate", [S(1, 1, 4, 3)], x => Functional.Interpolate(x[0], [2, 5], null, "bicubic", alignCorners: true)),
        new("interpolate_trilinear", "Interpolate", [S(1, 1, 2, 3, 2)], x => Functional.Interpolate(x[0], [3, 2, 4], null, "trilinear")),
        new("pixel_shuffle", "PixelShuffle", [S(1, 8, 2, 3)], x => Functional.PixelShuffle(x[0], 2)),
        new("pixel_unshuffle", "PixelUnshuffle", [S(2, 1, 4, 2)], x => Functional.PixelUnshuffle(x[0], 2)),
    ];

    public static IEnumerable<GradCase> SecondOrderCases => Cases;
}
