#!/usr/bin/env python3
"""Reference values for the losses and distances (tests/Ember.NN.Tests/LossFunctionTests.cs).

    /usr/bin/python3 tests/reference/make_nn_losses.py

Writes tests/Ember.NN.Tests/Data/nn_losses.json: per case the function (PyTorch's name), its tensor
arguments (float64, or int64 for indices and lengths) and which of them require grad, the keyword
options, the output, a grad_out of the output's shape, and the gradients of sum(output * grad_out)
for the arguments that require grad. Non-finite numbers are written as the strings "inf", "-inf"
and "nan" (JSON has no literal for them), in the options too.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.NN.Tests", "Data")
torch.manual_seed(1234)
D = torch.float64


def num(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(repr(v))


def t(x):
    x = x.detach()
    flat = x.reshape(-1).tolist()
    return {"shape": list(x.shape), "dtype": "int64" if not x.is_floating_point() else "float64",
            "data": [num(v) for v in flat] if x.is_floating_point() else [int(v) for v in flat]}


def call(fn, args, kwargs):
    if fn == "cdist":
        return torch.cdist(*args, **kwargs)
    if fn == "binary_cross_entropy_with_logits" and len(args) == 4:  # pos_weight is keyword-only in effect
        return F.binary_cross_entropy_with_logits(args[0], args[1], args[2], pos_weight=args[3], **kwargs)
    return getattr(F, fn)(*args, **kwargs)


CASES = []


def case(name, fn, args, grad, **kwargs):
    """args: tensors, positional as in PyTorch (binary_cross_entropy_with_logits: input, target, weight,
    pos_weight); grad: one bool per arg (whether it requires grad)."""
    leaves = [a.clone().requires_grad_(g) for a, g in zip(args, grad)]
    out = call(fn, leaves, kwargs)
    gout = torch.randn(out.shape, dtype=D)
    grads = [None] * len(args)
    if any(grad):
        wanted = [l for l, g in zip(leaves, grad) if g]
        got = torch.autograd.grad((out * gout).sum(), wanted, allow_unused=True)
        it = iter(got)
        grads = [t(next(it)) if g else None for g in grad]
    CASES.append({"name": name, "fn": fn, "args": [t(a) for a in args], "requires_grad": list(grad),
                  "kwargs": {k: num(v) if isinstance(v, float) else v for k, v in kwargs.items()}, "output": t(out), "grad_out": t(gout), "grads": grads})


def r(*shape):
    return torch.randn(*shape, dtype=D)


def p(*shape):
    return torch.rand(*shape, dtype=D) * 0.9 + 0.05


REDUCTIONS = ["none", "mean", "sum"]

# ---- elementwise regression losses ----
for red in REDUCTIONS:
    case(f"l1_{red}", "l1_loss", [r(3, 4), r(3, 4)], [True, True], reduction=red)
    case(f"smooth_l1_{red}", "smooth_l1_loss", [r(3, 4), r(3, 4)], [True, True], reduction=red)
    case(f"huber_{red}", "huber_loss", [r(3, 4) * 2, r(3, 4)], [True, True], reduction=red)
    case(f"mse_{red}", "mse_loss", [r(3, 4), r(3, 4)], [True, True], reduction=red)
case("l1_broadcast", "l1_loss", [r(3, 4), r(4)], [True, True], reduction="none")
case("smooth_l1_beta", "smooth_l1_loss", [r(5, 3), r(5, 3)], [True, True], beta=0.4)
case("smooth_l1_beta0", "smooth_l1_loss", [r(5, 3), r(5, 3)], [True, True], beta=0.0)
case("huber_delta", "huber_loss", [r(5, 3) * 3, r(5, 3)], [True, True], delta=2.5)

# ---- binary cross entropy ----
for red in REDUCTIONS:
    case(f"bce_{red}", "binary_cross_entropy", [p(3, 4), p(3, 4)], [True, True], reduction=red)
    case(f"bce_weight_{red}", "binary_cross_entropy", [p(3, 4), p(3, 4), p(4)], [True, True, False], reduction=red)
    case(f"bce_logits_{red}", "binary_cross_entropy_with_logits", [r(3, 4) * 3, p(3, 4)], [True, True], reduction=red)
    case(f"bce_logits_pos_weight_{red}", "binary_cross_entropy_with_logits", [r(3, 4) * 3, p(3, 4), p(3, 4), p(4) * 3],
         [True, True, False, False], reduction=red)
# Exact 0 and 1 probabilities: the logs are clamped at -100 and the input gradient stays finite.
case("bce_edges", "binary_cross_entropy", [torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5], dtype=D),
                                           torch.tensor([0.0, 1.0, 1.0, 0.0, 0.25], dtype=D)], [True, False], reduction="none")
case("bce_logits_extreme", "binary_cross_entropy_with_logits",
     [torch.tensor([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0], dtype=D),
      torch.tensor([1.0, 0.3, 0.0, 0.5, 1.0, 0.0, 0.7], dtype=D)], [True, True], reduction="none")

# ---- divergences and likelihoods ----
for red in REDUCTIONS + ["batchmean"]:
    case(f"kl_div_{red}", "kl_div", [r(4, 5).log_softmax(1), r(4, 5).softmax(1)], [True, True], reduction=red)
# Zero targets: PyTorch's target gradient is NaN there (0 * log 0); Ember's is finite, so only the input's is compared.
case("kl_div_zero_target", "kl_div", [r(2, 3).log_softmax(1), torch.tensor([[0.0, 0.4, 0.6], [1.0, 0.0, 0.0]], dtype=D)],
     [True, False], reduction="sum")
case("kl_div_log_target", "kl_div", [r(4, 5).log_softmax(1), r(4, 5).log_softmax(1)], [True, True], reduction="batchmean",
     log_target=True)
for red in REDUCTIONS:
    case(f"poisson_nll_{red}", "poisson_nll_loss", [r(3, 4), p(3, 4) * 4], [True, True], reduction=red)
case("poisson_nll_rate_full", "poisson_nll_loss", [p(3, 4) * 3, torch.tensor([[0.0, 1.0, 2.0, 5.0]] * 3, dtype=D)],
     [True, False], log_input=False, full=True)  # as above: PyTorch's target gradient is NaN at 0
case("poisson_nll_log_full", "poisson_nll_loss", [r(2, 4), torch.tensor([[0.5, 1.0, 3.0, 7.0]] * 2, dtype=D)],
     [True, True], log_input=True, full=True, reduction="sum")
for red in REDUCTIONS:
    case(f"gaussian_nll_{red}", "gaussian_nll_loss", [r(4, 3), r(4, 3), p(4, 3)], [True, True, True], reduction=red)
case("gaussian_nll_var_shared", "gaussian_nll_loss", [r(4, 3), r(4, 3), p(4)], [True, True, True])
case("gaussian_nll_var_last1", "gaussian_nll_loss", [r(4, 3), r(4, 3), p(4, 1)], [True, True, True], full=True)
case("gaussian_nll_var_eps", "gaussian_nll_loss", [r(2, 3), r(2, 3), torch.tensor([[1e-9, 0.5, 2.0], [0.0, 1e-3, 1.0]], dtype=D)],
     [True, True, True], eps=1e-4, reduction="sum")

# ---- embeddings, ranking, triplets ----
y = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0], dtype=D)
for red in REDUCTIONS:
    case(f"cosine_embedding_{red}", "cosine_embedding_loss", [r(5, 4), r(5, 4), y], [True, True, False], reduction=red)
    case(f"margin_ranking_{red}", "margin_ranking_loss", [r(5), r(5), y], [True, True, False], reduction=red)
    case(f"triplet_{red}", "triplet_margin_loss", [r(5, 4), r(5, 4), r(5, 4)], [True, True, True], reduction=red)
case("cosine_embedding_margin", "cosine_embedding_loss", [r(5, 4), r(5, 4), y], [True, True, False], margin=-0.3)
case("cosine_embedding_1d", "cosine_embedding_loss", [r(4), r(4), torch.tensor(-1.0, dtype=D)], [True, True, False], margin=-0.5)
case("margin_ranking_margin", "margin_ranking_loss", [r(5), r(5), y], [True, True, False], margin=0.7)
case("triplet_p1_swap", "triplet_margin_loss", [r(5, 4), r(5, 4), r(5, 4)], [True, True, True], margin=2.0, p=1.0, swap=True)
case("triplet_swap", "triplet_margin_loss", [r(6, 3), r(6, 3), r(6, 3)], [True, True, True], margin=1.5, swap=True)

# ---- cross entropy and nll ----
logits, target = r(6, 5), torch.tensor([0, 4, 2, 2, 1, 3])
target_ignored = torch.tensor([0, 4, -100, 2, 1, -100])
w = p(5)
for red in REDUCTIONS:
    case(f"ce_{red}", "cross_entropy", [logits, target], [True, False], reduction=red)
    case(f"ce_weight_ignore_{red}", "cross_entropy", [logits, target_ignored, w], [True, False, False], reduction=red)
    case(f"ce_smooth_{red}", "cross_entropy", [logits, target], [True, False], reduction=red, label_smoothing=0.2)
    case(f"ce_smooth_ignore_{red}", "cross_entropy", [logits, target_ignored], [True, False], reduction=red, label_smoothing=0.3)
    case(f"ce_all_{red}", "cross_entropy", [logits, torch.tensor([0, 4, 2, 3, 1, 3]), w], [True, False, False],
         reduction=red, label_smoothing=0.15, ignore_index=3)
    case(f"ce_probs_{red}", "cross_entropy", [logits, r(6, 5).softmax(1)], [True, True], reduction=red)
    case(f"ce_probs_weight_smooth_{red}", "cross_entropy", [logits, r(6, 5).softmax(1), w], [True, True, False],
         reduction=red, label_smoothing=0.25)
    case(f"ce_spatial_{red}", "cross_entropy", [r(2, 4, 3, 2), torch.tensor([[[0, 3], [1, 2], [3, 3]], [[2, 0], [-100, 1], [0, 0]]]),
                                                p(4)], [True, False, False], reduction=red, label_smoothing=0.1)
    case(f"nll_spatial_{red}", "nll_loss", [r(2, 3, 4).log_softmax(1), torch.tensor([[0, 2, 1, 1], [2, 2, 0, 1]])],
         [True, False], reduction=red)
case("ce_unbatched", "cross_entropy", [r(5), torch.tensor(3)], [True, False], label_smoothing=0.1)
case("ce_probs_spatial", "cross_entropy", [r(2, 3, 4), r(2, 3, 4).softmax(1)], [True, True], label_smoothing=0.05)

# ---- ctc ----
T, N, C = 12, 4, 6
lp = r(T, N, C).log_softmax(2)
padded = torch.tensor([[1, 2, 2, 3, 0], [4, 4, 0, 0, 0], [5, 1, 2, 0, 0], [3, 0, 0, 0, 0]])
tl = torch.tensor([4, 2, 3, 1])
il = torch.tensor([12, 10, 7, 12])
concat = torch.cat([padded[i, :tl[i]] for i in range(N)])
for red in REDUCTIONS:
    case(f"ctc_padded_{red}", "ctc_loss", [lp, padded + 0, il, tl], [True, False, False, False], reduction=red)
case("ctc_concat", "ctc_loss", [lp, concat, il, tl], [True, False, False, False], reduction="sum")
# Blank 0 is a target class when another class is the blank.
case("ctc_blank", "ctc_loss", [lp, padded, il, tl], [True, False, False, False], blank=5, reduction="none")
# A zero-length target, and a target that cannot fit its input (infinite loss).
tl_edge = torch.tensor([0, 2, 6, 1])
padded_edge = torch.tensor([[0, 0, 0, 0, 0, 0], [4, 4, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], [3, 0, 0, 0, 0, 0]])
il_edge = torch.tensor([12, 10, 8, 1])
case("ctc_zero_length_inf_none", "ctc_loss", [lp, padded_edge, il_edge, tl_edge], [False, False, False, False],
     reduction="none")
for red in REDUCTIONS:
    case(f"ctc_zero_infinity_{red}", "ctc_loss", [lp, padded_edge, il_edge, tl_edge], [True, False, False, False],
         reduction=red, zero_infinity=True)
case("ctc_unbatched", "ctc_loss", [r(7, 4).log_softmax(1), torch.tensor([1, 3, 3]), torch.tensor(7), torch.tensor(3)],
     [True, False, False, False], reduction="mean")

# ---- similarities and distances ----
case("cosine_similarity", "cosine_similarity", [r(4, 5), r(4, 5)], [True, True])
case("cosine_similarity_dim_broadcast", "cosine_similarity", [r(3, 1, 4), r(2, 4)], [True, True], dim=-1, eps=1e-6)
case("cosine_similarity_zero", "cosine_similarity", [torch.tensor([[0.0, 0.0], [1.0, 2.0]], dtype=D),
                                                      torch.tensor([[1.0, 2.0], [2.0, -1.0]], dtype=D)], [False, False])
for pn in [2.0, 1.0, 3.0, float("inf")]:
    case(f"pairwise_distance_p{pn}", "pairwise_distance", [r(4, 5), r(4, 5)], [True, True], p=pn)
case("pairwise_distance_keepdim_broadcast", "pairwise_distance", [r(3, 4), r(4)], [True, True], keepdim=True, eps=1e-3)
for pn in [2.0, 1.0, 0.0, 3.0, 0.5, float("inf")]:
    case(f"cdist_p{pn}", "cdist", [r(4, 3), r(5, 3)], [True, True], p=pn)
case("cdist_mm", "cdist", [r(30, 4), r(7, 4)], [True, True])
case("cdist_mm_forced", "cdist", [r(3, 4), r(5, 4)], [True, True], compute_mode="use_mm_for_euclid_dist")
case("cdist_batched_broadcast", "cdist", [r(2, 1, 3, 4), r(3, 5, 4)], [True, True], p=1.5)
x = r(4, 3)
case("cdist_equal_rows", "cdist", [x, torch.cat([x[:2], r(2, 3)])], [True, True], p=2.0)

with open(os.path.join(OUT, "nn_losses.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": CASES}, f, separators=(",", ":"))
print(f"wrote {len(CASES)} cases")
