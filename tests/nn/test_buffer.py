"""``nn.Buffer``: assigned as a module's attribute it registers a buffer, persistent or
not, as PyTorch 2.5+ does; and ``nn.UninitializedBuffer``."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn


def build(lib):
    """A module with buffers assigned every way PyTorch allows."""
    module = lib.nn.Module()
    module.steps = lib.nn.Buffer(lib.zeros(1))
    module.cache = lib.nn.Buffer(lib.ones(2), persistent=False)
    module.register_buffer("plain", lib.ones(3))
    module.plain = lib.nn.Buffer(lib.zeros(3), persistent=False)  # re-assigned: now not persistent
    module.cache = lib.nn.Buffer(lib.ones(2))  # and this one persistent
    module.steps = lib.zeros(2)  # a plain tensor keeps the buffer's persistence
    module.note = lib.ones(1)  # a plain tensor under a new name is no buffer
    return module


def test_assigned_buffers_are_registered_as_in_pytorch(torch):
    ours, theirs = build(tg), build(torch)
    assert [name for name, _ in ours.named_buffers()] == [name for name, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert sorted(ours._non_persistent_buffers) == sorted(theirs._non_persistent_buffers_set)
    assert ours.steps.shape == tuple(theirs.steps.shape)


@pytest.mark.parametrize("requires_grad", [True, False])
def test_a_buffer_shares_its_data_and_keeps_requires_grad(torch, requires_grad):
    data = [1.0, 2.0]
    ours_source = tg.tensor(data, requires_grad=requires_grad)
    theirs_source = torch.tensor(data, requires_grad=requires_grad)
    ours, theirs = nn.Buffer(ours_source), torch.nn.Buffer(theirs_source)
    assert ours.requires_grad == theirs.requires_grad == requires_grad
    assert ours.persistent == theirs.persistent is True
    with tg.no_grad():
        ours[0] = 5.0
    with torch.no_grad():
        theirs[0] = 5.0
    numpy.testing.assert_array_equal(ours_source.detach().numpy(), theirs_source.detach().numpy())
    assert isinstance(ours, tg.Tensor) and isinstance(ours, nn.Buffer)


def test_an_empty_buffer_is_an_empty_tensor(torch):
    assert nn.Buffer().shape == tuple(torch.nn.Buffer().shape) == (0,)


def test_a_buffer_over_a_parameter_is_refused(torch, raises_like_torch):
    def assign(lib):
        module = lib.nn.Module()
        module.w = lib.nn.Parameter(lib.ones(1))
        module.w = lib.nn.Buffer(lib.ones(1))

    raises_like_torch(lambda: assign(tg), lambda: assign(torch), "parameter 'w'")


def test_a_buffer_before_module_init_is_refused(torch):
    def assign(lib):
        class Early(lib.nn.Module):
            def __init__(self):
                self.b = lib.nn.Buffer(lib.ones(1))

        Early()

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\)"):
        assign(torch)
    with pytest.raises(AttributeError, match=r"cannot add buffer 'b' before Module.__init__\(\)"):
        assign(tg)


def test_a_buffer_needs_a_tensor():
    with pytest.raises(TypeError, match="nn.Buffer expects a Tensor, got list"):
        nn.Buffer([1.0])
    with pytest.raises(TypeError):
        nn.Buffer(tg.ones(1), False)  # persistent is keyword-only, as in PyTorch


def test_a_buffer_moves_and_casts_with_its_module(torch):
    module = nn.Module()
    module.stats = nn.Buffer(tg.ones(2))
    module.double()
    assert module.stats.dtype == tg.float64 and module._buffers["stats"] is module.stats


@pytest.mark.parametrize("persistent", [True, False])
def test_an_uninitialized_buffer_materializes_in_place(torch, persistent):
    ours = nn.UninitializedBuffer(dtype=tg.float64, persistent=persistent)
    theirs = torch.nn.UninitializedBuffer(dtype=torch.float64, persistent=persistent)
    assert repr(ours) == repr(theirs) == "<UninitializedBuffer>"
    assert ours.requires_grad == theirs.requires_grad is False
    assert ours.persistent == theirs.persistent == persistent
    module = nn.Module()
    module.stats = ours
    assert list(module.state_dict()) == (["stats"] if persistent else [])
    ours.materialize((2, 3))
    theirs.materialize((2, 3))
    assert module.stats is ours and ours.shape == tuple(theirs.shape) and ours.dtype == tg.float64
    assert isinstance(ours, tg.Tensor) and not isinstance(ours, nn.UninitializedBuffer)
    assert not ours.numpy().any()  # zeros, where PyTorch's memory is left as it was
