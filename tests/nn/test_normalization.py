"""LayerNorm and GroupNorm: finite differences, PyTorch's numbers, state and errors, float16, the device."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def rng_array(shape, seed=0):
    """Samples of mean 5 and spread 3: standardizing them changes them a lot."""
    return 5.0 + 3.0 * numpy.random.default_rng(seed).standard_normal(shape)


# (input shape, normalized_shape): (N, C), (N, C, L), (N, C, H, W)
LAYER_CASES = [((4, 5), (5,)), ((3, 4, 5), 5), ((3, 4, 5), (4, 5)), ((2, 3, 4, 5), (4, 5)), ((2, 3, 2, 3), (3, 2, 3))]
# (input shape, num_groups): one group, several, one per channel
GROUP_CASES = [((4, 6), 3), ((3, 4, 5), 2), ((2, 6, 3, 4), 3), ((2, 4, 3, 2), 1), ((2, 3, 4), 3)]
# which of weight and bias are given
AFFINE = {"weight and bias": (True, True), "weight only": (True, False), "neither": (False, False)}


def _parameters(affine, shape, seed=1):
    """The γ (around 1) and β asked for by ``affine``, as float64 arrays, None where not given."""
    rng = numpy.random.default_rng(seed)
    gamma, beta = 1.0 + rng.standard_normal(shape), rng.standard_normal(shape)
    return [a if wanted else None for a, wanted in zip((gamma, beta), affine, strict=True)]


TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def assert_like_pytorch(torch, ours_fn, theirs_fn, x, parameters, dtype):
    """Outputs, and gradients of ⟨v, y⟩ for a random v, with respect to x and the given parameters."""
    arrays = [None if a is None else a.astype(dtype) for a in [x, *parameters]]
    results = []
    for fn, leaf, upstream in ((ours_fn, lambda a: Tensor(a, requires_grad=True), Tensor),
                               (theirs_fn, lambda a: torch.tensor(a, requires_grad=True), torch.from_numpy)):
        inputs = [None if a is None else leaf(a) for a in arrays]
        y = fn(*inputs)
        y.backward(upstream(numpy.random.default_rng(9).standard_normal(tuple(y.shape)).astype(dtype)))
        results.append([y.detach().numpy()] + [t.grad.numpy() for t in inputs if t is not None])
    assert results[0][0].dtype == numpy.dtype(dtype)
    for ours, theirs in zip(*results, strict=True):
        numpy.testing.assert_allclose(ours, theirs, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("affine", AFFINE)
@pytest.mark.parametrize("shape, normalized_shape", LAYER_CASES)
def test_layer_norm_matches_pytorch(torch, shape, normalized_shape, affine, dtype):
    trailing = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    assert_like_pytorch(
        torch,
        lambda x, w, b: F.layer_norm(x, normalized_shape, w, b, eps=1e-3),
        lambda x, w, b: torch.nn.functional.layer_norm(x, trailing, w, b, eps=1e-3),
        rng_array(shape), _parameters(AFFINE[affine], trailing), dtype,
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("affine", AFFINE)
@pytest.mark.parametrize("shape, num_groups", GROUP_CASES)
def test_group_norm_matches_pytorch(torch, shape, num_groups, affine, dtype):
    assert_like_pytorch(
        torch,
        lambda x, w, b: F.group_norm(x, num_groups, w, b, eps=1e-3),
        lambda x, w, b: torch.nn.functional.group_norm(x, num_groups, w, b, eps=1e-3),
        rng_array(shape), _parameters(AFFINE[affine], shape[1:2]), dtype,
    )


def _float64_leaves(*arrays):
    return [Tensor(a, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("shape, normalized_shape", [((3, 4), (4,)), ((2, 3, 2), (3, 2))])
def test_layer_norm_derivatives(shape, normalized_shape):
    x, w, b = _float64_leaves(rng_array(shape), *_parameters((True, True), normalized_shape))

    def norm(*t):
        return F.layer_norm(t[0], normalized_shape, *t[1:])

    assert gradcheck(norm, (x, w, b))
    assert gradgradcheck(norm, (x, w, b))


@pytest.mark.parametrize("shape, num_groups, affine", [((2, 4, 3), 2, True), ((3, 4), 2, False)])
def test_group_norm_derivatives(shape, num_groups, affine):
    inputs = _float64_leaves(rng_array(shape), *(_parameters((True, True), shape[1:2]) if affine else ()))

    def norm(*t):
        return F.group_norm(t[0], num_groups, *t[1:])

    assert gradcheck(norm, inputs)
    assert gradgradcheck(norm, inputs)


# Modules ---------------------------------------------------------------------------------


# (module name, arguments, keyword arguments, input shape)
MODULES = [
    ("LayerNorm", (5,), {}, (3, 4, 5)),
    ("LayerNorm", ([4, 5],), dict(eps=1e-3, bias=False), (2, 3, 4, 5)),
    ("LayerNorm", (5,), dict(elementwise_affine=False), (4, 5)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5)),
    ("GroupNorm", (3, 6), dict(eps=1e-3, affine=False), (2, 6, 2, 3)),
    ("GroupNorm", (2, 4), dict(bias=False), (5, 4)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", MODULES)
def test_module_loads_a_pytorch_state_dict_and_computes_the_same(torch, name, args, kwargs, shape):
    theirs = getattr(torch.nn, name)(*args, dtype=torch.float64, **kwargs)
    rng = numpy.random.default_rng(3)
    with torch.no_grad():
        for parameter in theirs.parameters():
            parameter.copy_(torch.from_numpy(rng.standard_normal(tuple(parameter.shape))))
    ours = getattr(nn, name)(*args, dtype="float64", **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    x = rng_array(shape)
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    numpy.testing.assert_allclose(y_ours.numpy(), y_theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    v = numpy.random.default_rng(4).standard_normal(shape)
    y_ours.backward(Tensor(v))
    y_theirs.backward(torch.from_numpy(v))
    grads = [x_ours.grad] + [p.grad for p in ours.parameters()]
    expected = [x_theirs.grad] + [p.grad for p in theirs.parameters()]
    assert len(grads) == len(expected)
    for mine, other in zip(grads, expected, strict=True):
        numpy.testing.assert_allclose(mine.numpy(), other.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("module", [nn.LayerNorm((2, 3)), nn.GroupNorm(2, 4)])
def test_reset_parameters_restores_ones_and_zeros(module):
    for parameter in module.parameters():
        parameter._data[...] = 7.0
    module.reset_parameters()
    numpy.testing.assert_array_equal(module.weight.numpy(), numpy.ones(module.weight.shape, dtype="float32"))
    numpy.testing.assert_array_equal(module.bias.numpy(), numpy.zeros(module.bias.shape, dtype="float32"))


@pytest.mark.parametrize("call, words", [
    (lambda: nn.LayerNorm((4,))(tg.zeros(2, 3)), r"LayerNorm\(\(4,\)\) expects input of shape \(\*, 4\), got \(2, 3\)"),
    (lambda: nn.LayerNorm((3, 4))(tg.zeros(4)),
     r"LayerNorm\(\(3, 4\)\) expects input of shape \(\*, 3, 4\), got \(4,\)"),
    (lambda: F.layer_norm(tg.zeros(2, 3), [2]), r"layer_norm with normalized_shape \(2,\) expects .* got \(2, 3\)"),
    (lambda: F.layer_norm(tg.zeros(2, 3), 3, tg.ones(2)), r"layer_norm: weight must have shape \(3,\), got \(2,\)"),
    (lambda: nn.LayerNorm(0), r"LayerNorm: normalized_shape must be a positive int or a non-empty tuple .* got 0"),
    (lambda: F.layer_norm(tg.zeros(2, 3), ()), r"layer_norm: normalized_shape must be .* got \(\)"),
    (lambda: nn.GroupNorm(2, 3), r"GroupNorm: num_channels \(3\) must be divisible by num_groups \(2\)"),
    (lambda: nn.GroupNorm(0, 3), "GroupNorm: num_groups must be a positive int, got 0"),
    (lambda: nn.GroupNorm(2, 4)(tg.zeros(2, 6, 5)),
     r"GroupNorm\(2, 4\) expects input of shape \(N, 4, \*\), got \(2, 6, 5\)"),
    (lambda: nn.GroupNorm(1, 4)(tg.zeros(4)), r"GroupNorm\(1, 4\) expects input of shape \(N, 4, \*\), got \(4,\)"),
    (lambda: F.group_norm(tg.zeros(2, 3), 2), r"num_groups=2 expects .* C divisible by 2, got \(2, 3\)"),
    (lambda: F.group_norm(tg.zeros(2, 4), 2, None, tg.ones(2)), r"group_norm: bias must have shape \(4,\), got \(2,\)"),
])
def test_bad_arguments_are_reported(call, words):
    with pytest.raises(ValueError, match=words):
        call()


@pytest.mark.parametrize("module", [nn.LayerNorm(3), nn.GroupNorm(1, 3)])
def test_integer_input_is_refused(module):
    with pytest.raises(TypeError, match=r"norm expects a floating point input, got dtype int64; convert it with"):
        module(tg.arange(6).reshape(2, 3))


# Float16 and the device --------------------------------------------------------------------


def _reference(x, axes):
    """(x − μ)/√(σ² + 1e-5) over ``axes``, in float64."""
    centred = x - x.mean(axis=axes, keepdims=True)
    return centred / numpy.sqrt((centred**2).mean(axis=axes, keepdims=True) + 1e-5)


@pytest.mark.parametrize("module, axes", [(nn.LayerNorm(64), (1,)), (nn.GroupNorm(1, 64), (1,))])
def test_float16_input_is_standardized_in_float32_and_returned_as_float16(module, axes):
    # float16 is spaced 0.5 apart near 1000: μ or x − μ in float16 would be off by up to
    # 0.25 = 0.06σ, while computed in float32 only the final rounding (~5e-4·|y|) remains
    x = (1000.0 + 4.0 * numpy.random.default_rng(0).standard_normal((8, 64))).astype("float16")
    x_t = Tensor(x, requires_grad=True)
    y = module(x_t)
    assert y.dtype == numpy.float16
    numpy.testing.assert_allclose(y.numpy(), _reference(x.astype("float64"), axes), rtol=2e-3, atol=4e-3)
    y.backward(tg.ones(*y.shape, dtype="float16"))
    assert x_t.grad.dtype == numpy.float16 and numpy.isfinite(x_t.grad.numpy()).all()


@pytest.mark.parametrize("build, shape", [(lambda **f: nn.LayerNorm((3, 4), **f), (5, 3, 4)),
                                          (lambda **f: nn.GroupNorm(2, 4, **f), (3, 4, 5))])
def test_runs_on_a_device_without_handing_arrays_to_numpy(strict_cuda, build, shape):
    rng = numpy.random.default_rng(5)
    data, dy = rng_array(shape).astype("float32"), rng.standard_normal(shape).astype("float32")
    host = build()
    for parameter in host.parameters():
        parameter._data[...] = rng.standard_normal(parameter.shape)
    results = {}
    for device in ("cpu", "cuda"):
        module = build(device=device)
        module.load_state_dict(host.state_dict())
        x = Tensor(data, requires_grad=True, device=device)
        y = module(x)
        y.backward(Tensor(dy, device=device))
        assert y.device == device and module.weight.grad.device == device
        results[device] = [t.numpy() for t in (y, x.grad, module.weight.grad, module.bias.grad)]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-5, atol=1e-6)
