"""Losses: the same numbers, gradients, printed form and state as PyTorch's; the binary
and regression losses of ``nn.functional`` too (the others are in test_functional.py,
test_probabilistic_losses.py and test_margin_losses.py)."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.nn import functional as F

TARGET = numpy.array([2, 0, 1, 2, -1, 0])
WEIGHT = [0.5, 2.0, 1.5]
# (module name, options, input maker): logits, log-probabilities, regression pairs, and binary
# logits or probabilities with targets in [0, 1]
CASES = [
    ("CrossEntropyLoss", {}, "logits"),
    ("CrossEntropyLoss", dict(weight=WEIGHT, ignore_index=-1, label_smoothing=0.2), "logits"),
    ("CrossEntropyLoss", dict(reduction="sum", label_smoothing=0.1, ignore_index=-1), "logits"),
    ("NLLLoss", dict(weight=WEIGHT, ignore_index=-1), "log_probs"),
    ("NLLLoss", dict(reduction="none", ignore_index=-1), "log_probs"),
    ("MSELoss", {}, "pairs"),
    ("MSELoss", dict(reduction="sum"), "pairs"),
    ("L1Loss", {}, "pairs"),
    ("SmoothL1Loss", dict(beta=0.5, reduction="none"), "pairs"),
    ("HuberLoss", dict(reduction="sum", delta=2.0), "pairs"),
    ("BCELoss", dict(weight=WEIGHT), "probabilities"),
    ("BCEWithLogitsLoss", {}, "binary"),
    ("BCEWithLogitsLoss", dict(weight=WEIGHT, pos_weight=[3.0, 0.5, 1.0], reduction="none"), "binary"),
]


def _build(torch, framework, name, options):
    for key in ("weight", "pos_weight"):
        if key in options:
            values = options[key]
            options = {**options, key: torch.tensor(values, dtype=torch.float64) if framework is torch.nn
                       else numpy.array(values)}
    return getattr(framework, name)(**options)


@pytest.mark.parametrize("name, options, inputs", CASES)
def test_loss_module_matches_pytorch(torch, name, options, inputs):
    rng = numpy.random.default_rng(0)
    x = 3 * rng.standard_normal((6, 3))
    if inputs == "log_probs":
        x = x - numpy.log(numpy.exp(x).sum(axis=1, keepdims=True))
    if inputs == "probabilities":
        x = 1 / (1 + numpy.exp(-x))
    ours, theirs = _build(torch, nn, name, options), _build(torch, torch.nn, name, options)
    if inputs == "pairs":
        target = rng.standard_normal((6, 3))
    elif inputs in ("probabilities", "binary"):
        target = rng.uniform(0, 1, (6, 3))
    else:  # row 4 is ignored where an ignore_index is given, class 1 otherwise
        target = numpy.where(TARGET < 0, options.get("ignore_index", 1), TARGET)
    their_target = torch.from_numpy(target)
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    loss_ours, loss_theirs = ours(x_ours, target), theirs(x_theirs, their_target)
    numpy.testing.assert_allclose(loss_ours.numpy(), loss_theirs.detach().numpy(), rtol=1e-12)
    v = rng.standard_normal(loss_ours.shape)
    loss_ours.backward(Tensor(v))
    loss_theirs.backward(torch.from_numpy(v))
    numpy.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_a_class_weight_is_a_buffer_and_loads_from_a_state_dict(torch):
    loss = nn.CrossEntropyLoss(weight=[1.0, 1.0, 1.0])
    loss.load_state_dict({"weight": numpy.array(WEIGHT, dtype="float32")})
    numpy.testing.assert_array_equal(loss.weight.numpy(), numpy.array(WEIGHT, dtype="float32"))
    theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor(WEIGHT))
    x = numpy.random.default_rng(1).standard_normal((6, 3)).astype("float32")
    target = numpy.where(TARGET < 0, 1, TARGET)
    assert loss(Tensor(x), target).item() == pytest.approx(theirs(torch.from_numpy(x), torch.from_numpy(target)).item(),
                                                            rel=1e-6)


@pytest.mark.parametrize("name", ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
                                  "BCELoss", "BCEWithLogitsLoss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss",
                                  "CosineEmbeddingLoss", "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss",
                                  "MultiLabelSoftMarginLoss", "MultiMarginLoss", "MultiLabelMarginLoss",
                                  "TripletMarginLoss", "TripletMarginWithDistanceLoss"])
def test_an_unknown_reduction_is_refused_when_built(name):
    with pytest.raises(ValueError, match=f"{name}: reduction must be one of .* got 'avg'"):
        getattr(nn, name)(reduction="avg")


def test_pos_weight_is_a_buffer_and_loads_from_a_state_dict(torch):
    theirs = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([3.0, 0.5, 2.0]))
    ours = nn.BCEWithLogitsLoss(pos_weight=[1.0, 1.0, 1.0])
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    rng = numpy.random.default_rng(2)
    x, target = rng.standard_normal((6, 3)).astype("float32"), rng.uniform(0, 1, (6, 3)).astype("float32")
    expected = theirs(torch.from_numpy(x), torch.from_numpy(target)).item()
    assert ours(Tensor(x), target).item() == pytest.approx(expected, rel=1e-6)


# The binary and regression losses of nn.functional ---------------------------------------


def _targets_in_0_1(rng, shape):
    """Soft targets, with a few hard 0s and 1s among them."""
    return numpy.where(rng.random(shape) < 0.25, rng.integers(0, 2, shape), rng.uniform(0, 1, shape))


SAMPLERS = {  # name -> (input, target), from a generator and a shape
    "logits": lambda rng, shape: (3 * rng.standard_normal(shape), _targets_in_0_1(rng, shape)),
    "probabilities": lambda rng, shape: (rng.uniform(0.02, 0.98, shape), _targets_in_0_1(rng, shape)),
    "pairs": lambda rng, shape: (2 * rng.standard_normal(shape), rng.standard_normal(shape)),
}
# (function name, keyword arguments, sampler); weight and pos_weight broadcast to (4, 3)
FUNCTION_CASES = {
    "bce with logits": ("binary_cross_entropy_with_logits", {}, "logits"),
    "bce with logits, weight per row": ("binary_cross_entropy_with_logits", dict(weight=[[0.5], [2.0], [1.0], [3.0]]),
                                        "logits"),
    "bce with logits, pos_weight": ("binary_cross_entropy_with_logits", dict(pos_weight=[3.0, 0.5, 1.0]), "logits"),
    "bce with logits, both": ("binary_cross_entropy_with_logits", dict(weight=[2.0, 0.5, 1.5], pos_weight=[2.0]),
                              "logits"),
    "bce": ("binary_cross_entropy", {}, "probabilities"),
    "bce, weight": ("binary_cross_entropy", dict(weight=[2.0, 0.5, 1.5]), "probabilities"),
    "l1": ("l1_loss", {}, "pairs"),
    "smooth l1": ("smooth_l1_loss", {}, "pairs"),
    "smooth l1, beta 0.5": ("smooth_l1_loss", dict(beta=0.5), "pairs"),
    "smooth l1, beta 0": ("smooth_l1_loss", dict(beta=0.0), "pairs"),
    "huber": ("huber_loss", {}, "pairs"),
    "huber, delta 2": ("huber_loss", dict(delta=2.0), "pairs"),
}
TOLERANCE = {"float32": dict(rtol=2e-5, atol=1e-6), "float64": dict(rtol=1e-11, atol=1e-14)}


def _run_both(torch, name, options, x, target, dtype, upstream_seed=9):
    """Loss and gradients with respect to input and target, here and in PyTorch, for a
    random upstream gradient; returns ([ours], [theirs]) as arrays."""
    results = []
    for function, leaf, as_tensor in (
        (getattr(F, name), lambda a: Tensor(a, requires_grad=True), lambda a: Tensor(a)),
        (getattr(torch.nn.functional, name), lambda a: torch.tensor(a, requires_grad=True), torch.from_numpy),
    ):
        inputs = [leaf(numpy.asarray(a, dtype=dtype)) for a in (x, target)]
        given = {key: as_tensor(numpy.asarray(value, dtype=dtype)) if isinstance(value, list) else value
                 for key, value in options.items()}
        loss = function(*inputs, **given)
        v = numpy.random.default_rng(upstream_seed).standard_normal(tuple(loss.shape)).astype(dtype)
        loss.backward(as_tensor(v))
        results.append([loss.detach().numpy(), *(t.grad.numpy() for t in inputs)])
    return results


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", FUNCTION_CASES)
def test_loss_function_matches_pytorch_in_value_and_both_gradients(torch, case, reduction, dtype):
    name, options, sampler = FUNCTION_CASES[case]
    x, target = SAMPLERS[sampler](numpy.random.default_rng(0), (4, 3))
    ours, theirs = _run_both(torch, name, {**options, "reduction": reduction}, x, target, dtype)
    assert ours[0].dtype == numpy.dtype(dtype)
    for mine, other, what in zip(ours, theirs, ("loss", "input gradient", "target gradient"), strict=True):
        numpy.testing.assert_allclose(mine, other, err_msg=what, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("pos_weight", [None, [0.5, 2.0, 3.0, 1.0, 4.0]])
def test_bce_with_logits_is_finite_and_right_for_extreme_logits(torch, dtype, pos_weight):
    x = numpy.array([[-1000.0, -100.0, 0.0, 100.0, 1000.0]] * 3)  # 0: the gradient is σ(0) − y there
    target = numpy.array([[0.0], [1.0], [0.25]]) * numpy.ones((1, 5))
    options = dict(reduction="none", pos_weight=pos_weight)
    ours, theirs = _run_both(torch, "binary_cross_entropy_with_logits", options, x, target, dtype)
    for mine, other in zip(ours, theirs, strict=True):
        assert numpy.isfinite(mine).all()
        # log(1 + e^(−100)) rounds to 0 here, to 3.7e-44 in PyTorch (log1p)
        numpy.testing.assert_allclose(mine, other, rtol=TOLERANCE[dtype]["rtol"], atol=1e-40)


def test_bce_clamps_each_log_at_minus_100_like_pytorch(torch):
    p = numpy.array([0.0, 1.0, 1e-50, 0.5])
    target = numpy.array([1.0, 0.0, 1.0, 1.0])
    x = Tensor(p, requires_grad=True)
    loss = F.binary_cross_entropy(x, target, reduction="none")
    expected = torch.nn.functional.binary_cross_entropy(torch.from_numpy(p), torch.from_numpy(target),
                                                        reduction="none")
    numpy.testing.assert_allclose(loss.numpy(), expected.numpy(), rtol=1e-15)
    numpy.testing.assert_allclose(loss.numpy(), [100.0, 100.0, 100.0, numpy.log(2)], rtol=1e-15)
    loss.backward(Tensor(numpy.ones(4)))
    # the clamped logs are flat: only −y/x at x = 0.5 is left
    assert x.grad.numpy().tolist() == [0.0, 0.0, 0.0, -2.0]


LOSS_FUNCTIONS = ["binary_cross_entropy_with_logits", "binary_cross_entropy", "l1_loss", "smooth_l1_loss",
                  "huber_loss"]


@pytest.mark.parametrize("name, options", [(name, {}) for name in LOSS_FUNCTIONS] + [("smooth_l1_loss", {"beta": 0.0})])
def test_loss_functions_refuse_a_target_of_another_shape(name, options):
    with pytest.raises(ValueError, match=rf"{name} expects input and target of one shape, got \(4, 3\) and \(4, 1\)"):
        getattr(F, name)(tg.zeros(4, 3), tg.zeros(4, 1), **options)


@pytest.mark.parametrize("name", LOSS_FUNCTIONS)
def test_loss_functions_refuse_an_unknown_reduction(name):
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"):
        getattr(F, name)(tg.zeros(4, 3), tg.zeros(4, 3), reduction="avg")


@pytest.mark.parametrize("call, words", [
    (lambda x: F.binary_cross_entropy(x * 3.0, x), r"expects input values in \[0, 1\], got values from 0.0 to "
     r"1.5; for logits use binary_cross_entropy_with_logits"),
    (lambda x: F.binary_cross_entropy(x, x - 0.25), r"expects target values in \[0, 1\], got values from -0.25 to"),
    (lambda x: F.binary_cross_entropy(x, x, tg.ones(4)), r"weight that broadcasts to the input's shape \(4, 3\), "
     r"got \(4,\)"),
    (lambda x: F.binary_cross_entropy_with_logits(x, x, pos_weight=[1.0, 2.0]), r"pos_weight that broadcasts to "
     r"the input's shape \(4, 3\), got \(2,\)"),
    (lambda x: F.binary_cross_entropy_with_logits(x, x, tg.ones(2, 4, 3)), r"got \(2, 4, 3\)"),
    (lambda x: F.smooth_l1_loss(x, x, beta=-1.0), "smooth_l1_loss: beta must be >= 0, got -1.0"),
    (lambda x: F.huber_loss(x, x, delta=0.0), "huber_loss: delta must be > 0, got 0.0"),
])
def test_loss_options_are_checked(call, words):
    x = Tensor(numpy.linspace(0.0, 0.5, 12).reshape(4, 3))
    with pytest.raises(ValueError, match=words):
        call(x)


def test_losses_run_on_the_device(strict_cuda):
    rng = numpy.random.default_rng(3)
    logits, target = SAMPLERS["logits"](rng, (4, 3))
    weight, pos_weight = rng.uniform(0.5, 2.0, (4, 1)), rng.uniform(0.5, 2.0, 3)
    results = {}
    for device in ("cpu", "cuda"):
        def on(a, grad=False, device=device):
            return Tensor(a, requires_grad=grad, device=device)

        x, y = on(logits, grad=True), on(target, grad=True)
        losses = [
            F.binary_cross_entropy_with_logits(x, y, on(weight), pos_weight=on(pos_weight)),
            F.binary_cross_entropy(x.sigmoid(), y, on(weight)),
            F.l1_loss(x, y), F.smooth_l1_loss(x, y, beta=0.5), F.huber_loss(x, y, delta=2.0),
        ]
        total = losses[0] + losses[1] + losses[2] + losses[3] + losses[4]
        total.backward()
        assert x.grad.device == device
        results[device] = [t.numpy() for t in (*losses, x.grad, y.grad)]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)


# (name, input shape, options): class indices per element of (N, C, d1, ...) scores
PER_ELEMENT_CASES = {
    "cross_entropy (N, C, L)": ("cross_entropy", (3, 4, 5), {}),
    "cross_entropy (N, C, H, W), weight, ignore_index": ("cross_entropy", (2, 4, 3, 5),
                                                         dict(weight=[0.5, 2.0, 1.0, 1.5], ignore_index=1)),
    "cross_entropy (N, C, H, W), label smoothing": ("cross_entropy", (2, 3, 2, 2), dict(label_smoothing=0.2)),
    "nll_loss (N, C, H, W), weight": ("nll_loss", (2, 4, 3, 2), dict(weight=[0.5, 2.0, 1.0, 1.5])),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", PER_ELEMENT_CASES)
def test_class_indices_per_element_match_pytorch(torch, case, reduction):
    name, shape, options = PER_ELEMENT_CASES[case]
    rng = numpy.random.default_rng(1)
    elements = (shape[0], *shape[2:])
    x, target = rng.standard_normal(shape), rng.integers(0, shape[1], elements)
    upstream = rng.standard_normal(elements if reduction == "none" else ())
    losses, grads = [], []
    for framework, functional in ((tg, F), (torch, torch.nn.functional)):
        scores = framework.tensor(x, requires_grad=True)
        given = {key: framework.tensor(value, dtype=framework.float64) if isinstance(value, list) else value
                 for key, value in options.items()}
        loss = getattr(functional, name)(scores, framework.tensor(target), reduction=reduction, **given)
        loss.backward(framework.tensor(upstream))
        losses.append(loss.detach().numpy())
        grads.append(scores.grad.numpy())
    assert losses[0].shape == losses[1].shape
    numpy.testing.assert_allclose(losses[0], losses[1], rtol=1e-11, atol=1e-14)
    numpy.testing.assert_allclose(grads[0], grads[1], rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape, options", [((5, 3), {}), ((2, 4, 3), dict(weight=[0.5, 2.0, 1.0, 1.5])),
                                            ((2, 3, 2, 2), dict(label_smoothing=0.1))])
def test_cross_entropy_with_class_probabilities_matches_pytorch(torch, shape, options, reduction):
    rng = numpy.random.default_rng(2)
    x, q = rng.standard_normal(shape), rng.random(shape)
    q /= q.sum(axis=1, keepdims=True)
    results = []
    for framework, functional in ((tg, F), (torch, torch.nn.functional)):
        scores, probabilities = framework.tensor(x, requires_grad=True), framework.tensor(q, requires_grad=True)
        given = {key: framework.tensor(value, dtype=framework.float64) if isinstance(value, list) else value
                 for key, value in options.items()}
        loss = functional.cross_entropy(scores, probabilities, reduction=reduction, **given)
        loss.sum().backward()
        results.append([loss.detach().numpy(), scores.grad.numpy(), probabilities.grad.numpy()])
    for mine, theirs in zip(*results, strict=True):
        numpy.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-14)


# The losses of distributions and the margin losses, as modules ----------------------------


def _log_probabilities(rng, shape):
    x = rng.standard_normal(shape)
    return x - numpy.log(numpy.exp(x).sum(axis=-1, keepdims=True))


def _labels(rng, rows, classes):
    """Rows of class indices, each ended by −1."""
    labels = numpy.stack([rng.permutation(classes) for _ in range(rows)])
    labels[numpy.arange(rows), rng.integers(1, classes, rows)] = -1
    return labels


# (module name, options, arrays made from a generator): the first array is differentiated
MODULE_CASES = [
    ("KLDivLoss", dict(reduction="batchmean"), lambda r: [_log_probabilities(r, (4, 3)), r.uniform(0, 1, (4, 3))]),
    ("KLDivLoss", dict(reduction="sum", log_target=True), lambda r: [_log_probabilities(r, (4, 3)),
                                                                     _log_probabilities(r, (4, 3))]),
    ("PoissonNLLLoss", dict(log_input=False, full=True, eps=1e-3), lambda r: [r.uniform(0.1, 3, (4, 3)),
                                                                              r.poisson(2.0, (4, 3)).astype(float)]),
    ("GaussianNLLLoss", dict(full=True, eps=1e-3, reduction="none"), lambda r: [
        r.standard_normal((4, 3)), r.standard_normal((4, 3)), r.uniform(0, 2, (4, 1))]),
    ("CosineEmbeddingLoss", dict(margin=-0.2), lambda r: [r.standard_normal((4, 3)), r.standard_normal((4, 3)),
                                                          r.choice([-1.0, 1.0], 4)]),
    ("MarginRankingLoss", dict(margin=0.5, reduction="sum"), lambda r: [r.standard_normal(4), r.standard_normal(4),
                                                                        r.choice([-1.0, 1.0], 4)]),
    ("HingeEmbeddingLoss", dict(margin=2.0, reduction="none"), lambda r: [r.uniform(0, 3, (4, 3)),
                                                                          r.choice([-1.0, 1.0], (4, 3))]),
    ("SoftMarginLoss", {}, lambda r: [r.standard_normal((4, 3)), r.choice([-1.0, 1.0], (4, 3))]),
    ("MultiLabelSoftMarginLoss", dict(weight=WEIGHT), lambda r: [r.standard_normal((4, 3)),
                                                                 r.integers(0, 2, (4, 3)).astype(float)]),
    ("MultiMarginLoss", dict(p=2, margin=0.5, weight=WEIGHT), lambda r: [r.standard_normal((4, 3)),
                                                                         r.integers(0, 3, 4)]),
    ("MultiLabelMarginLoss", dict(reduction="none"), lambda r: [r.standard_normal((4, 3)), _labels(r, 4, 3)]),
    ("TripletMarginLoss", dict(margin=0.5, p=1.0, eps=1e-3, swap=True), lambda r: [r.standard_normal((4, 3))
                                                                                   for _ in range(3)]),
    ("TripletMarginWithDistanceLoss", dict(margin=0.5, swap=True), lambda r: [r.standard_normal((4, 3))
                                                                              for _ in range(3)]),
]


@pytest.mark.parametrize("name, options, make", MODULE_CASES, ids=[case[0] for case in MODULE_CASES])
def test_distribution_and_margin_loss_modules_match_pytorch(torch, name, options, make):
    arrays = make(numpy.random.default_rng(4))
    ours, theirs = _build(torch, nn, name, options), _build(torch, torch.nn, name, options)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    results = []
    for module, framework in ((ours, tg), (theirs, torch)):
        first = framework.tensor(arrays[0], requires_grad=True)
        loss = module(first, *(framework.tensor(a) for a in arrays[1:]))
        loss.sum().backward()
        results.append([loss.detach().numpy(), first.grad.numpy()])
    for mine, other in zip(*results, strict=True):
        numpy.testing.assert_allclose(mine, other, rtol=1e-11, atol=1e-14)


def test_kl_div_loss_alone_takes_batchmean():
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
    with pytest.raises(ValueError, match=r"MSELoss: reduction must be one of \('mean', 'sum', 'none'\), "
                                         r"got 'batchmean'"):
        nn.MSELoss(reduction="batchmean")


def test_triplet_distance_function_prints_as_pytorchs(torch):
    for ours, theirs in ((nn.TripletMarginWithDistanceLoss(distance_function=nn.CosineSimilarity()),
                          torch.nn.TripletMarginWithDistanceLoss(distance_function=torch.nn.CosineSimilarity())),
                         (nn.TripletMarginWithDistanceLoss(distance_function=F.pairwise_distance),
                          torch.nn.TripletMarginWithDistanceLoss(distance_function=torch.nn.functional.pairwise_distance))):
        assert repr(ours) == repr(theirs)


def test_multi_margin_weight_is_a_buffer_and_loads_from_a_state_dict(torch):
    theirs = torch.nn.MultiMarginLoss(weight=torch.tensor([3.0, 0.5, 2.0]))
    ours = nn.MultiMarginLoss(weight=[1.0, 1.0, 1.0])
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    x = numpy.random.default_rng(5).standard_normal((4, 3)).astype("float32")
    target = numpy.array([0, 2, 1, 2])
    expected = theirs(torch.from_numpy(x), torch.from_numpy(target)).item()
    assert ours(Tensor(x), target).item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("build, words", [
    (lambda: nn.MultiMarginLoss(p=3), "MultiMarginLoss supports p = 1 or p = 2, got p=3"),
    (lambda: nn.MultiMarginLoss(weight=[[1.0, 2.0]]), r"MultiMarginLoss expects a weight of one number per class, "
     r"got shape \(1, 2\)"),
    (lambda: nn.TripletMarginLoss(margin=0.0), "TripletMarginLoss expects a margin greater than 0, got 0.0"),
    (lambda: nn.TripletMarginWithDistanceLoss(margin=-1.0), "TripletMarginWithDistanceLoss expects a margin greater "
     "than 0, got -1.0"),
])
def test_loss_modules_check_their_options_when_built(build, words):
    with pytest.raises(ValueError, match=words):
        build()


def test_distribution_and_margin_losses_run_on_the_device(strict_cuda):
    rng = numpy.random.default_rng(6)
    x, y, z = (rng.standard_normal((4, 3)) for _ in range(3))
    x[1] = 0.0  # a zero vector for cosine_similarity
    probabilities = numpy.where(rng.random((4, 3)) < 0.3, 0.0, rng.uniform(0, 1, (4, 3)))
    counts, classes, labels = rng.poisson(2.0, (4, 3)).astype(float), rng.integers(0, 3, 4), _labels(rng, 4, 3)
    results = {}
    for device in ("cpu", "cuda"):
        def on(a, grad=False, device=device):
            return Tensor(a, requires_grad=grad, device=device)

        a, b = on(x, grad=True), on(y, grad=True)
        losses = [
            F.kl_div(a.log_softmax(1), on(probabilities), reduction="batchmean"),
            F.poisson_nll_loss(a, on(counts), full=True),
            F.gaussian_nll_loss(a, b, on(numpy.abs(z[:, 0]))),
            F.cosine_similarity(a, b).sum(),
            tg.cdist(a, b[:2] * 1.0, p=3.0).sum() + tg.cdist(a, a).sum(),
            F.triplet_margin_loss(a, b, on(z), p=3, swap=True),
            F.multi_margin_loss(a, on(classes), weight=on(numpy.array(WEIGHT))),
            F.multilabel_margin_loss(a, on(labels)),
            F.multilabel_soft_margin_loss(a, on(probabilities)),
            F.soft_margin_loss(a, on(numpy.sign(z))),
        ]
        total = losses[0]
        for loss in losses[1:]:
            total = total + loss
        total.backward()
        assert a.grad.device == device
        results[device] = [t.numpy() for t in (*losses, a.grad, b.grad)]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12)
