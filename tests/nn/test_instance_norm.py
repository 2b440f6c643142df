"""InstanceNorm1d/2d/3d and instance_norm: PyTorch's numbers, running statistics, state,
reprs and errors; finite differences; the strict device."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn.instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, instance_norm

# the module and an input shape with C = 3
MODULES = {"1d": (InstanceNorm1d, (4, 3, 5)), "2d": (InstanceNorm2d, (3, 3, 4, 5)),
           "3d": (InstanceNorm3d, (2, 3, 2, 3, 4))}
TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def rng_array(shape, rng):
    """Samples of mean 5 and spread 3: standardizing them changes them a lot."""
    return 5.0 + 3.0 * rng.standard_normal(shape)


def assert_close(ours, theirs, dtype, what):
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), **TOLERANCE[dtype], err_msg=what)


# The function -----------------------------------------------------------------------------


# which of γ/β and of the running statistics are passed, and use_input_stats
AFFINE = {"weight and bias": (True, True), "weight only": (True, False), "bias only": (False, True),
          "neither": (False, False)}
STATISTICS = {"input's": (False, True), "input's, running updated": (True, True), "running": (True, False)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("statistics", STATISTICS)
@pytest.mark.parametrize("affine", AFFINE)
@pytest.mark.parametrize("dims", MODULES)
def test_function_matches_pytorch(torch, dims, affine, statistics, dtype):
    """Output, gradients of ⟨v, y⟩ for x, γ and β, and the running statistics after."""
    shape = MODULES[dims][1]
    rng = numpy.random.default_rng(0)
    x, v = rng_array(shape, rng).astype(dtype), rng.standard_normal(shape).astype(dtype)
    parameters = [a.astype(dtype) if given else None for a, given in
                  zip((1.0 + rng.standard_normal(3), rng.standard_normal(3)), AFFINE[affine], strict=True)]
    with_running, use_input_stats = STATISTICS[statistics]
    running = [rng.standard_normal(3), 0.5 + rng.random(3)] if with_running else [None, None]
    running = [None if a is None else a.astype(dtype) for a in running]
    results = []
    for leaf, constant, norm in ((lambda a: Tensor(a, requires_grad=True), Tensor, instance_norm),
                                 (lambda a: torch.tensor(a, requires_grad=True), torch.tensor,
                                  torch.nn.functional.instance_norm)):
        inputs = [None if a is None else leaf(a) for a in [x, *parameters]]
        stats = [None if a is None else constant(a.copy()) for a in running]
        y = norm(inputs[0], *stats, *inputs[1:], use_input_stats=use_input_stats, momentum=0.3, eps=1e-3)
        y.backward(constant(v))
        results.append([y, *(t.grad for t in inputs if t is not None), *(s for s in stats if s is not None)])
    assert results[0][0].dtype == numpy.dtype(dtype)
    assert len(results[0]) == len(results[1])
    for ours, theirs in zip(*results, strict=True):
        assert_close(ours, theirs, dtype, f"{dims}, {affine}, {statistics}")


@pytest.mark.parametrize("use_input_stats", [True, False])
@pytest.mark.parametrize("shape", [(3, 2, 4), (2, 2, 2, 3)])
def test_function_derivatives(shape, use_input_stats):
    rng = numpy.random.default_rng(1)
    inputs = [Tensor(a, requires_grad=True) for a in (rng_array(shape, rng), 1.0 + rng.standard_normal(2),
                                                      rng.standard_normal(2))]
    running_mean, running_var = rng.standard_normal(2), 0.5 + rng.random(2)

    def norm(x, weight, bias):  # fresh running statistics each call: finite differences call it many times
        return instance_norm(x, Tensor(running_mean), Tensor(running_var), weight, bias, use_input_stats)

    assert gradcheck(norm, inputs)
    assert gradgradcheck(norm, inputs)


def test_running_statistics_are_the_batch_mean_of_each_instances_unbiased_ones():
    """(I1), (I2) by hand: per instance μ and Σ(x − μ)²/(L − 1), averaged over the samples."""
    x = numpy.random.default_rng(2).standard_normal((4, 2, 6))
    running_mean, running_var = tg.zeros(2, dtype="float64"), tg.ones(2, dtype="float64")
    instance_norm(Tensor(x), running_mean, running_var, momentum=0.25)
    numpy.testing.assert_allclose(running_mean.numpy(), 0.25 * x.mean(axis=2).mean(axis=0), rtol=1e-12)
    numpy.testing.assert_allclose(running_var.numpy(), 0.75 + 0.25 * x.var(axis=2, ddof=1).mean(axis=0), rtol=1e-12)


# The modules ------------------------------------------------------------------------------


OPTIONS = {
    "default": {},
    "affine": dict(affine=True),
    "tracked": dict(track_running_stats=True),
    "affine, tracked": dict(affine=True, track_running_stats=True, momentum=0.3, eps=1e-3),
    "affine without bias, tracked, momentum None": dict(affine=True, bias=False, track_running_stats=True,
                                                         momentum=None),
}


def _pair(torch, dims, options, dtype, rng):
    """Our module and PyTorch's, from the same random state (γ, β, running statistics)."""
    ours_cls, _ = MODULES[dims]
    theirs = getattr(torch.nn, ours_cls.__name__)(3, dtype=getattr(torch, dtype), **options)
    with torch.no_grad():
        for name, value in theirs.state_dict().items():
            if name != "num_batches_tracked":
                drawn = 0.5 + rng.random(tuple(value.shape)) if name == "running_var" else rng.standard_normal(
                    tuple(value.shape))
                value.copy_(torch.from_numpy(drawn))
    ours = ours_cls(3, dtype=dtype, **options)
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    return ours, theirs


def _step(torch, ours, theirs, data, v, dtype):
    """One forward and backward of both on ``data``; outputs and input gradients compared."""
    x, tx = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    y.backward(Tensor(v))
    ty.backward(torch.from_numpy(v))
    assert y.shape == tuple(ty.shape)
    assert_close(y, ty, dtype, "output")
    assert_close(x.grad, tx.grad, dtype, "input gradient")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("dims", MODULES)
def test_module_trains_then_evaluates_as_pytorch(torch, dims, options, dtype):
    """Two training steps (one unbatched), then eval: outputs, all gradients and the state dict."""
    rng = numpy.random.default_rng(3)
    ours, theirs = _pair(torch, dims, OPTIONS[options], dtype, rng)
    shape = MODULES[dims][1]
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        for step_shape in (shape, shape[1:]):
            data, v = rng_array(step_shape, rng).astype(dtype), rng.standard_normal(step_shape).astype(dtype)
            _step(torch, ours, theirs, data, v, dtype)
        for p, tp in zip(ours.parameters(), theirs.parameters(), strict=True):
            assert_close(p.grad, tp.grad, dtype, f"{mode}: parameter gradient")
        for key, value in theirs.state_dict().items():
            assert_close(ours.state_dict()[key], value, dtype, f"{mode}: {key}")


@pytest.mark.parametrize("options", [{}, dict(affine=True), dict(track_running_stats=True),
                                     dict(affine=True, bias=False), dict(momentum=None, eps=1e-3),
                                     dict(affine=True, track_running_stats=True)])
@pytest.mark.parametrize("dims", MODULES)
def test_state_dict_keys_values_and_repr_are_pytorchs(torch, dims, options):
    ours_cls, _ = MODULES[dims]
    ours, theirs = ours_cls(5, **options), getattr(torch.nn, ours_cls.__name__)(5, **options)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        numpy.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy(), err_msg=key)
        assert ours.state_dict()[key].dtype == value.numpy().dtype, key
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]


def test_reset_parameters_restores_the_initial_state():
    norm = InstanceNorm2d(3, affine=True, track_running_stats=True)
    norm(tg.randn(2, 3, 4, 4))
    for tensor in (norm.weight, norm.bias, norm.running_var):
        tensor._data[...] = 7.0
    norm.num_batches_tracked._data[...] = 4
    norm.reset_parameters()
    fresh = InstanceNorm2d(3, affine=True, track_running_stats=True).state_dict()
    for key, value in norm.state_dict().items():
        numpy.testing.assert_array_equal(value.numpy(), fresh[key].numpy(), err_msg=key)


def test_float16_input_is_standardized_in_float32_and_returned_as_float16():
    # float16 is spaced 0.5 apart near 1000: μ or x − μ in float16 would be off by up to 0.06σ
    x = (1000.0 + 4.0 * numpy.random.default_rng(4).standard_normal((2, 3, 64))).astype("float16")
    x_t = Tensor(x, requires_grad=True)
    y = InstanceNorm1d(3)(x_t)
    assert y.dtype == numpy.float16
    wide = x.astype("float64")
    centred = wide - wide.mean(axis=2, keepdims=True)
    expected = centred / numpy.sqrt((centred**2).mean(axis=2, keepdims=True) + 1e-5)
    numpy.testing.assert_allclose(y.numpy(), expected, rtol=2e-3, atol=4e-3)
    y.backward(tg.ones(*y.shape, dtype="float16"))
    assert x_t.grad.dtype == numpy.float16 and numpy.isfinite(x_t.grad.numpy()).all()


# Errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("call, words", [
    (lambda: InstanceNorm2d(3)(tg.zeros(2, 3)),
     r"InstanceNorm2d\(3\) expects input of shape \(N, 3, H, W\) or \(3, H, W\), got \(2, 3\)"),
    (lambda: InstanceNorm1d(3)(tg.zeros(2, 3, 4, 5)),
     r"InstanceNorm1d\(3\) expects input of shape \(N, 3, L\) or \(3, L\), got \(2, 3, 4, 5\)"),
    (lambda: InstanceNorm3d(2, affine=True)(tg.zeros(2, 3, 2, 2, 2)),
     r"InstanceNorm3d\(2\) expects input of shape \(N, 2, D, H, W\) or \(2, D, H, W\), got \(2, 3, 2, 2, 2\)"),
    (lambda: InstanceNorm1d(3, affine=True)(tg.zeros(4, 5)), r"InstanceNorm1d\(3\) expects .* got \(4, 5\)"),
    (lambda: InstanceNorm1d(3)(tg.zeros(2, 3, 1)),
     r"Expected more than 1 spatial element when training, got input size \(2, 3, 1\)"),
    (lambda: InstanceNorm1d(0), "InstanceNorm1d: num_features must be a positive int, got 0"),
    (lambda: instance_norm(tg.zeros(4)), r"instance_norm expects input of shape \(N, C, \*\), got \(4,\)"),
    (lambda: instance_norm(tg.zeros(2, 3, 4), weight=tg.ones(4)),
     r"instance_norm: weight must have shape \(3,\), got \(4,\)"),
    (lambda: instance_norm(tg.zeros(2, 3, 4), tg.zeros(6), tg.ones(6)),
     r"instance_norm: running_mean must have shape \(3,\), got \(6,\)"),
    (lambda: instance_norm(tg.zeros(2, 3, 4), tg.zeros(3)), "pass both running_mean and running_var, or neither"),
    (lambda: instance_norm(tg.zeros(2, 3, 4), use_input_stats=False), "use_input_stats=False needs running_mean"),
    (lambda: instance_norm(tg.zeros(2, 3, 4), eps=0.0), "instance_norm: eps must be > 0 with use_input_stats=True"),
])
def test_bad_input_is_named(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_integer_input_is_refused():
    with pytest.raises(TypeError, match="instance_norm expects a floating point input, got dtype int64"):
        InstanceNorm1d(2)(tg.arange(8).reshape(1, 2, 4))


@pytest.mark.parametrize("track_running_stats", [False, True])
def test_other_channel_count_without_affine_is_warned_about_as_pytorch_does(torch, track_running_stats):
    """Without γ and β, PyTorch warns and normalizes anyway, unless running statistics
    of the wrong size are kept; both raise then."""
    x = numpy.random.default_rng(5).standard_normal((2, 4, 5))
    ours, theirs = InstanceNorm1d(3, track_running_stats=track_running_stats), torch.nn.InstanceNorm1d(
        3, track_running_stats=track_running_stats)
    with pytest.warns(UserWarning, match=r"InstanceNorm1d\(3\) got input of shape \(2, 4, 5\), with 4 channels"):
        if track_running_stats:
            with pytest.raises(ValueError, match=r"running_mean must have shape \(4,\), got \(3,\)"):
                ours(Tensor(x))
            return
        y = ours(Tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs(torch.from_numpy(x)).numpy()
    numpy.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_eval_with_running_statistics_takes_a_single_position(torch):
    ours, theirs = InstanceNorm1d(3, track_running_stats=True).eval(), torch.nn.InstanceNorm1d(
        3, track_running_stats=True).eval()
    x = numpy.random.default_rng(6).standard_normal((2, 3, 1)).astype("float32")
    numpy.testing.assert_allclose(ours(Tensor(x)).numpy(), theirs(torch.from_numpy(x)).numpy(), rtol=1e-6)


# The device -------------------------------------------------------------------------------


@pytest.mark.parametrize("dims", MODULES)
def test_runs_on_a_device_without_handing_arrays_to_numpy(strict_cuda, dims):
    ours_cls, shape = MODULES[dims]
    rng = numpy.random.default_rng(7)
    data, dy = rng_array(shape, rng).astype("float32"), rng.standard_normal(shape).astype("float32")
    host = ours_cls(3, affine=True, track_running_stats=True)
    for parameter in host.parameters():
        parameter._data[...] = rng.standard_normal(parameter.shape)
    results = {}
    for device in ("cpu", "cuda"):
        norm = ours_cls(3, affine=True, track_running_stats=True, device=device)
        norm.load_state_dict(host.state_dict())
        x = Tensor(data, requires_grad=True, device=device)
        y = norm(x)
        y.backward(Tensor(dy, device=device))
        z = norm.eval()(x)
        assert y.device == device and norm.weight.grad.device == device and norm.running_mean.device == device
        results[device] = [t.numpy() for t in (y, x.grad, norm.weight.grad, norm.bias.grad, z, norm.running_mean,
                                               norm.running_var)]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-5, atol=1e-6)
