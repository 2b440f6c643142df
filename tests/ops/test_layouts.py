"""Memory formats: channels_last and channels_last_3d copies, their strides and
is_contiguous answers, clone/contiguous/to with memory_format, and Module.to, as PyTorch's."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn

FORMATS = [("channels_last", (2, 3, 4, 5)), ("channels_last_3d", (2, 3, 2, 4, 5)), ("contiguous_format", (2, 3, 4))]


def _layouts(framework, name, shape):
    fmt = getattr(framework, name)
    x = framework.tensor(numpy.arange(numpy.prod(shape), dtype="float64").reshape(shape), requires_grad=True)
    made = [x.contiguous(memory_format=fmt), x.clone(memory_format=fmt), x.to(memory_format=fmt)]
    seen = [(tuple(t.stride()), t.is_contiguous(), t.is_contiguous(memory_format=fmt), t.tolist()) for t in made]
    (made[1] * framework.tensor(2.0, dtype=framework.float64)).sum().backward()
    seen.append(x.grad.tolist())
    seen.append(repr(fmt))
    return seen


@pytest.mark.parametrize("name, shape", FORMATS, ids=[name for name, _ in FORMATS])
def test_copies_in_a_memory_format_are_pytorchs(torch, name, shape):
    assert _layouts(tinygrad_bn, name, shape) == _layouts(torch, name, shape)


def test_a_tensor_already_in_the_format_is_returned_by_contiguous(torch):
    for framework in (tinygrad_bn, torch):
        x = framework.zeros(2, 3, 4, 5).contiguous(memory_format=framework.channels_last)
        assert x.contiguous(memory_format=framework.channels_last) is x
        assert x.contiguous() is not x and x.contiguous().is_contiguous()


@pytest.mark.parametrize("call", [
    lambda f: f.zeros(2, 3, 4).contiguous(memory_format=f.channels_last),
    lambda f: f.zeros(2, 3, 4, 5).contiguous(memory_format=f.channels_last).contiguous(memory_format=f.preserve_format),
])
def test_a_format_that_does_not_fit_is_refused_as_in_pytorch(torch, call):
    for framework in (tinygrad_bn, torch):
        with pytest.raises(RuntimeError):
            call(framework)


def test_asking_whether_a_tensor_lies_in_a_format_of_another_rank_is_false_as_in_pytorch(torch):
    for framework in (tinygrad_bn, torch):
        x = framework.zeros(2, 3, 4, 5)
        last = x.contiguous(memory_format=framework.channels_last)
        assert not x.is_contiguous(memory_format=framework.channels_last_3d)
        assert x.is_contiguous(memory_format=framework.preserve_format)
        assert not last.is_contiguous(memory_format=framework.preserve_format)
        assert x.contiguous(memory_format=framework.preserve_format) is x


def test_module_to_lays_out_its_4d_parameters(torch):
    seen = []
    for framework in (tinygrad_bn, torch):
        model = framework.nn.Sequential(framework.nn.Conv2d(3, 4, 3), framework.nn.Flatten(), framework.nn.Linear(4, 2))
        weight = model[0].weight
        assert model.to(memory_format=framework.channels_last) is model and model[0].weight is weight
        seen.append([tuple(p.stride()) for p in model.parameters()])
        assert isinstance(framework.channels_last, framework.memory_format)
    assert seen[0] == seen[1]
