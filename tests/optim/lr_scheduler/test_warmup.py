"""LinearLR's and ConstantLR's arguments: PyTorch's errors, saying what was expected and
what was given (their learning rates are compared with PyTorch's in test_lr_scheduler.py)."""

from __future__ import annotations

import pytest

import tinygrad_bn as tg


@pytest.mark.parametrize("name, kwargs, words", [
    ("LinearLR", {"start_factor": 0.0}, r"LinearLR: start_factor must be in \(0, 1\], got 0.0"),
    ("LinearLR", {"start_factor": 1.5}, r"LinearLR: start_factor must be in \(0, 1\], got 1.5"),
    ("LinearLR", {"end_factor": -0.1}, r"LinearLR: end_factor must be in \[0, 1\], got -0.1"),
    ("LinearLR", {"end_factor": 2.0}, r"LinearLR: end_factor must be in \[0, 1\], got 2.0"),
    ("ConstantLR", {"factor": 1.5}, r"ConstantLR: factor must be in \[0, 1\], got 1.5"),
    ("ConstantLR", {"factor": -1.0}, r"ConstantLR: factor must be in \[0, 1\], got -1.0"),
])
def test_bad_arguments_raise_what_pytorch_raises(torch, name, kwargs, words):
    for framework in (torch, tg):
        optimizer = framework.optim.SGD([framework.nn.Parameter(framework.zeros(2))], lr=0.1)
        with pytest.raises(ValueError, match=words if framework is tg else None):
            getattr(framework.optim.lr_scheduler, name)(optimizer, **kwargs)
