"""torch.autocast / torch.amp.autocast (tinygrad_bn/amp/autocast_mode.py) against PyTorch's:
disabled regions as context managers and decorators change nothing, CUDA without CUDA
warns and disables, the deprecated device forms warn; an enabled region is refused."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn as tg

A = numpy.linspace(-1.0, 1.0, 12, dtype=numpy.float32).reshape(3, 4)
NO_CUDA = pytest.mark.skipif(tg.cuda.is_available(), reason="CUDA is available here")


def products(lib, region):
    """A matmul, a Linear layer and a conv inside ``region``, with autocast's state there."""
    a = lib.tensor(A)
    linear, conv = lib.nn.Linear(4, 2), lib.nn.Conv1d(3, 2, 2)
    with region(lib):
        outputs = (a @ a.T, linear(a), conv(a[None]))
        state = (lib.is_autocast_enabled(), lib.is_autocast_enabled("cpu"))
    return [str(y.dtype).split(".")[-1] for y in outputs], state, (a @ a.T).detach().numpy()


def assert_same(ours, theirs):
    assert ours[:2] == theirs[:2]
    numpy.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6)


REGIONS = {
    "torch.autocast": lambda lib: lib.autocast("cpu", enabled=False),
    "torch.amp.autocast, dtype": lambda lib: lib.amp.autocast(device_type="cpu", dtype=lib.float16, enabled=False),
    "cache_enabled": lambda lib: lib.autocast("cpu", enabled=False, cache_enabled=False),
}


@pytest.mark.parametrize("name", REGIONS)
def test_a_disabled_region_changes_nothing_as_in_pytorch(torch, name):
    assert_same(products(tg, REGIONS[name]), products(torch, REGIONS[name]))


def test_a_disabled_region_as_a_decorator_as_in_pytorch(torch):
    def run(lib):
        @lib.autocast("cpu", enabled=False)
        def forward(x):
            """The model's forward."""
            return x @ x.T, lib.is_autocast_enabled("cpu")

        y, enabled = forward(lib.tensor(A))
        return str(y.dtype).split(".")[-1], enabled, forward.__name__, forward.__doc__

    assert run(tg) == run(torch)


@pytest.mark.parametrize("device, dtype", [("cpu", None), ("cpu", "float16"), ("cuda", None)])
def test_fast_dtype_is_pytorchs(torch, device, dtype):
    def fast(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            region = lib.autocast(device, dtype=dtype and getattr(lib, dtype), enabled=False)
        return region.device, str(region.fast_dtype).removeprefix("torch.")

    assert fast(tg) == fast(torch)


@NO_CUDA
def test_cuda_without_cuda_warns_and_runs_disabled_as_pytorch(torch):
    if torch.cuda.is_available():
        pytest.skip("PyTorch sees CUDA")

    def region(lib):
        with pytest.warns(UserWarning, match="CUDA is not available"):
            return lib.autocast("cuda")

    assert_same(products(tg, region), products(torch, region))


@NO_CUDA
@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_the_deprecated_device_forms_warn_as_pytorchs(torch, device):
    for lib in (tg, torch):
        with pytest.warns(FutureWarning, match="deprecated"), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            with getattr(lib, device).amp.autocast(enabled=False):
                assert not lib.is_autocast_enabled(device)


def test_the_deprecated_modules_import_as_pytorchs():
    from tinygrad_bn.cpu.amp import autocast as cpu_autocast
    from tinygrad_bn.cuda.amp import GradScaler, autocast

    assert (autocast, GradScaler, cpu_autocast) == (tg.cuda.amp.autocast, tg.cuda.amp.GradScaler, tg.cpu.amp.autocast)
    assert issubclass(autocast, tg.autocast) and issubclass(GradScaler, tg.amp.GradScaler)


@pytest.mark.parametrize("device_type, error", [(0, ValueError), ("cpux", RuntimeError)])
def test_a_bad_device_type_is_refused_as_in_pytorch(torch, device_type, error):
    for lib in (tg, torch):
        with pytest.raises(error):
            lib.autocast(device_type, enabled=False)


def test_an_enabled_region_is_refused_naming_enabled_false():
    with pytest.raises(NotImplementedError, match="enabled=False"):
        tg.autocast("cpu")
    with pytest.raises(NotImplementedError, match="enabled=False"):
        tg.amp.autocast("cpu", dtype=tg.float16)
    assert tg.autocast is tg.amp.autocast and not tg.is_autocast_enabled()


def cube_function(lib, decorate_forward, decorate_backward):
    class Cube(lib.autograd.Function):
        @staticmethod
        @decorate_forward
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        @decorate_backward
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * grad

    return Cube


DECORATORS = {
    "torch.amp": lambda lib: (lib.amp.custom_fwd(device_type="cpu"), lib.amp.custom_bwd(device_type="cpu")),
    "torch.amp, bare, cast_inputs": lambda lib: (
        lib.amp.custom_fwd(device_type="cpu", cast_inputs=lib.float32),
        lambda bwd: lib.amp.custom_bwd(bwd, device_type="cpu")),
    "torch.cuda.amp": lambda lib: (lib.cuda.amp.custom_fwd(cast_inputs=lib.float16), lib.cuda.amp.custom_bwd),
}


@pytest.mark.filterwarnings("ignore:.*custom_:FutureWarning")
@pytest.mark.parametrize("name", DECORATORS)
def test_custom_fwd_and_bwd_functions_compute_as_pytorchs(torch, name):
    def run(lib):
        x = lib.tensor(A, requires_grad=True)
        y = cube_function(lib, *DECORATORS[name](lib)).apply(x)
        y.sum().backward()
        return str(y.dtype).split(".")[-1], y.detach().numpy(), x.grad.numpy()

    ours, theirs = run(tg), run(torch)
    assert ours[0] == theirs[0]
    for a, b in zip(ours[1:], theirs[1:]):
        numpy.testing.assert_allclose(a, b, rtol=1e-6)


def test_the_deprecated_cuda_decorators_warn_as_pytorchs(torch):
    for lib in (tg, torch):
        with pytest.warns(FutureWarning, match="custom_fwd"):
            lib.cuda.amp.custom_fwd(lambda ctx, x: x)
        with pytest.warns(FutureWarning, match="custom_bwd"):
            lib.cuda.amp.custom_bwd(lambda ctx, g: g)


def test_custom_fwd_needs_a_device_type_as_in_pytorch(torch):
    for lib in (tg, torch):
        with pytest.raises(TypeError):
            lib.amp.custom_fwd(lambda ctx, x: x)
        with pytest.raises(ValueError):
            lib.amp.custom_fwd(lambda ctx, x: x, device_type=0)
