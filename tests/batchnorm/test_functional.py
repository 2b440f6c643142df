"""batch_norm (both implementations) against PyTorch's F.batch_norm, to second order, and its errors."""

import numpy as np
import pytest

from tinygrad_bn import Tensor, no_grad
from tinygrad_bn.autograd import grad
from tinygrad_bn.batchnorm import IMPLEMENTATIONS, batch_norm

SHAPES = [(6, 3), (4, 3, 5), (3, 2, 4, 5)]
TOLERANCE = {"float64": dict(rtol=1e-10, atol=1e-10), "float32": dict(rtol=1e-4, atol=1e-4)}


def _data(shape, dtype, rng):
    channels = shape[1]
    return {
        "x": (5 * rng.standard_normal(shape) + 12).astype(dtype),
        "weight": rng.standard_normal(channels).astype(dtype),
        "bias": rng.standard_normal(channels).astype(dtype),
        "running_mean": rng.standard_normal(channels).astype(dtype) + 11,
        "running_var": rng.random(channels).astype(dtype) * 30 + 5,
        "dy": rng.standard_normal(shape).astype(dtype),
    }


def _ours(d, impl, training, affine, momentum=0.1):
    x = Tensor(d["x"].copy(), requires_grad=True)
    weight = Tensor(d["weight"].copy(), requires_grad=True) if affine else None
    bias = Tensor(d["bias"].copy(), requires_grad=True) if affine else None
    rm, rv = Tensor(d["running_mean"].copy()), Tensor(d["running_var"].copy())
    y = batch_norm(x, rm, rv, weight, bias, training=training, momentum=momentum, impl=impl)
    y.backward(Tensor(d["dy"]))
    grads = [x.grad.numpy()] + ([weight.grad.numpy(), bias.grad.numpy()] if affine else [])
    return [y.numpy(), *grads, rm.numpy(), rv.numpy()]


def _torch(torch, d, training, affine, momentum=0.1):
    x = torch.tensor(d["x"], requires_grad=True)
    weight = torch.tensor(d["weight"], requires_grad=True) if affine else None
    bias = torch.tensor(d["bias"], requires_grad=True) if affine else None
    rm, rv = torch.tensor(d["running_mean"]), torch.tensor(d["running_var"])
    y = torch.nn.functional.batch_norm(x, rm, rv, weight, bias, training=training, momentum=momentum)
    y.backward(torch.tensor(d["dy"]))
    grads = [x.grad] + ([weight.grad, bias.grad] if affine else [])
    return [t.detach().numpy() for t in (y, *grads, rm, rv)]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_matches_pytorch(torch, impl, shape, dtype, training, affine):
    d = _data(shape, dtype, np.random.default_rng(len(shape)))
    ours, theirs = _ours(d, impl, training, affine), _torch(torch, d, training, affine)
    names = ["y", "dx"] + (["dweight", "dbias"] if affine else []) + ["running_mean", "running_var"]
    for name, a, b in zip(names, ours, theirs):
        assert a.dtype == np.dtype(dtype), name
        np.testing.assert_allclose(a, b, err_msg=name, **TOLERANCE[dtype])


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_running_stats_follow_pytorch_over_several_steps(torch, impl):
    rng = np.random.default_rng(3)
    rm, rv = Tensor(np.zeros(4)), Tensor(np.ones(4))
    trm, trv = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
    for _ in range(5):
        x = 3 * rng.standard_normal((7, 4, 3)) - 2
        batch_norm(Tensor(x), rm, rv, training=True, momentum=0.3, impl=impl)
        torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=True, momentum=0.3)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-12)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_running_stats_update_under_no_grad_and_stay_out_of_the_graph(impl):
    x = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    rm, rv = Tensor(np.zeros(3)), Tensor(np.ones(3))
    with no_grad():
        y = batch_norm(x, rm, rv, training=True, impl=impl)
    assert not y.requires_grad
    # μ = (4.5, 5.5, 6.5); unbiased σ² = 15 for every channel
    np.testing.assert_allclose(rm.numpy(), 0.1 * np.array([4.5, 5.5, 6.5]))
    np.testing.assert_allclose(rv.numpy(), 0.9 + 0.1 * 15.0)
    assert not rm.requires_grad and rm.grad_fn is None


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
class TestErrors:
    def test_one_value_per_channel_in_training(self, impl):
        with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
            batch_norm(Tensor(np.ones((1, 4))), None, None, training=True, impl=impl)
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            batch_norm(Tensor(np.ones((1, 4, 1, 1))), None, None, training=True, impl=impl)

    def test_single_sample_with_spatial_extent_trains(self, impl):
        y = batch_norm(Tensor(np.arange(8.0).reshape(1, 2, 2, 2)), None, None, training=True, impl=impl)
        assert np.isfinite(y.numpy()).all()

    def test_eval_with_one_sample(self, impl):
        y = batch_norm(Tensor(np.full((1, 2), 3.0)), Tensor(np.ones(2)), Tensor(np.full(2, 4.0)), impl=impl)
        np.testing.assert_allclose(y.numpy(), np.full((1, 2), 2 / np.sqrt(4 + 1e-5)))

    def test_negative_eps(self, impl):
        with pytest.raises(ValueError, match="eps must be >= 0, got -0.1"):
            batch_norm(Tensor(np.ones((3, 2))), None, None, training=True, eps=-0.1, impl=impl)

    def test_integer_input(self, impl):
        with pytest.raises(TypeError, match="floating point input, got dtype int64"):
            batch_norm(Tensor(np.ones((3, 2), dtype=np.int64)), None, None, training=True, impl=impl)

    def test_wrong_parameter_shape(self, impl):
        with pytest.raises(ValueError, match=r"weight must have shape \(2,\), got \(3,\)"):
            batch_norm(Tensor(np.ones((3, 2))), None, None, Tensor(np.ones(3)), training=True, impl=impl)

    def test_eval_needs_running_statistics(self, impl):
        with pytest.raises(ValueError, match="needs running_mean and running_var"):
            batch_norm(Tensor(np.ones((3, 2))), None, None, training=False, impl=impl)

    def test_rank_one_input(self, impl):
        with pytest.raises(ValueError, match=r"expects input of shape \(N, C, ...\), got \(3,\)"):
            batch_norm(Tensor(np.ones(3)), None, None, training=True, impl=impl)


def test_unknown_impl():
    with pytest.raises(ValueError, match="impl must be one of"):
        batch_norm(Tensor(np.ones((3, 2))), None, None, training=True, impl="cudnn")


def test_batch_norm_is_a_tensor_method():
    data = np.random.default_rng(4).standard_normal((5, 3))
    x = Tensor(data)
    np.testing.assert_array_equal(x.batch_norm(training=True).numpy(),
                                  batch_norm(x, None, None, training=True).numpy())


def _second_order(d, v, batch_norm_fn, grad_fn, tensor, training):
    """First-order gradients of ⟨y, dy⟩ and the gradients of ⟨v, those gradients⟩ with
    respect to (x, γ, β, dy), in one framework given as its batch_norm, grad and tensor."""
    x, weight, bias, dy = (tensor(d[key]) for key in ("x", "weight", "bias", "dy"))
    running = tensor(d["running_mean"], grad=False), tensor(d["running_var"], grad=False)
    y = batch_norm_fn(x, *running, weight, bias, training=training)
    first = grad_fn([y], [x, weight, bias], [dy], create_graph=True)
    inner = sum((g * w).sum() for g, w in zip(first, (tensor(a, grad=False) for a in v)))
    second = grad_fn([inner], [x, weight, bias, dy], None, create_graph=False)
    return [g.detach().numpy() for g in (*first, *second)]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_second_order_matches_pytorchs_double_backward(torch, impl, shape, training):
    """Hessian-vector products of BN against PyTorch's batchnorm_double_backward, in float64."""
    rng = np.random.default_rng(7)
    d = _data(shape, "float64", rng)
    v = [rng.standard_normal(shape), rng.standard_normal(shape[1]), rng.standard_normal(shape[1])]

    def ours_grad(outputs, inputs, grads, create_graph):
        found = grad(outputs, inputs, grads, create_graph=create_graph, allow_unused=True)
        return [Tensor(np.zeros(t.shape)) if g is None else g for g, t in zip(found, inputs)]

    def torch_grad(outputs, inputs, grads, create_graph):
        found = torch.autograd.grad(outputs, inputs, grads, create_graph=create_graph, allow_unused=True)
        return [torch.zeros_like(t) if g is None else g for g, t in zip(found, inputs)]

    ours = _second_order(
        d, v, lambda *a, **k: batch_norm(*a, **k, impl=impl), ours_grad,
        lambda a, grad=True: Tensor(a.copy(), requires_grad=grad), training,
    )
    theirs = _second_order(
        d, v, torch.nn.functional.batch_norm, torch_grad,
        lambda a, grad=True: torch.tensor(a, requires_grad=grad), training,
    )
    names = ["dx", "dweight", "dbias", "d2/dx", "d2/dweight", "d2/dbias", "d2/ddy"]
    for name, a, b in zip(names, ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, err_msg=name, **TOLERANCE["float64"])


def test_the_signature_is_pytorchs_plus_impl(torch):
    import inspect

    ours = inspect.signature(batch_norm).parameters
    theirs = inspect.signature(torch.nn.functional.batch_norm).parameters
    assert [(p.name, p.default) for p in ours.values()] == [
        *((p.name, p.default) for p in theirs.values()), ("impl", "fused")]
