"""nn.init: gains and fans as in PyTorch; each initialiser's spread, in place, per dtype."""

from __future__ import annotations

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.nn import init


@pytest.mark.parametrize(
    "nonlinearity, param",
    [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("selu", None),
     ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 5 ** 0.5)],
)
def test_gains_match_pytorch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("shape", [(7, 5), (6, 4, 3, 2), (3, 2, 5)])
def test_fans_match_pytorch(shape):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.fan_in_and_fan_out(tg.zeros(*shape)) == expected


def spread_of(initialiser, shape, dtype):
    """Fill a fresh tensor in place; return its values as float64, checking the array stayed."""
    tensor = tg.zeros(*shape, dtype=dtype)
    array = tensor._data
    assert initialiser(tensor) is tensor and tensor._data is array and tensor.dtype == dtype
    return tensor.numpy().astype("float64").ravel()


# (initialiser, the standard deviation it should give for a (256, 128, 3, 3) weight),
# fan_in = 128·9 = 1152, fan_out = 256·9 = 2304
FAN_IN, FAN_OUT = 1152, 2304
SPREADS = {
    "kaiming_uniform relu": (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), (2 / FAN_IN) ** 0.5),
    # the default nonlinearity, leaky ReLU with slope a = 0, has gain √2
    "kaiming_normal fan_out": (lambda t: init.kaiming_normal_(t, mode="fan_out"), (2 / FAN_OUT) ** 0.5),
    "xavier_uniform": (init.xavier_uniform_, (2 / (FAN_IN + FAN_OUT)) ** 0.5),
    "xavier_normal tanh": (lambda t: init.xavier_normal_(t, gain=5 / 3),
                           5 / 3 * (2 / (FAN_IN + FAN_OUT)) ** 0.5),
    "normal": (lambda t: init.normal_(t, 0.0, 0.3), 0.3),
    "uniform": (lambda t: init.uniform_(t, -1.0, 1.0), 1 / 3 ** 0.5),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", SPREADS)
def test_initialisers_give_the_documented_spread(name, dtype):
    tg.manual_seed(0)
    initialiser, std = SPREADS[name]
    values = spread_of(initialiser, (256, 128, 3, 3), dtype)
    # 295k samples: the sample std is within 1% of the true one
    assert values.std() == pytest.approx(std, rel=0.01)
    assert abs(values.mean()) < 5 * std / values.size ** 0.5
    if "uniform" in name:
        assert numpy.abs(values).max() <= std * 3 ** 0.5 * (1 + 1e-6)


def test_constants():
    numpy.testing.assert_array_equal(init.ones_(tg.zeros(2, 3)).numpy(), numpy.ones((2, 3)))
    numpy.testing.assert_array_equal(init.zeros_(tg.ones(4)).numpy(), numpy.zeros(4))
    assert init.constant_(tg.zeros((), dtype="int64"), 3).item() == 3


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: init.calculate_gain("swish"), "unknown nonlinearity 'swish'"),
        (lambda: init.kaiming_uniform_(tg.zeros(3)), r"at least 2 dimensions, got shape \(3,\)"),
        (lambda: init.kaiming_normal_(tg.zeros(3, 3), mode="fan"), "'fan_in' or 'fan_out'"),
    ],
)
def test_bad_arguments_are_reported(call, words):
    with pytest.raises(ValueError, match=words):
        call()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5), (8, 3, 2, 2), (2, 3, 4)])
def test_orthogonal_rows_or_columns_are_orthonormal_times_the_gain(shape, dtype):
    tg.manual_seed(0)
    w = spread_of(lambda t: init.orthogonal_(t, gain=2.0), shape, dtype).reshape(shape[0], -1)
    gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    numpy.testing.assert_allclose(gram, 4.0 * numpy.eye(len(gram)), atol=tolerance)


def test_orthogonal_matrices_are_spread_uniformly():
    """With the signs of R's diagonal folded in, Q is Haar-distributed: each entry of a
    (n, n) Q has mean 0 and variance 1/n. Without them, the diagonal would lean positive."""
    tg.manual_seed(1)
    n = 4
    samples = numpy.stack([init.orthogonal_(tg.zeros(n, n, dtype="float64")).numpy() for _ in range(4000)])
    assert abs(samples[:, 0, 0].mean()) < 4 * (1 / n / len(samples)) ** 0.5
    assert samples.var(axis=0).mean() == pytest.approx(1 / n, rel=0.05)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (1.0, 2.0, 0.0, 5.0)])
def test_trunc_normal_has_the_truncated_moments(mean, std, a, b):
    tg.manual_seed(0)
    values = spread_of(lambda t: init.trunc_normal_(t, mean, std, a, b), (200_000,), "float64")
    assert values.min() >= a and values.max() <= b
    # moments of N(mean, std²) conditioned on [a, b], with α, β the standardised bounds
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = [numpy.exp(-z * z / 2) / (2 * numpy.pi) ** 0.5 for z in (alpha, beta)]
    mass = 0.5 * (math.erf(beta / 2 ** 0.5) - math.erf(alpha / 2 ** 0.5))
    expected_mean = mean + std * (pdf[0] - pdf[1]) / mass
    expected_var = std ** 2 * (1 + (alpha * pdf[0] - beta * pdf[1]) / mass - ((pdf[0] - pdf[1]) / mass) ** 2)
    assert values.mean() == pytest.approx(expected_mean, abs=5 * (expected_var / values.size) ** 0.5)
    assert values.var() == pytest.approx(expected_var, rel=0.02)


def test_eye_is_the_identity(torch):
    expected = torch.nn.init.eye_(torch.empty(3, 5)).numpy()
    numpy.testing.assert_array_equal(init.eye_(tg.ones(3, 5)).numpy(), expected)


@pytest.mark.parametrize("shape, groups", [((4, 4, 3), 1), ((6, 3, 3, 3), 1), ((3, 5, 2, 4), 1),
                                           ((4, 2, 3, 3), 2), ((6, 1, 3, 3, 3), 3), ((4, 3, 1, 2, 5), 1)])
def test_dirac_is_pytorchs(torch, shape, groups):
    expected = torch.nn.init.dirac_(torch.empty(shape), groups).numpy()
    tensor = tg.ones(*shape)
    assert init.dirac_(tensor, groups) is tensor
    numpy.testing.assert_array_equal(tensor.numpy(), expected)


def test_dirac_weight_passes_channels_through(torch):
    conv = tg.nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = tg.randn(2, 3, 5, 5)
    numpy.testing.assert_allclose(conv(x).numpy(), x.numpy(), atol=1e-6)


@pytest.mark.parametrize("name", ["conv1d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"])
def test_gains_of_the_other_linear_layers(torch, name):
    assert init.calculate_gain(name) == torch.nn.init.calculate_gain(name)


def test_pytorchs_private_fan_name(torch):
    shape = (5, 3, 2, 4)
    assert init._calculate_fan_in_and_fan_out(tg.zeros(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: init.orthogonal_(tg.zeros(3)), r"at least 2 dimensions, got shape \(3,\)"),
        (lambda: init.eye_(tg.zeros(2, 2, 2)), "2-D"),
        (lambda: init.dirac_(tg.zeros(2, 2)), "3, 4 or 5 dimensions, got shape \\(2, 2\\)"),
        (lambda: init.dirac_(tg.zeros(3, 2, 3), groups=2), "divisible by groups"),
        (lambda: init.trunc_normal_(tg.zeros(3), a=1.0, b=-1.0), "a < b"),
        (lambda: init.sparse_(tg.zeros(3), 0.5), r"2-D tensor, got shape \(3,\)"),
    ],
)
def test_bad_arguments_to_the_new_initialisers_are_reported(call, words):
    with pytest.raises(ValueError, match=words):
        call()


# (mean, std, a, b): [a, b] holds more than 0.3 of the normal (redrawn normals) or less
# (uniforms accepted by the density), one far in the tail
TRUNCATIONS = [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (1.0, 2.0, 0.0, 5.0), (0.0, 1.0, 1.5, 3.0),
               (0.0, 1.0, -0.2, 0.3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(7,), (64, 33)])
@pytest.mark.parametrize("mean, std, a, b", TRUNCATIONS)
def test_trunc_normal_gives_pytorchs_numbers(torch, mean, std, a, b, shape, dtype):
    values = []
    for framework in (tg, torch):
        framework.manual_seed(5)
        tensor = framework.empty(*shape, dtype=getattr(framework, dtype))
        values.append(framework.nn.init.trunc_normal_(tensor, mean, std, a, b).numpy())
        values.append(framework.rand(3).numpy())  # the stream left where PyTorch leaves it
    ours, our_next, theirs, their_next = values
    # from 16 normals on, PyTorch's vectorized log, sine and cosine round differently (test_pytorch_draws.py)
    # (float32 values near 0 of N(1, 2²) keep the absolute rounding of values near 1)
    tolerance = {"float32": 1e-6, "float64": 1e-14}[dtype]
    numpy.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)
    numpy.testing.assert_array_equal(our_next, their_next)


def test_trunc_normal_far_in_the_tail_warns_and_still_draws_inside(torch):
    tg.manual_seed(0)
    with pytest.warns(UserWarning, match="more than 2 std"):
        values = init.trunc_normal_(tg.zeros(1000, dtype="float64"), 0.0, 1.0, 4.0, 4.5).numpy()
    assert values.min() >= 4.0 and values.max() <= 4.5


@pytest.mark.parametrize("sparsity", [0.1, 0.35, 1.0])
def test_sparse_zeros_the_rows_pytorch_zeros(torch, sparsity):
    values = []
    for framework in (tg, torch):
        framework.manual_seed(2)
        values.append(framework.nn.init.sparse_(framework.empty(10, 6), sparsity, std=0.5).numpy())
    ours, theirs = values
    numpy.testing.assert_array_equal(ours == 0, theirs == 0)
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name, arguments", [
    ("uniform_", (-0.5, 2.0)), ("normal_", (0.3, 2.0)), ("trunc_normal_", (0.0, 1.0, -1.0, 1.5)),
    ("xavier_uniform_", ()), ("xavier_normal_", (1.5,)), ("kaiming_uniform_", (0.1,)),
    ("kaiming_normal_", (0.0, "fan_out")), ("orthogonal_", ()),
])
def test_initialisers_draw_from_the_generator_given(torch, name, arguments):
    values = []
    for framework in (tg, torch):
        framework.manual_seed(9)  # the default generator is not the one drawn from
        generator = framework.Generator().manual_seed(4)
        values.append(getattr(framework.nn.init, name)(framework.empty(5, 4), *arguments, generator=generator).numpy())
        values.append(framework.rand(2).numpy())
    ours, our_default, theirs, their_default = values
    numpy.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=2e-6)
    numpy.testing.assert_array_equal(our_default, their_default)
