"""PyTorch's top-level names that forward to other modules: ``torch.cosine_similarity`` and
``torch.pairwise_distance`` (nn.functional's, loaded on first use) with PyTorch's values
and gradients, and ``torch.func`` and ``torch.utils.checkpoint`` reached from the package."""

import subprocess
import sys

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck

RNG = numpy.random.default_rng(0)
A, B = RNG.standard_normal((4, 3)), RNG.standard_normal((1, 3))

CALLS = {
    "cosine_similarity": lambda f, a, b: f.cosine_similarity(a, b),
    "cosine_similarity dim eps": lambda f, a, b: f.cosine_similarity(a.T, b.T, dim=0, eps=1e-3),
    "pairwise_distance": lambda f, a, b: f.pairwise_distance(a, b),
    "pairwise_distance p keepdim": lambda f, a, b: f.pairwise_distance(a, b, p=1.5, eps=1e-4, keepdim=True),
}


@pytest.mark.parametrize("name", CALLS)
def test_values_and_gradients_are_pytorchs(torch, name):
    def run(lib):
        a, b = lib.tensor(A, requires_grad=True), lib.tensor(B, requires_grad=True)
        y = CALLS[name](lib, a, b)
        (y * y).sum().backward()
        return [t.detach().numpy() for t in (y, a.grad, b.grad)]

    for ours, theirs in zip(run(tg), run(torch)):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", CALLS)
def test_gradcheck(name):
    a, b = tg.tensor(A, requires_grad=True), tg.tensor(B, requires_grad=True)
    assert gradcheck(lambda a, b: CALLS[name](tg, a, b), (a, b), atol=1e-6, rtol=1e-5)


def test_the_new_modules_are_reached_from_the_package_and_load_on_first_use():
    code = ("import sys, tinygrad_bn as torch; assert 'tinygrad_bn.func' not in sys.modules; "
            "assert 'tinygrad_bn.utils.checkpoint' not in sys.modules; "
            "print(torch.func.functional_call.__name__, torch.utils.checkpoint.checkpoint_sequential.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["functional_call", "checkpoint_sequential"]


BOILERPLATE_NAMES = ["pi", "e", "inf", "nan", "newaxis", "bfloat16", "compile", "compiler", "autocast",
                     "is_autocast_enabled", "amp", "jit", "cpu"]


@pytest.mark.parametrize("name", BOILERPLATE_NAMES)
def test_the_boilerplate_names_are_pytorchs(torch, name):
    ours, theirs = getattr(tg, name), getattr(torch, name)
    assert callable(ours) == callable(theirs) and isinstance(ours, type) == isinstance(theirs, type)
    assert name in dir(tg)


def test_jit_loads_on_first_use_and_the_device_amp_modules_import():
    code = ("import sys, tinygrad_bn as torch; assert 'tinygrad_bn.jit' not in sys.modules; "
            "from tinygrad_bn.cuda.amp import GradScaler; from tinygrad_bn.cpu.amp import autocast; "
            "print(torch.jit.script.__name__, GradScaler.__name__, autocast.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["script", "GradScaler", "autocast"]
