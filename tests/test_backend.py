"""Backends and devices: lookup, the missing-CuPy error, moves between devices, and
the strict stand-in device (tests/conftest.py) that proves no op hands device arrays
to NumPy."""

import importlib.util

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad
from tinygrad_bn.backend import Backend, get_backend, register_backend, unregister_backend
from tinygrad_bn.check import gradcheck, gradgradcheck

CUPY_INSTALLED = importlib.util.find_spec("cupy") is not None


def test_cpu_is_numpy_and_the_default():
    assert get_backend("cpu").xp is numpy
    assert get_backend(None) is get_backend("cpu")
    assert Tensor([1.0]).device == "cpu"


@pytest.mark.parametrize("device", ["tpu", "gpu", "cuda0"])
def test_unknown_device_is_a_value_error(device):
    with pytest.raises(ValueError, match=f"unknown device '{device}'.*'cpu' or 'cuda'"):
        Tensor([1.0], device=device)


@pytest.mark.skipif(CUPY_INSTALLED, reason="CuPy is installed here")
@pytest.mark.parametrize("make", [
    lambda: Tensor([1.0], device="cuda"),
    lambda: tg.zeros(2, device="cuda:0"),
    lambda: Tensor([1.0]).to("cuda"),
])
def test_cuda_without_cupy_says_how_to_install_it(make):
    with pytest.raises(RuntimeError, match=r"pip install -e '\.\[cuda\]'.*\(CuPy is not installed\)"):
        make()


@pytest.mark.skipif(CUPY_INSTALLED, reason="CuPy is installed here")
def test_unregistering_restores_the_missing_device():
    cpu = get_backend("cpu")
    stand_in = Backend("cuda", numpy, cpu.to_host, cpu.from_host, cpu.scatter_add, numpy.ndarray)
    assert register_backend(stand_in) is None
    assert get_backend("cuda") is stand_in
    unregister_backend("cuda")
    with pytest.raises(RuntimeError, match="CuPy"):
        get_backend("cuda")


def test_strict_device_refuses_numpy(strict_cuda):
    data = Tensor([1.0, 2.0], device="cuda")._data
    leaks = [
        lambda: numpy.exp(data),
        lambda: numpy.asarray(data),
        lambda: numpy.sum(data),
        lambda: numpy.ones(2) + data,
        lambda: data + numpy.ones(2),
        lambda: strict_cuda.xp.maximum(data, numpy.ones(2)),
    ]
    for leak in leaks:
        with pytest.raises(TypeError, match="device"):
            leak()


def test_strict_device_is_unregistered_afterwards(strict_cuda):
    assert get_backend("cuda") is strict_cuda
    assert isinstance(Tensor([1.0], device="cuda")._data, strict_cuda.array_type)


def test_tensors_and_factories_on_the_device(strict_cuda):
    host = numpy.array([[1.0, 2.0]], dtype="float64")
    x = Tensor(host, device="cuda")
    assert x.device == "cuda" and x.dtype == "float64"
    assert isinstance(x.numpy(), numpy.ndarray) and x.numpy().tolist() == host.tolist()
    assert Tensor(x).device == "cuda"
    assert "device='cuda'" in repr(x)
    for made in [tg.zeros(2, device="cuda"), tg.ones(2, device="cuda"), tg.full((2,), 3.0, device="cuda"),
                 tg.randn(2, device="cuda"), tg.rand(2, device="cuda"), tg.arange(2, device="cuda")]:
        assert made.device == "cuda" and isinstance(made._data, strict_cuda.array_type)


@pytest.mark.parametrize("source, target", [("cpu", "cuda"), ("cuda", "cpu")])
def test_moving_between_devices_moves_gradients_back(strict_cuda, source, target):
    x = Tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True, device=source)
    w = Tensor([4.0, 5.0, 6.0], dtype="float64", device=target)
    moved = x.to(target)
    assert moved.device == target and x.to(source) is x
    (dx,) = grad((moved * moved * w).sum(), x, create_graph=True)
    assert dx.device == source and dx.tolist() == [8.0, 20.0, 36.0]
    (ddx,) = grad(dx.sum(), x)
    assert ddx.device == source and ddx.tolist() == [8.0, 10.0, 12.0]


@pytest.mark.parametrize("op", [
    lambda a, b: a + b,
    lambda a, b: a @ b,
    lambda a, b: tg.concatenate([a, b]),
    lambda a, b: tg.where(a > 0, a, b),
    lambda a, b: tg.where(b > 0, a, a),
    lambda a, b: a < b,
], ids=["add", "matmul", "concatenate", "where", "where-condition", "compare"])
def test_mixing_devices_names_both(strict_cuda, op):
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], device="cuda")
    with pytest.raises(RuntimeError, match="'cpu'") as error:
        op(a, b)
    assert "'cuda'" in str(error.value) and ".to(device)" in str(error.value)


def test_astype_on_the_device(strict_cuda):
    x = Tensor([1.0, 2.0], requires_grad=True, device="cuda")
    y = x.astype("float64")
    assert y.device == "cuda" and y.dtype == "float64"
    (y * y).sum().backward()
    assert x.grad.device == "cuda" and x.grad.dtype == "float32" and x.grad.tolist() == [2.0, 4.0]


def test_backward_with_a_gradient_on_another_device(strict_cuda):
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="'cuda'.*'cpu'"):
        (x * 2.0).backward(Tensor([1.0, 1.0], device="cuda"))


def test_gradcheck_runs_on_the_device(strict_cuda):
    x = Tensor([[0.5, -1.0], [2.0, 0.3]], dtype="float64", requires_grad=True, device="cuda")
    w = Tensor([0.7, -0.2], dtype="float64", requires_grad=True, device="cuda")
    assert gradcheck(lambda x, w: (x @ w).tanh(), (x, w))
    assert gradgradcheck(lambda x, w: (x @ w).tanh(), (x, w))


def test_short_broadcasts_lower_numpys_buffer_within_and_restore_it_after():
    cpu, before = get_backend("cpu"), numpy.getbufsize()
    with cpu.short_broadcasts():
        assert numpy.getbufsize() == 1024
    assert numpy.getbufsize() == before
    with pytest.raises(KeyError), cpu.short_broadcasts():
        raise KeyError("an error inside")
    assert numpy.getbufsize() == before


def test_short_broadcasts_do_nothing_on_a_device_without_such_a_setting():
    cpu = get_backend("cpu")
    stand_in = Backend("cuda", numpy, cpu.to_host, cpu.from_host, cpu.scatter_add, numpy.ndarray)
    before = numpy.getbufsize()
    with stand_in.short_broadcasts():
        assert numpy.getbufsize() == before
