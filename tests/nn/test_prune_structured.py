"""nn.utils.prune's structured methods (ln_structured, random_structured, LnStructured,
RandomStructured): masks against PyTorch's for the same weights, amounts, norms and
dims; structured pruning combined with earlier pruning; global_unstructured's
refusal; errors; gradients through a structured mask."""

from __future__ import annotations

import importlib
import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.nn.utils import prune


def _prune(lib):
    """``lib``'s prune module (PyTorch's nn.utils does not import it)."""
    return importlib.import_module(lib.__name__ + ".nn.utils.prune")


def _weights(shape, seed=0):
    """Normal float32 values: no two channels along any axis share a norm."""
    return numpy.random.default_rng([seed, *shape]).standard_normal(shape).astype("float32")


def _modules(lib, seed=0):
    """A Linear(6, 5) and a Conv2d(4, 6, 3) holding the same weights in every framework."""
    modules = lib.nn.Linear(6, 5), lib.nn.Conv2d(4, 6, 3)
    with lib.no_grad():
        for k, module in enumerate(modules):
            module.weight.copy_(lib.tensor(_weights(tuple(module.weight.shape), seed + k)))
            module.bias.copy_(lib.tensor(_weights(tuple(module.bias.shape), seed + k + 7)))
    return modules


def _same(ours, theirs):
    numpy.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


NORMS = [1, 2, math.inf, -math.inf, 3, "fro"]
AMOUNTS = [2, 0.4, 0, 1.0, 0.5]


@pytest.mark.parametrize("amount", AMOUNTS)
@pytest.mark.parametrize("n", NORMS, ids=[str(n) for n in NORMS])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_ln_structured_masks_are_pytorchs(torch, n, dim, amount):
    pairs = list(zip(_modules(tg), _modules(torch), strict=True))
    for ours, theirs in pairs[:1] if n == "fro" else pairs:  # PyTorch takes "fro" over at most two axes
        prune.ln_structured(ours, "weight", amount=amount, n=n, dim=dim)
        _prune(torch).ln_structured(theirs, "weight", amount=amount, n=n, dim=dim)
        _same(ours.weight_mask, theirs.weight_mask)
        _same(ours.weight, theirs.weight)
        assert ours.weight_mask.dtype == numpy.float32


@pytest.mark.parametrize("n", [1, 2, -math.inf])
@pytest.mark.parametrize("dim, amount", [(2, 1), (3, 0.7), (-2, 2)])
def test_ln_structured_prunes_any_axis_of_a_convolution(torch, n, dim, amount):
    ours, theirs = _modules(tg)[1], _modules(torch)[1]
    prune.ln_structured(ours, "weight", amount=amount, n=n, dim=dim)
    _prune(torch).ln_structured(theirs, "weight", amount=amount, n=n, dim=dim)
    _same(ours.weight_mask, theirs.weight_mask)


def test_ln_structured_ranks_by_the_importance_scores(torch):
    scores = _weights((6, 4, 3, 3), seed=5)
    ours, theirs = _modules(tg)[1], _modules(torch)[1]
    prune.ln_structured(ours, "weight", amount=3, n=1, dim=0, importance_scores=tg.tensor(scores))
    _prune(torch).ln_structured(theirs, "weight", amount=3, n=1, dim=0, importance_scores=torch.tensor(scores))
    _same(ours.weight_mask, theirs.weight_mask)
    norms = numpy.abs(scores).sum((1, 2, 3))
    assert ours.weight_mask.numpy()[:, 0, 0, 0].tolist() == [float(v > numpy.sort(norms)[2]) for v in norms]


@pytest.mark.parametrize("shape, dim, amount", [((5, 6), 0, 2), ((5, 6), -1, 0.5), ((6, 4, 3, 3), 1, 0.25),
                                                ((6, 4, 3, 3), 0, 5), ((6, 4, 3, 3), 3, 0.0)])
def test_random_structured_draws_pytorchs_channels(torch, shape, dim, amount):
    masks = []
    for lib in (tg, torch):
        module = _modules(lib)[0 if len(shape) == 2 else 1]
        lib.manual_seed(11)
        _prune(lib).random_structured(module, "weight", amount=amount, dim=dim)
        masks.append(module.weight_mask.numpy())
    numpy.testing.assert_array_equal(*masks)
    channels = masks[0].sum(tuple(a for a in range(len(shape)) if a != dim % len(shape))) != 0
    pruned = amount if isinstance(amount, int) else round(amount * shape[dim])
    assert channels.sum() == shape[dim] - pruned


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_compute_mask_of_a_three_axis_tensor_is_pytorchs(torch, dim):
    t, default = _weights((4, 5, 3), seed=3), (_weights((4, 5, 3), seed=4) > -1.0).astype("float32")
    ours = prune.LnStructured(0.5, n=2, dim=dim).compute_mask(tg.tensor(t), default_mask=tg.tensor(default))
    theirs = _prune(torch).LnStructured(0.5, n=2, dim=dim).compute_mask(torch.tensor(t), torch.tensor(default))
    _same(ours, theirs)
    tg.manual_seed(3)
    torch.manual_seed(3)
    _same(prune.RandomStructured(2, dim=dim).compute_mask(tg.tensor(t), default_mask=tg.tensor(default)),
          _prune(torch).RandomStructured(2, dim=dim).compute_mask(torch.tensor(t), torch.tensor(default)))


def _importance_first(lib):
    """Row 0 holds the largest entry, pruned first through importance scores: its norm as
    pruned (0.3) is then the smallest, its norm as originally (5.0) the largest."""
    layer = lib.nn.Linear(2, 3)
    with lib.no_grad():
        layer.weight.copy_(lib.tensor([[5.0, 0.3], [1.0, 1.0], [2.0, 2.0]]))
    p = _prune(lib)
    p.l1_unstructured(layer, "weight", amount=1, importance_scores=lib.tensor([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]]))
    p.ln_structured(layer, "weight", amount=1, n=2, dim=0)
    return layer.weight_mask


def _structured_twice(lib):
    """Channels along dim 0, then among those left along dim 0 again, then along dim 1."""
    layer = _modules(lib, 1)[1]
    p = _prune(lib)
    p.ln_structured(layer, "weight", amount=2, n=1, dim=0)
    p.ln_structured(layer, "weight", amount=0.5, n=2, dim=0)  # half of the 4 channels left
    p.ln_structured(layer, "weight", amount=1, n=math.inf, dim=1)
    return layer.weight_mask


def _unstructured_then_structured(lib):
    layer = _modules(lib, 2)[1]
    p = _prune(lib)
    p.l1_unstructured(layer, "weight", amount=0.6)
    p.ln_structured(layer, "weight", amount=0.5, n=1, dim=1)
    return layer.weight_mask


def _random_after_a_mask_of_whole_channels(lib):
    """custom_from_mask empties channels 0 and 3; random_structured draws for the 4 left."""
    layer = _modules(lib, 3)[1]
    p = _prune(lib)
    kept = numpy.ones((6, 4, 3, 3), dtype="float32")
    kept[[0, 3]] = 0.0
    p.custom_from_mask(layer, "weight", lib.tensor(kept))
    lib.manual_seed(5)
    p.random_structured(layer, "weight", amount=0.5, dim=0)
    return layer.weight_mask


def _structured_then_unstructured(lib):
    layer = _modules(lib, 4)[0]
    p = _prune(lib)
    p.ln_structured(layer, "weight", amount=1, n=2, dim=1)
    p.l1_unstructured(layer, "weight", amount=7)  # among the 25 entries of the 5 columns left
    return layer.weight_mask


@pytest.mark.parametrize("run", [_importance_first, _structured_twice, _unstructured_then_structured,
                                 _random_after_a_mask_of_whole_channels, _structured_then_unstructured])
def test_structured_pruning_combines_with_earlier_pruning_as_pytorch(torch, run):
    _same(run(tg), run(torch))


def test_structured_pruning_again_scores_the_pruned_tensor(torch):
    mask = _importance_first(tg).numpy()
    assert mask.tolist() == [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]  # row 0 as pruned (‖(0, 0.3)‖ = 0.3) goes
    _same(_importance_first(tg), _importance_first(torch))


def test_training_through_a_structured_mask_is_pytorchs(torch):
    def run(lib):
        layer = _modules(lib, 6)[0]
        p = _prune(lib)
        p.ln_structured(layer, "weight", amount=2, n=2, dim=0)
        optimizer = lib.optim.SGD(layer.parameters(), lr=0.1)
        x = lib.tensor(numpy.linspace(-1, 1, 18, dtype="float32").reshape(3, 6))
        for _ in range(3):
            optimizer.zero_grad()
            layer(x).pow(2).sum().backward()
            optimizer.step()
        grad = layer.weight_orig.grad.clone()
        p.remove(layer, "weight")
        return grad, layer.weight

    for ours, theirs in zip(run(tg), run(torch), strict=True):
        numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("method, kwargs", [("LnStructured", {"amount": 0.2, "n": 1, "dim": 0}),
                                            ("RandomStructured", {"amount": 2})])
def test_global_unstructured_refuses_structured_methods(torch, method, kwargs):
    for lib, words in ((torch, "unstructured"), (tg, f"needs an unstructured pruning method, got {method} of type "
                                                      "structured")):
        layer = lib.nn.Linear(3, 4)
        with pytest.raises(TypeError, match=words):
            _prune(lib).global_unstructured([(layer, "weight")], getattr(_prune(lib), method), **kwargs)
    with pytest.raises(TypeError):  # LnStructured without n cannot be made at all, as in PyTorch
        prune.global_unstructured([(tg.nn.Linear(3, 4), "weight")], prune.LnStructured, amount=0.2)


@pytest.mark.parametrize("name, kwargs, error, words", [
    ("bias", {"amount": 1, "dim": 0}, ValueError, r"2 or more dimensions, got a tensor of shape \(3,\)"),
    ("weight", {"amount": 1, "dim": 2}, IndexError, r"dim 2 is out of range for a tensor of shape \(3, 3\)"),
    ("weight", {"amount": 4, "dim": 0}, ValueError, "smaller than the number of parameters to prune=3"),
    ("weight", {"amount": 1.5, "dim": 0}, ValueError, r"float in the range \[0, 1\]"),
])
@pytest.mark.parametrize("method", ["ln_structured", "random_structured"])
def test_bad_tensors_dims_and_amounts_are_refused_as_in_pytorch(torch, method, name, kwargs, error, words):
    extra = {"n": 1} if method == "ln_structured" else {}
    their_layer, our_layer = torch.nn.Linear(3, 3), tg.nn.Linear(3, 3)
    with pytest.raises(error):
        getattr(_prune(torch), method)(their_layer, name, **kwargs, **extra)
    with pytest.raises(error, match=words):
        getattr(prune, method)(our_layer, name, **kwargs, **extra)
    # the module is left as it was (PyTorch's roll-back re-registers the parameter last: same names, another order)
    assert [n for n, _ in our_layer.named_parameters()] == ["weight", "bias"]
    assert sorted(n for n, _ in their_layer.named_parameters()) == ["bias", "weight"]
    assert not prune.is_pruned(our_layer) and not our_layer._buffers


def test_tied_norms_keep_channels_of_pytorchs_norms(torch):
    # channels 0, 2 and 4 share an L1 norm: which two of them stay may differ from PyTorch's topk,
    # but the kept norms are the same
    weight = numpy.array([[1.0, 2.0], [5.0, 0.0], [2.0, 1.0], [0.5, 0.5], [3.0, 0.0]], dtype="float32")
    masks = []
    for lib in (tg, torch):
        layer = lib.nn.Linear(2, 5)
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(weight))
        _prune(lib).ln_structured(layer, "weight", amount=2, n=1, dim=0)
        masks.append(layer.weight_mask.numpy()[:, 0])
    norms = numpy.abs(weight).sum(1)
    assert sorted(norms[masks[0] == 1]) == sorted(norms[masks[1] == 1]) == [3.0, 3.0, 5.0]


def test_structured_masks_are_made_on_the_device(strict_cuda):
    masks = []
    for device in ("cpu", "cuda"):
        layer = _modules(tg, 8)[1].to(device)
        prune.l1_unstructured(layer, "weight", amount=0.3)
        prune.ln_structured(layer, "weight", amount=2, n=2, dim=0)
        tg.manual_seed(2)
        prune.random_structured(layer, "weight", amount=1, dim=1)
        assert layer.weight_mask.device == layer.weight.device == device
        masks.append(layer.weight_mask.numpy())
    numpy.testing.assert_array_equal(*masks)
