"""nn.functional: derivatives by finite differences, values and gradients against PyTorch."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F


def rng_array(shape, seed=0, scale=1.0):
    return scale * numpy.random.default_rng(seed).standard_normal(shape)


def leaf(shape, seed=0, dtype="float64", scale=1.0):
    return Tensor(rng_array(shape, seed, scale).astype(dtype), requires_grad=True)


# (input shape, weight shape, stride, padding, dilation, groups)
CONV_CASES = [
    ((2, 2, 5, 5), (3, 2, 3, 3), 1, 0, 1, 1),
    ((1, 3, 6, 5), (2, 3, 3, 2), 2, 1, 1, 1),
    ((2, 1, 4, 4), (2, 1, 2, 2), (1, 2), (0, 1), 1, 1),
    ((1, 2, 7, 6), (2, 2, 2, 3), 1, 1, (2, 1), 1),
    ((2, 4, 5, 5), (6, 2, 3, 3), 1, 1, 1, 2),  # two groups
    ((1, 3, 6, 6), (3, 1, 3, 3), 2, 2, 2, 3),  # depthwise, dilated
    ((1, 2, 5, 6), (3, 2, 2, 3), 1, "same", (2, 1), 1),  # uneven "same": the odd row and column at the end
    ((2, 2, 5, 5), (2, 1, 3, 3), 1, "valid", 1, 2),
]
CONV1D_CASES = [
    ((2, 2, 7), (3, 2, 3), 1, 0, 1, 1),
    ((1, 3, 9), (2, 3, 2), 2, 1, 1, 1),
    ((2, 2, 8), (2, 2, 3), (3,), (2,), (1,), 1),  # one-tuples, as PyTorch's Conv1d stores them
    ((2, 4, 8), (6, 2, 3), 1, 2, 2, 2),  # two groups, dilated
    ((1, 3, 10), (3, 1, 3), 3, 2, 2, 3),  # depthwise, strided and dilated
    ((2, 2, 6), (3, 2, 4), 1, "same", 1, 1),  # even kernel: the odd zero at the end
    ((1, 2, 7), (2, 2, 3), 1, "same", 2, 1),
    ((2, 4, 6), (2, 2, 3), 1, "valid", 1, 2),
]
# (input shape, kernel_size, stride, padding, dilation, ceil_mode): overlapping, tiling,
# padded, dilated windows, and partial last windows kept by ceil_mode
POOL_CASES = [
    ((2, 2, 5, 5), 3, 1, 0, 1, False),
    ((1, 3, 4, 6), 2, None, 0, 1, False),
    ((2, 1, 5, 4), 3, 2, 1, 1, False),
    ((1, 2, 8, 7), 2, 1, 1, 2, False),
    ((2, 1, 5, 7), 2, None, 0, 1, True),
    ((1, 2, 6, 5), 3, 2, 1, (1, 2), True),
    ((1, 1, 5, 5), 2, 3, 1, 1, True),  # the last window would start in the right padding: dropped
    # stride = window: non-overlapping tiles, cut short in floor mode, rectangular, ceil mode on whole tiles
    ((2, 2, 7, 5), 2, None, 0, 1, False),
    ((1, 2, 6, 6), (3, 2), None, 0, 1, False),
    ((1, 1, 4, 6), 2, 2, 0, 1, True),
    # ceil mode with windows longer than the image: one partial window each way, or along one axis
    ((1, 1, 1, 1), 2, None, 0, 1, True),
    ((2, 1, 1, 3), (1, 2), None, 0, 1, True),
    ((1, 2, 3, 2), 4, 3, 1, 1, True),
]
POOL_ARGS = "shape, kernel_size, stride, padding, dilation, ceil_mode"
# (input shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG_POOL_CASES = [
    ((2, 2, 4, 6), 2, None, 0, False, True, None),
    ((1, 3, 7, 6), 3, 2, 1, False, True, None),
    ((1, 3, 7, 6), 3, 2, 1, False, False, None),  # padded windows divide by the pixels they cover
    ((2, 1, 7, 6), (3, 2), 2, 1, True, True, None),  # ceil_mode: the last window is cut at the padding
    ((2, 1, 7, 6), (3, 2), 2, 1, True, False, None),
    ((1, 2, 5, 5), 2, 1, 1, False, True, 3),
    ((1, 1, 1, 1), (1, 2), None, 0, True, True, None),  # ceil mode, a window longer than the image
    ((2, 1, 3, 2), 4, 3, 1, True, False, None),
]
AVG_POOL_ARGS = "shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override"
# (input shape, output_size): shrinking by whole and by uneven (overlapping) windows, keeping a size, growing
ADAPTIVE_CASES = [((2, 3, 6, 4), 1), ((1, 2, 7, 5), (3, 2)), ((1, 2, 5, 6), (None, 4)), ((1, 1, 3, 2), (5, 3))]
CONV_ARGS = "x_shape, w_shape, stride, padding, dilation, groups"


def distinct(shape, seed=0):
    """Positive values at least 0.1 apart, so no pooling window holds a tie, nor
    does one of their squares (a tie has no derivative to check)."""
    size = int(numpy.prod(shape))
    values = numpy.random.default_rng(seed).permutation(size) * 0.1 + 0.05
    return Tensor(values.reshape(shape), requires_grad=True)


# Finite differences -------------------------------------------------------------------


@pytest.mark.parametrize(CONV_ARGS, CONV_CASES)
def test_conv2d_derivatives(x_shape, w_shape, stride, padding, dilation, groups):
    x, w, b = leaf(x_shape), leaf(w_shape, 1), leaf(w_shape[:1], 2)

    def conv(*tensors):
        return F.conv2d(*tensors, stride, padding, dilation, groups)

    assert gradcheck(conv, (x, w, b))
    assert gradgradcheck(conv, (x, w, b))


@pytest.mark.parametrize(CONV_ARGS, CONV1D_CASES)
def test_conv1d_derivatives(x_shape, w_shape, stride, padding, dilation, groups):
    x, w, b = leaf(x_shape), leaf(w_shape, 1), leaf(w_shape[:1], 2)
    assert gradcheck(lambda *t: F.conv1d(*t, stride, padding, dilation, groups), (x, w, b))


@pytest.mark.parametrize(POOL_ARGS, POOL_CASES)
def test_max_pool2d_derivatives(shape, kernel_size, stride, padding, dilation, ceil_mode):
    x = distinct(shape)

    def pool(t):
        return F.max_pool2d(t, kernel_size, stride, padding, dilation, ceil_mode)

    assert gradcheck(pool, x)
    # pooling is piecewise linear: its second derivative is checked through a square
    assert gradgradcheck(lambda t: pool(t * t), x)


@pytest.mark.parametrize(AVG_POOL_ARGS, AVG_POOL_CASES)
def test_avg_pool2d_derivatives(shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    def pool(t):
        return F.avg_pool2d(t, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)

    x = leaf(shape)
    assert gradcheck(pool, x)
    assert gradgradcheck(lambda t: pool(t * t), x)  # linear, so checked through a square


@pytest.mark.parametrize("shape, output_size", ADAPTIVE_CASES)
def test_adaptive_avg_pool2d_derivatives(shape, output_size):
    x = leaf(shape)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, output_size), x)
    assert gradgradcheck(lambda t: F.adaptive_avg_pool2d(t * t, output_size), x)


def test_leaky_relu_derivatives():
    x = Tensor(numpy.random.default_rng(0).choice([-1.0, 1.0], (3, 4)) * numpy.linspace(0.2, 2.0, 12).reshape(3, 4),
               requires_grad=True)  # away from the kink at 0
    assert gradcheck(lambda t: F.leaky_relu(t, 0.2), x)
    assert gradgradcheck(lambda t: F.leaky_relu(t * t * t, 0.2), x)


@pytest.mark.parametrize("input_shape", [(4, 3), (2, 3, 3)])
def test_linear_derivatives(input_shape):
    x, w, b = leaf(input_shape), leaf((2, 3), 1), leaf((2,), 2)
    assert gradcheck(F.linear, (x, w, b))
    assert gradgradcheck(F.linear, (x, w, b))


@pytest.mark.parametrize("loss", [
    F.cross_entropy,
    lambda x, t: F.nll_loss(F.log_softmax(x, 1), t, reduction="sum"),
    *(lambda x, t, reduction=reduction: F.nll_loss(F.log_softmax(x, 1), t, [0.5, 2.0, 1.5, 3.0], ignore_index=1,
                                                   reduction=reduction) for reduction in ("mean", "sum", "none")),
])
def test_classification_loss_derivatives(loss):
    logits = leaf((5, 4), scale=3.0)
    target = numpy.array([0, 3, 1, 3, 2])
    assert gradcheck(lambda t: loss(t, target), logits)
    assert gradgradcheck(lambda t: loss(t, target), logits)


# differences x − y of every size from 0.1 to 2, away from 0 (l1's kink) and from β = δ = 0.7
DIFFERENCES = numpy.linspace(0.1, 2.0, 12).reshape(3, 4) * numpy.array([1.0, -1.0, -1.0, 1.0])
BINARY_AND_REGRESSION_LOSSES = {  # name -> (loss of input and target, input)
    "bce with logits": (lambda x, y: F.binary_cross_entropy_with_logits(x, y, [[1.0], [2.0], [0.5]],
                                                                        pos_weight=[0.5, 2.0, 3.0, 1.0]),
                        rng_array((3, 4), scale=3.0)),
    "bce": (lambda x, y: F.binary_cross_entropy(x, y, [0.5, 2.0, 3.0, 1.0], reduction="sum"),
            numpy.linspace(0.05, 0.95, 12).reshape(3, 4)),
    "l1": (lambda x, y: F.l1_loss(x, y, reduction="none"), rng_array((3, 4))),
    "smooth l1": (lambda x, y: F.smooth_l1_loss(x, y, reduction="none", beta=0.7), rng_array((3, 4))),
    "huber": (lambda x, y: F.huber_loss(x, y, delta=0.7), rng_array((3, 4))),
}


@pytest.mark.parametrize("name", BINARY_AND_REGRESSION_LOSSES)
def test_binary_and_regression_loss_derivatives_in_input_and_target(name):
    loss, x = BINARY_AND_REGRESSION_LOSSES[name]
    # binary targets in (0, 1); regression targets y = x − d
    y = numpy.random.default_rng(1).uniform(0.1, 0.9, x.shape) if name.startswith("bce") else x - DIFFERENCES
    inputs = (Tensor(x, requires_grad=True), Tensor(y, requires_grad=True))
    assert gradcheck(loss, inputs)
    assert gradgradcheck(loss, inputs)


# PyTorch parity -----------------------------------------------------------------------


TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-11, atol=1e-12)}


def assert_same_values_and_gradients(torch, ours_fn, theirs_fn, arrays, dtype, upstream_seed=9):
    """Run both functions on the same arrays; compare outputs and the gradients of ⟨v, out⟩
    for a random v."""
    ours_inputs = [Tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    theirs_inputs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    ours, theirs = ours_fn(*ours_inputs), theirs_fn(*theirs_inputs)
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), **TOLERANCE[dtype])
    v = numpy.asarray(rng_array(ours.shape, upstream_seed), dtype=dtype)
    ours.backward(Tensor(v))
    theirs.backward(torch.from_numpy(v))
    for mine, other in zip(ours_inputs, theirs_inputs, strict=True):
        numpy.testing.assert_allclose(mine.grad.numpy(), other.grad.numpy(), **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(CONV_ARGS, CONV_CASES)
def test_conv2d_matches_pytorch(torch, x_shape, w_shape, stride, padding, dilation, groups, dtype):
    arrays = [rng_array(x_shape), rng_array(w_shape, 1), rng_array(w_shape[:1], 2)]
    assert_same_values_and_gradients(
        torch,
        lambda *t: F.conv2d(*t, stride, padding, dilation, groups),
        lambda *t: torch.nn.functional.conv2d(*t, stride, padding, dilation, groups),
        arrays, dtype,
    )


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")  # PyTorch's own note
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(CONV_ARGS, CONV1D_CASES)
def test_conv1d_matches_pytorch(torch, x_shape, w_shape, stride, padding, dilation, groups, dtype):
    arrays = [rng_array(x_shape), rng_array(w_shape, 1), rng_array(w_shape[:1], 2)]
    assert_same_values_and_gradients(
        torch,
        lambda *t: F.conv1d(*t, stride, padding, dilation, groups),
        lambda *t: torch.nn.functional.conv1d(*t, stride, padding, dilation, groups),
        arrays, dtype,
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(POOL_ARGS, POOL_CASES)
def test_max_pool2d_matches_pytorch(torch, shape, kernel_size, stride, padding, dilation, ceil_mode, dtype):
    assert_same_values_and_gradients(
        torch,
        lambda t: F.max_pool2d(t, kernel_size, stride, padding, dilation, ceil_mode),
        lambda t: torch.nn.functional.max_pool2d(t, kernel_size, stride, padding, dilation, ceil_mode),
        [distinct(shape).numpy()], dtype,
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(AVG_POOL_ARGS, AVG_POOL_CASES)
def test_avg_pool2d_matches_pytorch(torch, shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                    divisor_override, dtype):
    options = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    assert_same_values_and_gradients(
        torch, lambda t: F.avg_pool2d(t, *options), lambda t: torch.nn.functional.avg_pool2d(t, *options),
        [rng_array(shape)], dtype,
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, output_size", ADAPTIVE_CASES)
def test_adaptive_avg_pool2d_matches_pytorch(torch, shape, output_size, dtype):
    assert_same_values_and_gradients(
        torch,
        lambda t: F.adaptive_avg_pool2d(t, output_size),
        lambda t: torch.nn.functional.adaptive_avg_pool2d(t, output_size),
        [rng_array(shape)], dtype,
    )


def test_leaky_relu_matches_pytorch_also_at_zero(torch):
    values = numpy.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    assert_same_values_and_gradients(
        torch, lambda t: F.leaky_relu(t, 0.1), lambda t: torch.nn.functional.leaky_relu(t, 0.1), [values], "float64",
    )


def tied(shape, seed=0):
    """Small integers: most pooling windows hold a tie (as after a ReLU, all zeros)."""
    return numpy.random.default_rng(seed).integers(0, 3, size=shape).astype("float64")


def test_max_pool2d_sends_a_tied_window_gradient_to_its_first_maximum():
    x = Tensor([[[[1.0, 4.0, 0.0, 0.0], [4.0, 2.0, 0.0, 0.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).backward(Tensor([[[[10.0, 20.0]]]]))
    # window 1 holds 4 twice (row 0 comes first); window 2 is all zeros (its first element)
    assert x.grad.numpy().tolist() == [[[[0.0, 10.0, 20.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(POOL_ARGS, POOL_CASES)
def test_max_pool2d_with_ties_matches_pytorch(torch, shape, kernel_size, stride, padding, dilation, ceil_mode,
                                              dtype):
    assert_same_values_and_gradients(
        torch,
        lambda t: F.max_pool2d(t, kernel_size, stride, padding, dilation, ceil_mode),
        lambda t: torch.nn.functional.max_pool2d(t, kernel_size, stride, padding, dilation, ceil_mode),
        [tied(shape)], dtype,
    )


@pytest.mark.parametrize("values", ["distinct", "tied"])
@pytest.mark.parametrize(POOL_ARGS, POOL_CASES)
def test_max_pool2d_indices_match_pytorch(torch, shape, kernel_size, stride, padding, dilation, ceil_mode, values):
    x = distinct(shape).numpy() if values == "distinct" else tied(shape)
    options = (kernel_size, stride, padding, dilation, ceil_mode, True)
    pooled, indices = F.max_pool2d(Tensor(x), *options)
    their_pooled, their_indices = torch.nn.functional.max_pool2d(torch.from_numpy(x), *options)
    numpy.testing.assert_array_equal(pooled.numpy(), their_pooled.numpy())
    assert indices.dtype == numpy.int64 and not indices.requires_grad
    numpy.testing.assert_array_equal(indices.numpy(), their_indices.numpy())


# (input shape, kernel_size, stride, padding, output_size) of the pooling that is undone
UNPOOL_CASES = [
    ((2, 3, 4, 6), 2, None, 0, None),
    ((1, 2, 7, 6), 3, 2, 1, (7, 6)),  # the default size would be (7, 5): too small for these indices
    ((1, 2, 7, 7), (3, 2), (2, 3), (1, 0), (1, 2, 7, 7)),  # output_size with (N, C) in front
    ((2, 1, 5, 5), 3, 1, 1, None),  # overlapping windows: a pixel can be the maximum of several
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, kernel_size, stride, padding, output_size", UNPOOL_CASES)
def test_max_unpool2d_matches_pytorch(torch, shape, kernel_size, stride, padding, output_size, dtype):
    pooled, indices = torch.nn.functional.max_pool2d(torch.from_numpy(tied(shape)), kernel_size, stride, padding,
                                                     return_indices=True)
    assert_same_values_and_gradients(
        torch,
        lambda t: F.max_unpool2d(t, indices.numpy(), kernel_size, stride, padding, output_size),
        lambda t: torch.nn.functional.max_unpool2d(t, indices, kernel_size, stride, padding, output_size),
        [rng_array(tuple(pooled.shape))], dtype,
    )


# windows that do not overlap: no pixel is placed twice, so unpooling is a function of every value
UNIQUE_UNPOOL_CASES = [UNPOOL_CASES[0], ((1, 2, 6, 6), 3, 3, 0, None), ((1, 1, 5, 7), (2, 3), (2, 3), 1, (6, 8))]


@pytest.mark.parametrize("shape, kernel_size, stride, padding, output_size", UNIQUE_UNPOOL_CASES)
def test_max_unpool2d_derivatives(shape, kernel_size, stride, padding, output_size):
    _, indices = F.max_pool2d(distinct(shape), kernel_size, stride, padding, return_indices=True)
    x = leaf(indices.shape)
    assert gradcheck(lambda t: F.max_unpool2d(t, indices, kernel_size, stride, padding, output_size), x)
    assert gradgradcheck(lambda t: F.max_unpool2d(t * t, indices, kernel_size, stride, padding, output_size), x)


@pytest.mark.parametrize("call, words", [
    (lambda: F.max_unpool2d(tg.ones(1, 1, 2, 2), numpy.array([[[[0, 1], [4, 16]]]]), 2),
     r"indices must lie in \[0, 16\) for an output of size \(4, 4\), got values from 0 to 16"),
    (lambda: F.max_unpool2d(tg.ones(1, 1, 2, 2), numpy.zeros((1, 1, 2, 3), dtype="int64"), 2),
     r"integer indices of the input's shape \(1, 1, 2, 2\), got int64 indices of shape \(1, 1, 2, 3\)"),
    (lambda: F.max_unpool2d(tg.ones(1, 1, 2, 2), numpy.zeros((1, 1, 2, 2)), 2), "got float64 indices"),
    (lambda: F.max_unpool2d(tg.ones(2, 2), numpy.zeros((2, 2), dtype="int64"), 2), r"\(N, C, H, W\), got \(2, 2\)"),
])
def test_max_unpool2d_rejects_what_it_cannot_place(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_amax_over_an_axis_shares_a_tie():
    x = Tensor([[3.0, 1.0, 3.0]], requires_grad=True)
    x.amax(1).sum().backward()
    assert x.grad.numpy().tolist() == [[0.5, 0.0, 0.5]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_classification_losses_match_pytorch(torch, name, reduction, dtype):
    target = numpy.array([2, 0, 1, 2, 2, 0])
    assert_same_values_and_gradients(
        torch,
        lambda x: getattr(F, name)(x, target, reduction=reduction),
        lambda x: getattr(torch.nn.functional, name)(x, torch.from_numpy(target), reduction=reduction),
        [rng_array((6, 3), scale=4.0)], dtype,
    )


# (target, class weight, ignore_index): plain, weighted, with ignored rows, both
LOSS_OPTIONS = {
    "weighted": ([2, 0, 1, 2, 2, 0], [0.5, 2.0, 1.5], -100),
    "ignored": ([2, -100, 1, 2, -100, 0], None, -100),
    "ignore a class": ([2, 0, 1, 2, 2, 0], None, 2),
    "weighted and ignored": ([2, 0, 7, 1, 7, 0], [0.5, 2.0, 1.5], 7),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
@pytest.mark.parametrize("case", LOSS_OPTIONS)
def test_cross_entropy_options_match_pytorch(torch, case, label_smoothing, reduction, dtype):
    target, weight, ignore_index = LOSS_OPTIONS[case]
    target = numpy.array(target)
    options = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)
    assert_same_values_and_gradients(
        torch,
        lambda x: F.cross_entropy(x, target, None if weight is None else numpy.array(weight, dtype), **options),
        lambda x: torch.nn.functional.cross_entropy(
            x, torch.from_numpy(target), None if weight is None else torch.tensor(weight, dtype=x.dtype), **options),
        [rng_array((6, 3), scale=4.0)], dtype,
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", LOSS_OPTIONS)
def test_nll_loss_options_match_pytorch(torch, case, reduction):
    target, weight, ignore_index = LOSS_OPTIONS[case]
    target = numpy.array(target)
    ours = None if weight is None else Tensor(weight)  # the weight as a Tensor too
    theirs = None if weight is None else torch.tensor(weight, dtype=torch.float64)
    assert_same_values_and_gradients(
        torch,
        lambda x: F.nll_loss(x, target, ours, ignore_index=ignore_index, reduction=reduction),
        lambda x: torch.nn.functional.nll_loss(x, torch.from_numpy(target), theirs, ignore_index=ignore_index,
                                               reduction=reduction),
        [rng_array((6, 3))], "float64",
    )


def test_smoothed_weighted_cross_entropy_derivatives():
    logits = leaf((5, 4), scale=3.0)
    target = numpy.array([0, 3, 1, -1, 2])

    def loss(t):
        return F.cross_entropy(t, target, [1.0, 0.5, 2.0, 1.5], ignore_index=-1, label_smoothing=0.3)

    assert gradcheck(loss, logits)
    assert gradgradcheck(loss, logits)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.5])
def test_a_mean_over_no_counted_rows_is_nan_with_zero_gradient_as_in_pytorch(label_smoothing):
    x = leaf((2, 3))
    loss = F.cross_entropy(x, [-100, -100], label_smoothing=label_smoothing)
    loss.backward()
    assert numpy.isnan(loss.item())
    assert x.grad.numpy().tolist() == [[0.0] * 3] * 2


def test_label_smoothing_spreads_the_target_over_the_classes():
    """With ε = 1 the target is uniform: the loss is the mean of −log p over the classes."""
    logits = numpy.array([[0.0, 1.0, 3.0], [2.0, -1.0, 0.5]])
    log_p = logits - numpy.log(numpy.exp(logits).sum(axis=1, keepdims=True))
    loss = F.cross_entropy(Tensor(logits), [2, 0], label_smoothing=1.0, reduction="none")
    numpy.testing.assert_allclose(loss.numpy(), -log_p.mean(axis=1))


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda x: F.cross_entropy(x, [0, 1, 2], label_smoothing=1.5), ValueError,
         r"label_smoothing must be in \[0, 1\]"),
        (lambda x: F.cross_entropy(x, [0, 1, 2], [1.0, 2.0]), ValueError, r"weight of shape \(4,\), one per class"),
        (lambda x: F.nll_loss(x, [0, 1, 2], "sum"), TypeError, "pass reduction, ignore_index and label_smoothing by"),
        (lambda x: F.nll_loss(x, [0, 9, 2], ignore_index=8), ValueError, "or ignore_index=8, got values from 0 to 9"),
    ],
)
def test_loss_options_are_checked(call, error, words):
    with pytest.raises(error, match=words):
        call(tg.zeros(3, 4))


def test_cross_entropy_is_stable_for_huge_logits(torch):
    logits = numpy.array([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 0.0]], dtype="float32")
    target = numpy.array([2, 1])
    ours = F.cross_entropy(Tensor(logits), target).item()
    theirs = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(target)).item()
    assert numpy.isfinite(ours) and ours == pytest.approx(theirs, rel=1e-6)


@pytest.mark.parametrize("target", [[1, 0], numpy.array([1, 0], dtype="uint8"), tg.arange(2)[::-1]])
def test_cross_entropy_targets_as_list_array_or_tensor(target):
    logits = Tensor([[0.0, 2.0], [3.0, 1.0]])
    # −log σ(2) both times, σ the logistic function
    expected = numpy.log1p(numpy.exp(-2.0))
    assert F.cross_entropy(logits, target).item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "logits_shape, target, error, words",
    [
        ((3, 4), [0, 4, 1], ValueError, r"class indices in \[0, 4\) or ignore_index=-100, got values from 0 to 4"),
        ((3, 4), [0, -1, 1], ValueError, "from -1 to 1"),
        ((3, 4), [0, 1], ValueError,
         r"and \(N, d1, \.\.\.\), got input \(3, 4\) and target \(2,\)"),
        ((3,), [0, 1, 2], ValueError, r"input of shape \(N, C\)"),
        ((3, 4), [0.0, 1.0, 2.0], TypeError, "integer class indices"),
        ((3, 4), numpy.array([0, 1, 2], dtype="int32"), RuntimeError, "int64 or uint8, as PyTorch does, got int32"),
    ],
)
def test_cross_entropy_rejects_bad_targets(logits_shape, target, error, words):
    with pytest.raises(error, match=words):
        F.cross_entropy(tg.zeros(*logits_shape), target)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8"])
def test_class_index_dtypes_are_pytorchs(torch, loss, dtype):
    """Class indices are Long or Byte in PyTorch; any other integer dtype is refused by both."""
    scores, target = rng_array((3, 4)), numpy.array([0, 3, 1], dtype=dtype)
    try:
        theirs = getattr(torch.nn.functional, loss)(torch.from_numpy(scores), torch.from_numpy(target)).item()
    except RuntimeError:
        with pytest.raises(RuntimeError, match=f"int64 or uint8, as PyTorch does, got {dtype}"):
            getattr(F, loss)(Tensor(scores), Tensor(target))
    else:
        assert getattr(F, loss)(Tensor(scores), Tensor(target)).item() == pytest.approx(theirs, rel=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_pytorch(torch, reduction, dtype):
    assert_same_values_and_gradients(
        torch,
        lambda x, y: F.mse_loss(x, y, reduction=reduction),
        lambda x, y: torch.nn.functional.mse_loss(x, y, reduction=reduction),
        [rng_array((4, 3)), rng_array((4, 3), 1)], dtype,
    )


def test_mse_loss_rejects_different_shapes():
    with pytest.raises(ValueError, match=r"one shape, got \(4, 3\) and \(4, 1\)"):
        F.mse_loss(tg.zeros(4, 3), tg.zeros(4, 1))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmaxes_match_pytorch(torch, name, dim):
    assert_same_values_and_gradients(
        torch,
        lambda x: getattr(F, name)(x, dim),
        lambda x: getattr(torch.nn.functional, name)(x, dim),
        [rng_array((3, 4, 2), scale=5.0)], "float64",
    )


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmaxes_compute_in_the_dtype_given(torch, name):
    x = rng_array((3, 4), scale=5.0).astype("float32")
    ours = Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = getattr(F, name)(ours, 1, dtype=tg.float64)
    expected = getattr(torch.nn.functional, name)(theirs, 1, dtype=torch.float64)
    assert out.dtype == tg.float64
    numpy.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12)
    v = rng_array((3, 4), 9)
    out.backward(Tensor(v))
    expected.backward(torch.from_numpy(v))
    assert ours.grad.dtype == tg.float32
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)
    # PyTorch's positional order: (input, dim, _stacklevel, dtype)
    assert getattr(F, name)(ours, 1, 3, tg.float64).dtype == tg.float64


@pytest.mark.parametrize("input_shape", [(4, 3), (2, 5, 3)])
def test_linear_matches_pytorch(torch, input_shape):
    assert_same_values_and_gradients(
        torch, F.linear, torch.nn.functional.linear,
        [rng_array(input_shape), rng_array((2, 3), 1), rng_array((2,), 2)], "float64",
    )


# Dropout ------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_zeroes_a_fraction_p_and_scales_the_rest(p):
    tg.manual_seed(0)
    x = tg.ones(200_000, requires_grad=True)
    y = F.dropout(x, p)
    kept = y.numpy() != 0
    # the fraction dropped is a mean of Bernoulli(p) draws: within 5 standard errors of p
    assert abs((1 - kept.mean()) - p) < 5 * numpy.sqrt(p * (1 - p) / x.size)
    numpy.testing.assert_allclose(y.numpy()[kept], 1 / (1 - p), rtol=1e-6)
    y.sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), y.numpy())


def test_dropout_is_seeded_and_the_identity_outside_training():
    x = tg.ones(100)
    tg.manual_seed(5)
    first = F.dropout(x, 0.5).numpy()
    tg.manual_seed(5)
    numpy.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), first)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    numpy.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), numpy.zeros(100))
    with pytest.raises(ValueError, match=r"\[0, 1\], got 1.5"):
        F.dropout(x, 1.5)


def test_max_pool2d_passes_a_nan_on_and_sends_it_the_gradient_as_pytorch_does(torch):
    x = numpy.array([[[[1.0, numpy.nan, 0.0, 0.0], [2.0, 3.0, 0.0, 0.0]]]])
    assert_same_values_and_gradients(torch, lambda t: F.max_pool2d(t, 2),
                                     lambda t: torch.nn.functional.max_pool2d(t, 2), [x], "float64")


@pytest.mark.parametrize("call", [
    lambda F, x: F.max_pool2d(x, 3),  # floor mode, a 3x3 window on 2x2: no output
    lambda F, x: F.avg_pool2d(x, 3),
    lambda F, x: F.max_pool2d(x, 2, padding=2, dilation=3),  # padding above half the kernel, dilated or not
    lambda F, x: F.avg_pool2d(x, 2, padding=2),
], ids=["max no output", "avg no output", "max padding", "avg padding"])
def test_pooling_refuses_what_pytorch_refuses(torch, call):
    with pytest.raises(RuntimeError):
        call(torch.nn.functional, torch.ones(1, 1, 2, 2))
    with pytest.raises(RuntimeError):
        call(F, tg.ones(1, 1, 2, 2))


@pytest.mark.parametrize("call, shapes", [
    (lambda F, x, w: F.conv2d(x, w, padding=1), [(3, 6, 7), (2, 3, 3, 3)]),
    (lambda F, x, w: F.conv1d(x, w, stride=2), [(3, 9), (2, 3, 3)]),
    (lambda F, x: F.max_pool2d(x, 2, ceil_mode=True), [(3, 5, 7)]),
    (lambda F, x: F.max_pool2d(x, 3, 1, return_indices=True)[0], [(2, 5, 5)]),
    (lambda F, x: F.avg_pool2d(x, 2), [(3, 6, 4)]),
    (lambda F, x: F.adaptive_avg_pool2d(x, (2, 3)), [(3, 5, 7)]),
], ids=["conv2d", "conv1d", "max_pool2d", "max_pool2d with indices", "avg_pool2d", "adaptive_avg_pool2d"])
def test_one_sample_without_its_batch_axis_as_in_pytorch(torch, call, shapes):
    arrays = [distinct(shapes[0]).numpy(), *(rng_array(shape, 1) for shape in shapes[1:])]
    assert_same_values_and_gradients(
        torch, lambda *t: call(F, *t), lambda *t: call(torch.nn.functional, *t), arrays, "float64",
    )
