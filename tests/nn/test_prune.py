"""nn.utils.prune: masks, the ``_orig``/``_mask`` layout, hooks, iterative and global
pruning and ``remove``, against PyTorch's."""

from __future__ import annotations

import importlib

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.nn.utils import prune


def _prune(lib):
    """``lib``'s prune module (PyTorch's nn.utils does not import it)."""
    return importlib.import_module(lib.__name__ + ".nn.utils.prune")


def _layers(lib, seed=0):
    lib.manual_seed(seed)
    return lib.nn.Linear(6, 4), lib.nn.Conv2d(2, 3, 3)


def _same(ours, theirs):
    numpy.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


@pytest.mark.parametrize("method, amount", [("l1_unstructured", 0.3), ("l1_unstructured", 5),
                                            ("random_unstructured", 0.5), ("random_unstructured", 7),
                                            ("l1_unstructured", 0.0), ("random_unstructured", 1.0)])
def test_masks_and_layout_are_pytorchs(torch, method, amount):
    ours, theirs = _layers(tg), _layers(torch)
    for o, t in zip(ours, theirs, strict=True):
        getattr(prune, method)(o, "weight", amount=amount)
        getattr(_prune(torch), method)(t, "weight", amount=amount)
        _same(o.weight_mask, t.weight_mask)
        _same(o.weight, t.weight)
        assert [n for n, _ in o.named_parameters()] == [n for n, _ in t.named_parameters()]
        assert [n for n, _ in o.named_buffers()] == [n for n, _ in t.named_buffers()]
        assert list(o.state_dict()) == list(t.state_dict())
        assert prune.is_pruned(o) and _prune(torch).is_pruned(t)


def test_iterative_pruning_training_and_remove_are_pytorchs(torch):
    def run(lib):
        layer = _layers(lib, 1)[0]
        p = _prune(lib)
        p.l1_unstructured(layer, "weight", amount=0.25)
        p.random_unstructured(layer, "weight", amount=0.5)  # half of the entries still kept
        p.l1_unstructured(layer, "bias", amount=1)
        optimizer = lib.optim.SGD(layer.parameters(), lr=0.1)
        x = lib.tensor(numpy.linspace(-1, 1, 18, dtype="float32").reshape(3, 6))
        for _ in range(3):
            optimizer.zero_grad()
            layer(x).pow(2).sum().backward()
            optimizer.step()
        grad = layer.weight_orig.grad.clone()
        mask = layer.weight_mask.clone()
        p.remove(layer, "weight")
        return mask, grad, layer.weight, [n for n, _ in layer.named_parameters()], p.is_pruned(layer)

    ours, theirs = run(tg), run(torch)
    for o, t in zip(ours[:3], theirs[:3], strict=True):
        numpy.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-7)
    assert ours[3:] == theirs[3:]
    assert type(ours[2]) is nn.Parameter


def test_global_and_custom_pruning_are_pytorchs(torch):
    def run(lib):
        a, b = _layers(lib, 2)
        p = _prune(lib)
        p.l1_unstructured(a, "weight", amount=0.2)
        p.global_unstructured([(a, "weight"), (b, "weight"), (b, "bias")], pruning_method=p.L1Unstructured,
                              amount=0.4)
        mask = lib.tensor([[1.0, 0.0, 1.0, 1.0, 0.0, 1.0]] * 4)
        c = lib.nn.Linear(6, 4)
        p.custom_from_mask(c, "weight", mask)
        p.identity(c, "bias")
        return a.weight_mask, b.weight_mask, b.bias_mask, c.weight, c.bias_mask

    for o, t in zip(run(tg), run(torch), strict=True):
        _same(o, t)


def test_a_pruned_module_still_differentiates_twice():
    layer = nn.Linear(3, 2).double()
    prune.random_unstructured(layer, "weight", amount=2)
    x = tg.randn(4, 3, dtype=tg.float64)
    assert tg.check.gradcheck(lambda w: tg.nn.functional.linear(x, w * layer.weight_mask), (layer.weight_orig,))
    assert tg.check.gradgradcheck(lambda w: tg.nn.functional.linear(x, w * layer.weight_mask).tanh(),
                                  (layer.weight_orig,))


@pytest.mark.parametrize("amount, error, words", [
    (1.5, ValueError, r"float in the range \[0, 1\]"), (-1, ValueError, "non-negative integer"),
    ("half", TypeError, "Must be int or float"), (100, ValueError, "smaller than the number of parameters"),
])
def test_bad_amounts_are_reported_as_in_pytorch(torch, amount, error, words):
    with pytest.raises(error, match=words):
        _prune(torch).l1_unstructured(torch.nn.Linear(3, 2), "weight", amount=amount)
    with pytest.raises(error, match=words):
        prune.l1_unstructured(nn.Linear(3, 2), "weight", amount=amount)


def test_removing_what_was_not_pruned_is_reported():
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(nn.Linear(2, 2), "weight")
