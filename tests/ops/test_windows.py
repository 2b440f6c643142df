"""unfold and fold: PyTorch's layout, adjointness, first and second derivatives."""

from __future__ import annotations

import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import compare, gradcheck, gradgradcheck
from tinygrad_bn.ops import windows
from tinygrad_bn.ops.windows import TileMax, TilePick, TileSpread, fold, unfold

# (image shape (N, C, H, W), kernel_size, dilation, padding, stride): overlapping, tiling,
# uneven and rectangular windows, dilated and padded ones
CASES = [
    ((2, 3, 5, 5), 3, 1, 0, 1),
    ((1, 2, 4, 6), 2, 1, 0, 2),
    ((2, 1, 7, 5), (3, 2), 1, 0, (2, 1)),
    ((1, 2, 5, 4), (2, 3), 1, 0, (3, 2)),
    ((1, 2, 7, 6), 2, (2, 3), 0, 1),
    ((2, 1, 5, 6), 3, 2, 1, (2, 1)),
    ((1, 1, 4, 4), (3, 2), 1, (1, 2), 2),
    # 16 or more images' channels: short rows of windows are folded in (H, W, N, C) order
    ((4, 5, 6, 7), 3, 1, 0, 1),
    ((4, 4, 5, 9), (2, 3), (1, 2), 1, (2, 1)),
    ((2, 8, 4, 18), 3, 1, 1, 1),  # a row of 18 windows: folded in (N, C, H, W) order
]


def rng_array(shape, seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape)


def as_pair(value):
    return (value, value) if isinstance(value, int) else value


def columns_shape(shape, kernel_size, dilation, padding, stride):
    n, c, h, w = shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(as_pair, (kernel_size, dilation, padding, stride))
    rows = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    cols = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    return (n, c * kh * kw, rows * cols)


@pytest.mark.parametrize("shape, kernel_size, dilation, padding, stride", CASES)
def test_unfold_and_fold_match_pytorch(shape, kernel_size, dilation, padding, stride):
    torch = pytest.importorskip("torch")
    args = (kernel_size, dilation, padding, stride)  # PyTorch's order, positional
    x = rng_array(shape)
    expected = torch.nn.functional.unfold(torch.from_numpy(x), *args).numpy()
    numpy.testing.assert_array_equal(unfold(Tensor(x), *args).numpy(), expected)
    columns = rng_array(columns_shape(shape, *args), seed=1)
    expected = torch.nn.functional.fold(torch.from_numpy(columns), shape[2:], *args)
    numpy.testing.assert_allclose(fold(Tensor(columns), shape[2:], *args).numpy(),
                                  expected.numpy(), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("shape, kernel_size, dilation, padding, stride", CASES)
def test_fold_is_the_adjoint_of_unfold(shape, kernel_size, dilation, padding, stride):
    args = (kernel_size, dilation, padding, stride)
    x = rng_array(shape)
    y = rng_array(columns_shape(shape, *args), seed=1)
    # ⟨unfold(x), y⟩ = ⟨x, fold(y)⟩
    left = numpy.sum(unfold(Tensor(x), *args).numpy() * y)
    right = numpy.sum(x * fold(Tensor(y), shape[2:], *args).numpy())
    assert left == pytest.approx(right, rel=1e-12)


def test_both_fold_orders_are_among_the_cases(monkeypatch):
    channels_last = []
    original = windows._fold_channels_last
    monkeypatch.setattr(windows, "_fold_channels_last", lambda *args: channels_last.append(1) or original(*args))
    taken = []
    for shape, *args in CASES:
        before = len(channels_last)
        fold(Tensor(rng_array(columns_shape(shape, *args))), shape[2:], *args)
        taken.append(len(channels_last) > before)
    assert taken == [False] * 7 + [True, True, False]


@pytest.mark.parametrize("shape, kernel_size, dilation, padding, stride", CASES[:3] + CASES[-5:])
def test_unfold_and_fold_derivatives(shape, kernel_size, dilation, padding, stride):
    args = (kernel_size, dilation, padding, stride)
    x = Tensor(rng_array(shape), requires_grad=True)
    y = Tensor(rng_array(columns_shape(shape, *args), seed=1), requires_grad=True)
    assert gradcheck(lambda t: unfold(t, *args), x)
    assert gradcheck(lambda t: fold(t, shape[2:], *args), y)
    # unfold is linear: its second derivative is zero, checked through a square
    assert gradgradcheck(lambda t: unfold(t * t, *args), x)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: unfold(Tensor(numpy.zeros((2, 3, 3))), 2), r"\(N, C, H, W\)"),
        (lambda: unfold(Tensor(numpy.zeros((1, 1, 3, 3))), 4), "does not fit"),
        (lambda: unfold(Tensor(numpy.zeros((1, 1, 4, 4))), 2, dilation=4), r"with dilation \(4, 4\) does not fit"),
        (lambda: unfold(Tensor(numpy.zeros((1, 1, 4, 4))), 2, dilation=0), "dilation"),
        (lambda: unfold(Tensor(numpy.zeros((1, 1, 3, 3))), 2, stride=0), "stride"),
        (lambda: fold(Tensor(numpy.zeros((1, 5, 4))), (3, 3), 2), r"\(N, C·4, 4\)"),
    ],
)
def test_bad_arguments_are_reported(call, words):
    with pytest.raises(ValueError, match=words):
        call()


# Max pooling over non-overlapping tiles -------------------------------------------------

TILE_CASES = [((2, 3, 4, 6), (2, 2)), ((1, 2, 6, 6), (3, 2)), ((2, 1, 3, 4), (1, 4))]


def tile_max(x, kernel_size):
    return TileMax.apply(x, kernel_size=kernel_size)


def windows_last_max(x, kernel_size):
    """The same maxima, written independently: each tile's elements moved to a last
    axis (reshape and permute), then max(dim=-1), whose gradient goes to the first."""
    (n, c, h, w), (kh, kw) = x.shape, kernel_size
    tiles = x.reshape(n, c, h // kh, kh, w // kw, kw).permute(0, 1, 2, 4, 3, 5)
    return tiles.reshape(n, c, h // kh, w // kw, kh * kw).max(dim=-1).values


def cubed_tile_max(kernel_size, impl):
    # a cube makes the second and third derivatives of the piecewise linear pooling nonzero
    return lambda t: impl(t * t * t, kernel_size)


@pytest.mark.parametrize("shape, kernel_size", TILE_CASES)
def test_tile_max_agrees_with_max_over_a_last_axis_to_third_order(shape, kernel_size):
    x = Tensor(numpy.random.default_rng(0).permutation(int(numpy.prod(shape))).reshape(shape) * 0.1 + 0.05,
               requires_grad=True)
    report = compare(cubed_tile_max(kernel_size, tile_max), cubed_tile_max(kernel_size, windows_last_max), x,
                     order=3)
    assert report.passed, report


@pytest.mark.parametrize("shape, kernel_size", TILE_CASES)
def test_tile_spread_is_the_adjoint_of_tile_pick(shape, kernel_size):
    rng = numpy.random.default_rng(2)
    (n, c, h, w), (kh, kw) = shape, kernel_size
    first = numpy.zeros((kh * kw, n, c, h // kh, w // kw))
    numpy.put_along_axis(first, rng.integers(0, kh * kw, size=(1, *first.shape[1:])), 1.0, axis=0)
    v, y = rng.standard_normal(first.shape[1:]), rng.standard_normal(shape)
    spread = TileSpread.apply(Tensor(v), Tensor(first), kernel_size=kernel_size).numpy()
    picked = TilePick.apply(Tensor(y), Tensor(first), kernel_size=kernel_size).numpy()
    # ⟨spread(v), y⟩ = ⟨v, pick(y)⟩
    assert numpy.sum(spread * y) == pytest.approx(numpy.sum(v * picked), rel=1e-12)


def test_tile_max_sends_a_tie_to_its_first_element_and_a_nan_wins():
    x = Tensor([[[[0.0, 0.0, 1.0, numpy.nan], [0.0, 0.0, numpy.nan, 5.0]]]], requires_grad=True)
    pooled = tile_max(x, (2, 2))
    pooled.backward(Tensor([[[[10.0, 20.0]]]]))
    assert pooled.numpy()[0, 0, 0, 0] == 0.0 and numpy.isnan(pooled.numpy()[0, 0, 0, 1])
    assert x.grad.numpy().tolist() == [[[[10.0, 0.0, 0.0, 20.0], [0.0, 0.0, 0.0, 0.0]]]]


def test_tile_max_on_the_strict_device_matches_cpu(strict_cuda):
    values = numpy.random.default_rng(3).permutation(48).reshape(2, 2, 4, 3) * 0.1 + 0.05
    results = {}
    for device in ("cpu", "cuda"):
        x = Tensor(values, requires_grad=True, device=device)
        upstream = Tensor(numpy.ones((2, 2, 2, 1)), requires_grad=True, device=device)
        (dx,) = grad(tile_max(x * x, (2, 3)), [x], upstream, create_graph=True)
        second = grad((dx * dx).sum(), [x, upstream])
        results[device] = [t.numpy() for t in (dx, *second)]
    for on_device, on_cpu in zip(results["cuda"], results["cpu"], strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)


@pytest.mark.parametrize("shape, kernel_size, dilation, padding, stride", CASES[-3:])
def test_fold_on_the_strict_device_matches_cpu(shape, kernel_size, dilation, padding, stride, strict_cuda):
    args = (kernel_size, dilation, padding, stride)
    columns = rng_array(columns_shape(shape, *args))
    folded = {device: fold(Tensor(columns, device=device), shape[2:], *args).numpy() for device in ("cpu", "cuda")}
    numpy.testing.assert_array_equal(folded["cuda"], folded["cpu"])
