using F = Ember.Functional;

namespace Ember.Tests;

/// <summary>
/// One differentiable use of an op: the public member it exercises (<see cref="Op"/>, a method, operator
/// or property name as reflection sees it), the shapes of its float64 inputs and the function. Input k
/// holds sin(1 + 0.7 i + 0.37 k) at element i, or 1.5 + 0.5 of that when <see cref="Positive"/> (for
/// log and divisors). <see cref="Float32"/> marks functions that compute in float32 inside.
/// tests/reference/make_autograd.py builds the same inputs and functions by name.
/// </summary>
public sealed record GradCase(string Name, string Op, long[][] Shapes, Func<Tensor[], Tensor> Fn, bool Positive = false, bool Float32 = false)
{
    /// <summary>Finite-difference settings: float32 steps inside the function need a larger step and tolerance.</summary>
    public (double Eps, double Atol, double Rtol) Tolerance => Float32 ? (1e-3, 2e-3, 2e-2) : (1e-6, 1e-5, 1e-3);

    public Tensor[] Inputs()
    {
        var inputs = new Tensor[Shapes.Length];
        for (int k = 0; k < Shapes.Length; k++)
        {
            Tensor t = AutogradTestUtil.Pattern(Shapes[k], 0.37 * k);
            if (Positive)
            {
                using Tensor pattern = t;
                using Tensor half = pattern * 0.5;
                t = half + 1.5;
            }
            inputs[k] = t.RequiresGrad_();
        }
        return inputs;
    }

    public override string ToString() => Name;
}

internal static class GradCases
{
    private static long[] S(params long[] shape) => shape;

    private static Tensor Target(params long[] classes) => Torch.Tensor<long>(classes, [classes.Length]);

    public static readonly GradCase[] All =
    [
        // ---- arithmetic (tensor and tensor, with broadcasting and promotion) ----
        new("add", "op_Addition", [S(2, 3), S(2, 3)], x => x[0] + x[1]),
        new("add_broadcast", "op_Addition", [S(2, 3), S(3)], x => x[0] + x[1]),
        new("add_named", "Add", [S(3), S(2, 1)], x => x[0].Add(x[1])),
        new("sub_broadcast", "op_Subtraction", [S(2, 1, 3), S(4, 1)], x => x[0] - x[1]),
        new("sub_named", "Sub", [S(4), S(4)], x => x[0].Sub(x[1])),
        new("mul", "op_Multiply", [S(2, 3), S(2, 3)], x => x[0] * x[1]),
        new("mul_broadcast", "op_Multiply", [S(3, 1), S(1, 4)], x => x[0] * x[1]),
        new("mul_named", "Mul", [S(2, 2), S()], x => x[0].Mul(x[1])),
        new("mul_float32_float64", "op_Multiply", [S(3), S(3)], x => { using Tensor f = x[0].To(DType.Float32); using Tensor p = f * x[1]; return p.To(DType.Float64); }, Float32: true),
        new("div", "op_Division", [S(2, 3), S(3)], x => x[0] / x[1], Positive: true),
        new("div_named", "Div", [S(3), S(3)], x => x[0].Div(x[1]), Positive: true),
        new("neg", "op_UnaryNegation", [S(2, 2)], x => -x[0]),
        new("neg_named", "Neg", [S(3)], x => x[0].Neg()),

        // ---- with numbers ----
        new("add_scalar", "op_Addition", [S(3)], x => x[0] + 2.5),
        new("add_scalar_left", "op_Addition", [S(3)], x => 2L + x[0]),
        new("add_scalar_named", "Add", [S(3)], x => x[0].Add(-1.5)),
        new("sub_scalar", "op_Subtraction", [S(3)], x => x[0] - 2L),
        new("rsub_scalar", "op_Subtraction", [S(3)], x => 1.5 - x[0]),
        new("sub_scalar_named", "Sub", [S(3)], x => x[0].Sub(0.25)),
        new("mul_scalar", "op_Multiply", [S(3)], x => x[0] * 3L),
        new("mul_scalar_left", "op_Multiply", [S(3)], x => -0.5 * x[0]),
        new("mul_scalar_named", "Mul", [S(3)], x => x[0].Mul(4.0)),
        new("div_scalar", "op_Division", [S(3)], x => x[0] / 4L),
        new("rdiv_scalar", "op_Division", [S(3)], x => 2.0 / x[0], Positive: true),
        new("div_scalar_named", "Div", [S(3)], x => x[0].Div(-2.0)),

        // ---- unary ----
        new("exp", "Exp", [S(2, 3)], x => x[0].Exp()),
        new("log", "Log", [S(2, 3)], x => x[0].Log(), Positive: true),
        new("exp_log_chain", "Exp", [S(4)], x => { using Tensor e = x[0].Exp(); using Tensor m = e * x[0]; return m.Log(); }),

        // ---- reductions ----
        new("sum_all", "Sum", [S(2, 3)], x => x[0].Sum()),
        new("sum_dim", "Sum", [S(2, 3, 4)], x => x[0].Sum(1)),
        new("sum_dims_keepdim", "Sum", [S(2, 3, 4)], x => x[0].Sum([0, -1], keepdim: true)),
        new("mean_all", "Mean", [S(3, 2)], x => x[0].Mean()),
        new("mean_dim", "Mean", [S(2, 3)], x => x[0].Mean(-1)),
        new("mean_dims", "Mean", [S(2, 3, 2)], x => x[0].Mean([0, 2])),
        new("mean_dim_keepdim", "Mean", [S(2, 3)], x => x[0].Mean(0, keepdim: true)),

        // ---- matmul ----
        new("matmul_2d", "MatMul", [S(2, 3), S(3, 4)], x => x[0].MatMul(x[1])),
        new("matmul_dot", "MatMul", [S(3), S(3)], x => x[0].MatMul(x[1])),
        new("matmul_mv", "MatMul", [S(2, 3), S(3)], x => x[0].MatMul(x[1])),
        new("matmul_vm", "MatMul", [S(3), S(3, 2)], x => x[0].MatMul(x[1])),
        new("matmul_batched_broadcast", "MatMul", [S(2, 1, 2, 3), S(3, 3, 2)], x => x[0].MatMul(x[1])),
        new("matmul_batched_vec", "MatMul", [S(2, 2, 3), S(3)], x => x[0].MatMul(x[1])),

        // ---- views ----
        new("view", "View", [S(2, 3)], x => x[0].View(3, 2)),
        new("reshape", "Reshape", [S(2, 3)], x => x[0].Reshape(-1)),
        new("reshape_copy", "Reshape", [S(2, 3)], x => { using Tensor t = x[0].T; return t.Reshape(6); }),
        new("transpose", "Transpose", [S(2, 3, 4)], x => x[0].Transpose(0, 2)),
        new("t", "get_T", [S(2, 3)], x => x[0].T),
        new("mt", "get_MT", [S(2, 3, 4)], x => x[0].MT),
        new("permute", "Permute", [S(2, 3, 4)], x => x[0].Permute(2, 0, 1)),
        new("expand", "Expand", [S(3, 1)], x => x[0].Expand(2, 3, 4)),
        new("expand_as", "ExpandAs", [S(1, 3), S(2, 3)], x => { using Tensor e = x[0].ExpandAs(x[1]); return e * x[1]; }),
        new("squeeze", "Squeeze", [S(2, 1, 3, 1)], x => x[0].Squeeze()),
        new("squeeze_dim", "Squeeze", [S(2, 1, 3)], x => x[0].Squeeze(1)),
        new("unsqueeze", "Unsqueeze", [S(2, 3)], x => x[0].Unsqueeze(-1)),
        new("slice", "Slice", [S(5, 3)], x => x[0].Slice(0, 1, 5, 2)),
        new("slice_clamped", "Slice", [S(4, 3)], x => x[0].Slice(1, -2, null)),
        new("narrow", "Narrow", [S(3, 4)], x => x[0].Narrow(1, 1, 2)),
        new("select", "Select", [S(3, 4)], x => x[0].Select(1, 2)),
        new("select_negative", "Select", [S(3, 4)], x => x[0].Select(0, -1)),
        new("contiguous", "Contiguous", [S(2, 3)], x => { using Tensor t = x[0].T; return t.Contiguous(); }),
        new("contiguous_alias", "Contiguous", [S(2, 3)], x => x[0].Contiguous()),
        new("flatten", "Flatten", [S(2, 3)], x => x[0].Flatten()),
        new("alias", "Alias", [S(2, 3)], x => x[0].Alias()),
        new("view_chain", "View", [S(2, 3, 4)], x => { using Tensor a = x[0].Transpose(0, 1); using Tensor b = a.Select(0, 1); using Tensor c = b.Unsqueeze(0); return c.Slice(2, 1, 3); }),

        // ---- copies and casts ----
        new("clone", "Clone", [S(2, 3)], x => x[0].Clone()),
        new("to_float32_and_back", "To", [S(3)], x => { using Tensor f = x[0].To(DType.Float32); using Tensor sq = f * f; return sq.To(DType.Float64); }, Float32: true),
        new("to_same_dtype", "To", [S(3)], x => x[0].To(DType.Float64)),
        new("to_device", "To", [S(3)], x => x[0].To(Device.CPU)),
        new("cpu", "Cpu", [S(3)], x => x[0].Cpu()),

        // ---- in place (on non-leaves) ----
        new("add_inplace", "Add_", [S(2, 3), S(3)], x => x[0].Clone().Add_(x[1])),
        new("sub_inplace", "Sub_", [S(2, 3), S(2, 3)], x => x[0].Clone().Sub_(x[1])),
        new("mul_inplace", "Mul_", [S(2, 3), S(1, 3)], x => x[0].Clone().Mul_(x[1])),
        new("div_inplace", "Div_", [S(3), S(3)], x => x[0].Clone().Div_(x[1]), Positive: true),
        new("add_scalar_inplace", "Add_", [S(3)], x => x[0].Clone().Add_(2.0)),
        new("sub_scalar_inplace", "Sub_", [S(3)], x => x[0].Clone().Sub_(1L)),
        new("mul_scalar_inplace", "Mul_", [S(3)], x => x[0].Clone().Mul_(-3.0)),
        new("div_scalar_inplace", "Div_", [S(3)], x => x[0].Clone().Div_(2L)),
        new("neg_inplace", "Neg_", [S(3)], x => x[0].Clone().Neg_()),
        new("exp_inplace", "Exp_", [S(3)], x => x[0].Clone().Exp_()),
        new("log_inplace", "Log_", [S(3)], x => x[0].Clone().Log_(), Positive: true),
        new("copy_inplace", "Copy_", [S(2, 3), S(3)], x => { Tensor t = x[0] * 2; t.Copy_(x[1]); return t * x[0]; }),
        new("copy_from_inplace", "CopyFrom_", [S(3), S(3)], x => { Tensor t = x[0] + 1.0; t.CopyFrom_(x[1]); return t * x[0]; }),
        new("inplace_on_view", "Mul_", [S(3, 4), S(4)], x => { Tensor y = x[0] * 1.0; using (Tensor row = y.Select(0, 1)) row.Mul_(x[1]); return y; }),
        new("inplace_on_base_then_view", "Mul_", [S(3, 4)], x => { Tensor y = x[0] * x[0]; Tensor v = y.Slice(1, 1, 3); y.Mul_(2.0); return v; }),
        new("inplace_on_view_of_view", "Exp_", [S(2, 3, 4)], x => { Tensor y = x[0].Clone(); using (Tensor a = y.Select(0, 1)) using (Tensor b = a.Slice(1, 0, 2)) b.Exp_(); return y; }),

        // ---- max over a dim (values are differentiable) ----
        new("max_dim", "Max", [S(3, 4)], x => x[0].Max(1).Values),
        new("max_dim_keepdim", "Max", [S(3, 4)], x => x[0].Max(0, keepdim: true).Values),

        // ---- nn functional ----
        new("relu", "Relu", [S(2, 5)], x => F.Relu(x[0])),
        new("linear", "Linear", [S(3, 4), S(2, 4), S(2)], x => F.Linear(x[0], x[1], x[2])),
        new("linear_no_bias_3d", "Linear", [S(2, 2, 3), S(4, 3)], x => F.Linear(x[0], x[1])),
        new("linear_1d", "Linear", [S(3), S(2, 3), S(2)], x => F.Linear(x[0], x[1], x[2])),
        new("conv2d", "Conv2d", [S(2, 2, 5, 5), S(3, 2, 3, 3), S(3)], x => F.Conv2d(x[0], x[1], x[2], stride: [2], padding: [1])),
        new("conv2d_groups_dilation", "Conv2d", [S(1, 4, 6, 5), S(4, 2, 2, 2)], x => F.Conv2d(x[0], x[1], null, [1, 2], [1, 0], [2, 1], groups: 2)),
        new("conv2d_unbatched_scalar_args", "Conv2d", [S(2, 4, 4), S(2, 2, 3, 3), S(2)], x => F.Conv2d(x[0], x[1], x[2], 1, 1)),
        new("max_pool2d", "MaxPool2d", [S(2, 2, 5, 5)], x => F.MaxPool2d(x[0], [2, 2])),
        new("max_pool2d_stride_pad_ceil", "MaxPool2d", [S(1, 2, 5, 6)], x => F.MaxPool2d(x[0], [3, 2], [2, 2], [1, 1], [1, 1], ceilMode: true)),
        new("max_pool2d_scalar_args", "MaxPool2d", [S(2, 4, 4)], x => F.MaxPool2d(x[0], 2, stride: 1)),
        new("log_softmax", "LogSoftmax", [S(3, 4)], x => F.LogSoftmax(x[0], 1)),
        new("log_softmax_dim0", "LogSoftmax", [S(3, 4)], x => F.LogSoftmax(x[0], 0)),
        new("softmax", "Softmax", [S(2, 5)], x => F.Softmax(x[0], -1)),
        new("nll_loss", "NllLoss", [S(4, 3)], x => F.NllLoss(x[0], Target(0, 2, 1, 2))),
        new("nll_loss_weight_ignore_sum", "NllLoss", [S(4, 3)], x => F.NllLoss(x[0], Target(0, 2, 1, 2), Torch.Tensor<double>([0.5, 2.0, 1.5], [3]), ignoreIndex: 1, reduction: "sum")),
        new("nll_loss_none", "NllLoss", [S(3, 4)], x => F.NllLoss(x[0], Target(3, 0, 1), reduction: "none")),
        new("cross_entropy", "CrossEntropy", [S(4, 5)], x => F.CrossEntropy(x[0], Target(4, 0, 2, 2))),
        new("cross_entropy_weight_ignore_smoothing", "CrossEntropy", [S(4, 3)], x => F.CrossEntropy(x[0], Target(0, 2, 1, 2), Torch.Tensor<double>([0.5, 2.0, 1.5], [3]), 1, "mean", 0.2)),
        new("cross_entropy_smoothing_none", "CrossEntropy", [S(3, 4)], x => F.CrossEntropy(x[0], Target(3, 0, 1), reduction: "none", labelSmoothing: 0.1)),
        new("cross_entropy_probabilities", "CrossEntropy", [S(3, 4), S(3, 4)], x => { using Tensor p = F.Softmax(x[1], 1); return F.CrossEntropy(x[0], p, labelSmoothing: 0.1); }),
        new("mse_loss", "MseLoss", [S(2, 3), S(2, 3)], x => F.MseLoss(x[0], x[1])),
        new("mse_loss_broadcast_sum", "MseLoss", [S(2, 3), S(3)], x => F.MseLoss(x[0], x[1], "sum")),
        new("mse_loss_none", "MseLoss", [S(4), S(4)], x => F.MseLoss(x[0], x[1], "none")),
        new("dropout", "Dropout", [S(4, 5)], x => { using var g = new Generator(7); return F.Dropout(x[0], 0.4, true, g); }),
        new("dropout_eval", "Dropout", [S(4)], x => F.Dropout(x[0], 0.4, training: false)),
        new("dropout2d", "Dropout2d", [S(2, 4, 3, 3)], x => { using var g = new Generator(11); return F.Dropout2d(x[0], 0.5, true, g); }),
    ];
}
