"""The fused op: its closed-form backward and its second derivatives, checked against
finite differences and against the composite, plus the numerics it promises."""

import numpy as np
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad
from tinygrad_bn.batchnorm import batch_norm
from tinygrad_bn.batchnorm.blocks import Blocks
from tinygrad_bn.check import gradcheck, gradgradcheck

SHAPES = [(5, 3), (4, 3, 5), (3, 2, 3, 4)]


def _inputs(shape, rng, affine=True):
    channels = shape[1]
    x = Tensor(5 * rng.standard_normal(shape) + 12, requires_grad=True)
    weight = Tensor(rng.standard_normal(channels), requires_grad=True) if affine else None
    bias = Tensor(rng.standard_normal(channels), requires_grad=True) if affine else None
    return x, weight, bias


def _bn(impl, training, channels):
    def fn(x, *params):
        running = (Tensor(np.full(channels, 11.0)), Tensor(np.full(channels, 20.0)))
        return batch_norm(x, *running, *params, training=training, impl=impl)

    return fn


@pytest.mark.parametrize("impl", ["fused", "composite"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_first_and_second_order_against_finite_differences(impl, shape, training, affine):
    x, weight, bias = _inputs(shape, np.random.default_rng(0), affine)
    inputs = (x, weight, bias) if affine else (x,)
    fn = _bn(impl, training, shape[1])
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs, atol=1e-4, rtol=1e-3)


def _hessian_vector_products(impl, training, shape, seed):
    """First-order grads and the derivatives of ⟨v, grads⟩ w.r.t. (x, γ, β, dy)."""
    rng = np.random.default_rng(seed)
    x, weight, bias = _inputs(shape, rng)
    dy = Tensor(rng.standard_normal(shape), requires_grad=True)
    y = _bn(impl, training, shape[1])(x, weight, bias)
    first = grad(y, (x, weight, bias), dy, create_graph=True)
    vs = [Tensor(rng.standard_normal(g.shape)) for g in first]
    inner = sum(((g * v).sum() for g, v in zip(first, vs)), Tensor(0.0, dtype="float64"))
    second = grad(inner, (x, weight, bias, dy), allow_unused=True)
    return [g.numpy() for g in first] + [np.zeros(shape) if g is None else g.numpy() for g in second]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_fused_agrees_with_composite_to_second_order(shape, training):
    fused = _hessian_vector_products("fused", training, shape, seed=1)
    composite = _hessian_vector_products("composite", training, shape, seed=1)
    for a, b in zip(fused, composite):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_second_derivative_keeps_the_path_through_inv_std():
    """A backward that froze inv_std would make d²/dx² miss the (S2) term: it is not zero here."""
    rng = np.random.default_rng(2)
    x, weight, bias = _inputs((6, 2), rng)
    y = batch_norm(x, None, None, weight, bias, training=True)
    (dx,) = grad(y, x, Tensor(rng.standard_normal((6, 2))), create_graph=True)
    (d2,) = grad((dx * Tensor(rng.standard_normal((6, 2)))).sum(), x)
    assert np.abs(d2.numpy()).max() > 1e-3


@pytest.mark.parametrize("shape", [(1500, 512), (40, 64, 17, 13)])
def test_blockwise_float32_path_matches_float64_reference(shape):
    """Shapes that span several blocks, the last one partial."""
    assert len(Blocks(shape, 4, Tensor(0.0)._backend).slices) > 1
    rng = np.random.default_rng(4)
    data = 5 * rng.standard_normal(shape) + 12
    dy_data = rng.standard_normal(shape)
    results = {}
    for dtype in ("float32", "float64"):
        x = Tensor(data.astype(dtype), requires_grad=True)
        y = batch_norm(x, None, None, training=True)
        y.backward(Tensor(dy_data.astype(dtype)))
        results[dtype] = (y.numpy(), x.grad.numpy())
    for ours, reference in zip(results["float32"], results["float64"]):
        scale = np.abs(reference).max()
        assert np.abs(ours - reference).max() <= 1e-5 * scale


@pytest.mark.parametrize("impl", ["fused", "composite"])
def test_large_mean_small_spread_stays_accurate_in_float32(impl):
    """mean 1000, std 0.1: E[x²] − E[x]² would give variance 0 in float32."""
    rng = np.random.default_rng(5)
    data = 1000 + 0.1 * rng.standard_normal((256, 8))
    dy_data = rng.standard_normal((256, 8))
    outputs = {}
    for dtype in ("float32", "float64"):
        x = Tensor(data.astype(dtype), requires_grad=True)
        y = batch_norm(x, None, None, training=True, impl=impl)
        y.backward(Tensor(dy_data.astype(dtype)))
        outputs[dtype] = (y.numpy(), x.grad.numpy())
    y32, dx32 = outputs["float32"]
    y64, dx64 = outputs["float64"]
    # float32 cannot hold x to better than ~6e-5 (1000·2⁻²⁴), i.e. ~6e-4 of σ
    np.testing.assert_allclose(y32, y64, atol=2e-3)
    np.testing.assert_allclose(dx32, dx64, atol=2e-2 * np.abs(dx64).max())


@pytest.mark.parametrize("training", [True, False])
def test_fused_loses_nothing_to_a_large_mean(training):
    """On float32 values near 1000 with spread 0.1, the fused op matches float64 arithmetic on
    the same values as closely as on data near 0: it works on x − K and keeps K and μ − K
    apart, so no term of size |μ| is ever rounded to float32 (a float32 μ alone would cost
    |μ|/σ·2⁻²⁴ ≈ 6e-4 relative)."""
    rng = np.random.default_rng(6)
    shape, channels = (2048, 16), 16
    values = {
        "x": 1000 + 0.1 * rng.standard_normal(shape),
        "dy": rng.standard_normal(shape),
        "weight": rng.standard_normal(channels),
        "bias": rng.standard_normal(channels),
        "running_mean": 1000 + 0.01 * rng.standard_normal(channels),
        "running_var": np.full(channels, 0.01),
    }
    values = {name: v.astype(np.float32) for name, v in values.items()}  # the same values in both dtypes
    results = {}
    for dtype in ("float32", "float64"):
        t = {name: Tensor(v.astype(dtype), requires_grad=name in ("x", "weight", "bias"))
             for name, v in values.items()}
        y = batch_norm(t["x"], t["running_mean"], t["running_var"], t["weight"], t["bias"], training=training)
        y.backward(t["dy"])
        results[dtype] = [y.numpy(), t["x"].grad.numpy(), t["weight"].grad.numpy(), t["bias"].grad.numpy()]
    for name, ours, reference in zip(("y", "dx", "dweight", "dbias"), results["float32"], results["float64"]):
        assert np.abs(ours - reference).max() <= 2e-5 * np.abs(reference).max(), name


@pytest.mark.parametrize("impl", ["fused", "composite"])
def test_float16_in_float16_out_and_finite(impl):
    rng = np.random.default_rng(6)
    x = Tensor((200 * rng.standard_normal((64, 4)) + 300).astype(np.float16), requires_grad=True)
    y = batch_norm(x, None, None, training=True, impl=impl)
    y.backward(Tensor(rng.standard_normal((64, 4)).astype(np.float16)))
    assert y.dtype == np.float16 and x.grad.dtype == np.float16
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    data = x.numpy().astype(np.float64)
    reference = (data - data.mean(0)) / np.sqrt(data.var(0) + 1e-5)
    np.testing.assert_allclose(y.numpy(), reference, atol=1e-2)


@pytest.mark.parametrize("impl", ["fused", "composite"])
def test_constant_channel_gives_beta_with_finite_gradients(impl):
    data = np.random.default_rng(7).standard_normal((5, 3, 4))
    data[:, 1, :] = 3.0  # exactly representable, so μ is exact
    x = Tensor(data, requires_grad=True)
    weight, bias = Tensor(np.full(3, 2.0), requires_grad=True), Tensor(np.array([0.5, -1.5, 0.25]), requires_grad=True)
    y = batch_norm(x, None, None, weight, bias, training=True, impl=impl)
    y.backward(Tensor(np.random.default_rng(8).standard_normal((5, 3, 4))))
    assert (y.numpy()[:, 1, :] == -1.5).all()
    assert np.isfinite(x.grad.numpy()).all() and np.isfinite(weight.grad.numpy()).all()


@pytest.mark.parametrize("impl", ["fused", "composite"])
def test_gamma_sigma_beta_mu_recovers_the_input(impl):
    """BN can represent the identity: γ = √(σ² + ε), β = μ gives y = x."""
    data = 5 * np.random.default_rng(9).standard_normal((8, 3, 2)) + 12
    mean, var = data.mean(axis=(0, 2)), data.var(axis=(0, 2))
    y = batch_norm(Tensor(data), None, None, Tensor(np.sqrt(var + 1e-5)), Tensor(mean), training=True, impl=impl)
    np.testing.assert_allclose(y.numpy(), data, rtol=1e-12)


@pytest.mark.parametrize("impl", ["fused", "composite"])
def test_gradient_properties_of_the_closed_form(impl):
    """dy = ones gives dx = 0 exactly (B7); Σ dx = 0 per channel for any dy."""
    rng = np.random.default_rng(10)
    x = Tensor(5 * rng.standard_normal((6, 4, 3)) + 12, requires_grad=True)
    batch_norm(x, None, None, training=True, impl=impl).backward(Tensor(np.ones((6, 4, 3))))
    assert np.abs(x.grad.numpy()).max() < 1e-12
    x.grad = None
    batch_norm(x, None, None, training=True, impl=impl).backward(Tensor(rng.standard_normal((6, 4, 3))))
    assert np.abs(x.grad.numpy().sum(axis=(0, 2))).max() < 1e-12


def test_fused_graph_is_one_node_keeping_only_x_and_per_channel_statistics():
    x, weight, bias = _inputs((16, 4), np.random.default_rng(11))
    y = batch_norm(x, None, None, weight, bias, training=True)
    node = y.grad_fn
    assert node.name == "BatchNorm (fused)"
    assert node.params == {"training": True, "momentum": 0.1, "eps": 1e-5}
    assert all(p is x or p is weight or p is bias for p in node.parents)
    # x, and per channel: weight, the shift K, μ − K and inv_std
    assert sorted(a.size for a in node.saved_arrays()) == [4, 4, 4, 4, 64]
