"""Both BatchNorm twins against a float64 NumPy reference written here, over random
ranks, sizes, dtypes, scales and memory layouts (C, Fortran, strided, read-only), in
training and eval mode, and with NaN or inf in one channel."""

import numpy as np
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.batchnorm import IMPLEMENTATIONS, batch_norm

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies
EXAMPLES = hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
EPS = 1e-5
TOLERANCE = {"float32": 2e-4, "float64": 1e-9}  # float32 against the float64 reference, relative to its largest value


def reference(x, gamma, beta, dy, training, running_mean, running_var):
    """(F1)–(F5) and (B1), (B2), (B7) — or (E1), (E2) in eval mode — in float64."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    m = x.size // x.shape[1]
    if training:
        mu = x.mean(axis=axes, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    else:
        mu, var = running_mean.reshape(shape), running_var.reshape(shape)
    inv_std = 1.0 / np.sqrt(var + EPS)
    x_hat = (x - mu) * inv_std
    g, b = gamma.reshape(shape), beta.reshape(shape)
    y = g * x_hat + b
    dbeta = dy.sum(axis=axes, keepdims=True)
    dgamma = (dy * x_hat).sum(axis=axes, keepdims=True)
    dx = g * inv_std * ((dy - dbeta / m - x_hat * dgamma / m) if training else dy)
    return y, dx, dgamma.reshape(-1), dbeta.reshape(-1)


def in_layout(array, layout):
    """The same values as a C-ordered, Fortran-ordered, strided or read-only array."""
    if layout == "fortran":
        return np.asfortranarray(array)
    if layout == "strided":
        wide = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), dtype=array.dtype)
        wide[..., ::2] = array
        return wide[..., ::2]
    array = np.ascontiguousarray(array)
    if layout == "read-only":
        array.setflags(write=False)
    return array


@st.composite
def cases(draw):
    rank = draw(st.integers(2, 4))
    shape = (draw(st.integers(2, 6)), draw(st.integers(1, 4))) + tuple(
        draw(st.integers(1, 4)) for _ in range(rank - 2))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = 10.0 ** draw(st.floats(-2, 2))
    location = draw(st.floats(-100, 100)) * scale  # |μ|/σ up to 100
    channels = shape[1]
    return {
        "x": location + scale * rng.standard_normal(shape),
        "dy": rng.standard_normal(shape),
        "gamma": rng.uniform(0.5, 2.0, channels) * rng.choice([-1.0, 1.0], channels),
        "beta": rng.standard_normal(channels),
        "running_mean": location + scale * rng.standard_normal(channels),
        "running_var": scale**2 * rng.uniform(0.5, 2.0, channels),
        "dtype": draw(st.sampled_from(["float32", "float64"])),
        "layout": draw(st.sampled_from(["C", "fortran", "strided", "read-only"])),
        "training": draw(st.booleans()),
    }


def run(impl, case, x_host):
    """The twin's y, dx, dγ, dβ as float64 arrays."""
    dtype = case["dtype"]
    x = Tensor(in_layout(x_host.astype(dtype), case["layout"]), requires_grad=True)
    gamma = Tensor(case["gamma"].astype(dtype), requires_grad=True)
    beta = Tensor(case["beta"].astype(dtype), requires_grad=True)
    running = [Tensor(case[name].astype(dtype)) for name in ("running_mean", "running_var")]
    y = batch_norm(x, *running, gamma, beta, training=case["training"], eps=EPS, impl=impl)
    y.backward(Tensor(case["dy"].astype(dtype)))
    return [t.numpy().astype(np.float64) for t in (y, x.grad, gamma.grad, beta.grad)]


def assert_close(ours, expected, dtype, what):
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(ours, expected, rtol=0, atol=TOLERANCE[dtype] * scale, err_msg=what)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@EXAMPLES
@hypothesis.given(case=cases())
def test_both_twins_match_the_float64_reference(impl, case):
    dtype = case["dtype"]
    x = case["x"].astype(dtype).astype(np.float64)  # the values the twin sees, in float64
    cast = {name: case[name].astype(dtype).astype(np.float64) for name in
            ("dy", "gamma", "beta", "running_mean", "running_var")}
    expected = reference(x, cast["gamma"], cast["beta"], cast["dy"], case["training"], cast["running_mean"],
                         cast["running_var"])
    for ours, wanted, what in zip(run(impl, case, case["x"]), expected, ("y", "dx", "dgamma", "dbeta")):
        assert_close(ours, wanted, dtype, f"{what} ({case['layout']}, training={case['training']})")


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@EXAMPLES
@hypothesis.given(case=cases(), bad=st.sampled_from([np.nan, np.inf, -np.inf]), data=st.data())
def test_a_non_finite_value_spoils_its_own_channel_only_in_training(impl, case, bad, data):
    case = {**case, "training": True}
    x = case["x"].copy()
    channel = data.draw(st.integers(0, x.shape[1] - 1))
    place = (data.draw(st.integers(0, x.shape[0] - 1)), channel) + tuple(
        data.draw(st.integers(0, n - 1)) for n in x.shape[2:])
    x[place] = bad
    with np.errstate(invalid="ignore", over="ignore"):
        y, dx, dgamma, dbeta = run(impl, case, x)
    assert not np.isfinite(np.moveaxis(y, 1, 0)[channel]).any()
    others = [c for c in range(x.shape[1]) if c != channel]
    if not others:
        return
    clean = {name: case[name].astype(case["dtype"]).astype(np.float64) for name in ("dy", "gamma", "beta")}
    rows = np.take(x, others, axis=1).astype(case["dtype"]).astype(np.float64)
    expected = reference(rows, clean["gamma"][others], clean["beta"][others], np.take(clean["dy"], others, axis=1),
                         True, None, None)
    for ours, wanted in zip((np.take(y, others, axis=1), np.take(dx, others, axis=1), dgamma[others]), expected):
        assert_close(ours, wanted, case["dtype"], "a clean channel")
