"""PyTorch's top-level constants (pi, e, inf, nan, newaxis) and the bfloat16 name, which
exists for lines that choose a dtype but cannot make tensors (NumPy has no bfloat16)."""

from __future__ import annotations

import math

import pytest

import tinygrad_bn as tg


@pytest.mark.parametrize("name", ["pi", "e", "inf", "nan", "newaxis"])
def test_constants_are_pytorchs(torch, name):
    ours, theirs = getattr(tg, name), getattr(torch, name)
    assert type(ours) is type(theirs)
    assert ours == theirs or (math.isnan(ours) and math.isnan(theirs))


def test_newaxis_indexes_as_in_pytorch(torch):
    for lib in (tg, torch):
        assert tuple(lib.ones(2, 3)[:, lib.newaxis].shape) == (2, 1, 3)


def test_bfloat16_is_a_name_that_chooses_but_cannot_make_tensors(torch):
    assert str(tg.bfloat16) == str(torch.bfloat16)
    dtype = tg.bfloat16 if tg.cuda.is_bf16_supported() else tg.float16
    assert dtype == tg.float16 and tg.float32 != tg.bfloat16 and tg.bfloat16 not in (tg.float16, tg.float32)
    for make in (lambda: tg.zeros(2, dtype=tg.bfloat16), lambda: tg.ones(2).to(tg.bfloat16),
                 lambda: tg.nn.Linear(2, 1).to(dtype=tg.bfloat16), lambda: tg.tensor([1.0], dtype=tg.bfloat16)):
        with pytest.raises(TypeError, match="bfloat16 is not supported.*use float32 or float16"):
            make()
