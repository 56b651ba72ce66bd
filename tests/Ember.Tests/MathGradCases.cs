namespace Ember.Tests;

/// <summary>
/// The public ops of the math, activation, logic, reduction and random groups, for
/// <see cref="OpGradTests.EveryPublicOpIsCovered"/>: the differentiable ones have gradient checks in
/// <see cref="MathReferenceTests"/> (PyTorch's gradients and finite differences) and <see cref="MathGradTests"/>
/// (second order, in-place forms); the others return values that carry no gradient.
/// </summary>
internal static class MathGradCases
{
    /// <summary>In-place unary forms checked against the gradients of their out-of-place forms.</summary>
    public static readonly string[] InplaceUnary =
    [
        "Abs", "Sign", "Square", "Floor", "Ceil", "Trunc", "Round", "Frac", "Reciprocal", "Exp2", "Expm1", "Log2", "Log10", "Log1p",
        "Sqrt", "Rsqrt", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Tanh", "Erf", "Erfc", "Erfinv", "Sigmoid",
    ];

    private static readonly string[] Differentiable =
    [
        .. InplaceUnary, .. InplaceUnary.Select(n => n + "_"),
        "Pow", "Pow_", "Clamp", "Clamp_", "NanToNum", "NanToNum_", "Atan2", "Atan2_", "Maximum", "Minimum", "Fmod", "Fmod_", "Remainder",
        "Remainder_", "op_Modulus", "Lerp", "Lerp_", "Addcmul", "Addcmul_", "Addcdiv", "Addcdiv_", "Where",
        "Prod", "Amax", "Amin", "Max", "Min", "Var", "Std", "VarMean", "StdMean", "Norm", "LogSumExp", "Cumsum", "Cumprod", "Cummax",
        "Cummin", "Median", "Mode",
        "Relu6", "LeakyRelu", "Elu", "Selu", "Celu", "Gelu", "Silu", "Mish", "Softplus", "Softsign", "LogSigmoid", "Hardtanh",
        "Hardsigmoid", "Hardswish", "Tanhshrink", "Threshold",
    ];

    private static readonly string[] NonDifferentiable =
    [
        "IsNan", "IsInf", "IsPosInf", "IsNegInf", "IsFinite", "LogicalNot", "LogicalNot_", "BitwiseNot", "BitwiseNot_",
        "LogicalAnd", "LogicalOr", "LogicalXor", "LogicalAnd_", "LogicalOr_", "LogicalXor_", "BitwiseAnd", "BitwiseOr", "BitwiseXor",
        "BitwiseAnd_", "BitwiseOr_", "BitwiseXor_", "BitwiseLeftShift", "BitwiseRightShift", "BitwiseLeftShift_", "BitwiseRightShift_",
        "op_BitwiseAnd", "op_BitwiseOr", "op_ExclusiveOr", "op_OnesComplement", "op_LeftShift", "op_RightShift", "IsClose",
        "ArgMin", "All", "Any", "CountNonzero",
        "Randint", "Randperm", "Bernoulli", "Bernoulli_", "Multinomial", "Normal", "Uniform_", "Normal_", "Exponential_",
    ];

    /// <summary>Every name above, as the coverage test matches public methods.</summary>
    public static IEnumerable<string> Covered => Differentiable.Concat(NonDifferentiable);
}
