"""Embedding and EmbeddingBag with ``sparse=True``: the weight's gradient is dense but names
the rows looked up (a RowSparseGrad), and is PyTorch's sparse gradient made dense, with
PyTorch's indices; how such gradients add up in backward; what PyTorch refuses."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.autograd.tensor import RowSparseGrad
from tinygrad_bn.nn import functional as F

ROWS, DIM = 7, 3
INDICES = {
    "vector": [1, 4, 1, 1, 0, 5],
    "matrix": [[2, 5, 2], [0, 5, 5]],
    "3-d": [[[3, 0], [3, 3]], [[5, 1], [0, 0]]],
}


def table(dtype="float64"):
    return numpy.random.default_rng(0).standard_normal((ROWS, DIM)).astype(dtype)


def _gradient(framework, weight, lookup):
    """``weight``'s gradient after a backward of a weighted sum of ``lookup(weight)``: its
    values (dense) and the rows it names (PyTorch's coalesced indices), or None if dense."""
    out = lookup(weight)
    upstream = numpy.random.default_rng(1).standard_normal(tuple(out.shape)).astype(str(table().dtype))
    (out * framework.tensor(upstream, dtype=out.dtype)).sum().backward()
    grad = weight.grad
    if framework is tg:
        return grad.numpy(), grad.rows.tolist() if grad.is_sparse else None
    if not grad.is_sparse:
        return grad.numpy(), None
    return grad.to_dense().numpy(), grad.coalesce().indices()[0].tolist()


def _compare(lookup, dtype="float64", **options):
    """Our gradient and its rows against PyTorch's, for ``lookup(framework, weight, **options)``."""
    import torch

    results = [
        _gradient(framework, framework.tensor(table(dtype), requires_grad=True),
                  lambda weight, framework=framework: lookup(framework, weight, **options))
        for framework in (tg, torch)
    ]
    (ours, our_rows), (theirs, their_rows) = results
    assert their_rows is not None and our_rows == their_rows
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-6 if dtype == "float32" else 1e-13, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("padding_idx", [None, 0, -2])
@pytest.mark.parametrize("name", INDICES)
def test_embedding_gives_pytorchs_sparse_gradient(name, padding_idx, dtype, torch):
    _compare(lambda fw, weight, **options: fw.nn.functional.embedding(fw.tensor(INDICES[name]), weight, **options),
             dtype, padding_idx=padding_idx, sparse=True)


def test_max_norm_renormalizes_and_the_gradient_names_the_rows(torch):
    _compare(lambda fw, weight, **options: fw.nn.functional.embedding(fw.tensor(INDICES["matrix"]), weight, **options),
             max_norm=1.0, sparse=True)


BAGS = {
    "offsets": ([1, 2, 4, 5, 4, 3, 2, 6], [0, 2, 5]),
    "empty bag": ([1, 2, 4, 5, 4, 3, 2, 6], [0, 2, 2, 5]),
    "last offset": ([1, 2, 4, 5, 4, 3, 2, 6], [0, 2, 5, 8]),
    "2-d": ([[1, 2], [2, 6], [0, 0]], None),
}


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("padding_idx", [None, 4])
@pytest.mark.parametrize("bags", BAGS)
def test_embedding_bag_gives_pytorchs_sparse_gradient(bags, padding_idx, mode, torch):
    indices, offsets = BAGS[bags]
    last = bags == "last offset"

    def lookup(fw, weight, **options):
        offset = None if offsets is None else fw.tensor(offsets)
        return fw.nn.functional.embedding_bag(fw.tensor(indices), weight, offset, include_last_offset=last, **options)

    _compare(lookup, mode=mode, padding_idx=padding_idx, sparse=True)


def test_per_sample_weights_reach_the_sparse_gradient(torch):
    indices, offsets = BAGS["offsets"]
    scales = numpy.linspace(0.5, 2.0, len(indices))

    def lookup(fw, weight):
        return fw.nn.functional.embedding_bag(fw.tensor(indices), weight, fw.tensor(offsets), mode="sum",
                                              per_sample_weights=fw.tensor(scales), sparse=True)

    _compare(lookup)


def _accumulated(framework, backwards):
    """The gradient (values, rows or None) of one table after ``backwards``, a list of
    backward passes, each a list of "sparse" or "dense" uses of the table."""
    weight = framework.tensor(table(), requires_grad=True)
    uses = {"sparse": lambda: framework.nn.functional.embedding(framework.tensor([1, 3, 3]), weight, sparse=True),
            "sparse again": lambda: framework.nn.functional.embedding(framework.tensor([[5], [1]]), weight,
                                                                      sparse=True),
            "dense": lambda: weight * 2}
    for uses_of_pass in backwards:
        sum(uses[use]().sum() for use in uses_of_pass).backward()
    grad = weight.grad
    if framework is tg:
        return grad.numpy(), grad.rows.tolist() if grad.is_sparse else None
    return (grad.to_dense().numpy(), grad.coalesce().indices()[0].tolist()) if grad.is_sparse else (grad.numpy(), None)


@pytest.mark.parametrize("backwards", [
    [["sparse", "sparse again"]],
    [["sparse"], ["sparse again"]],
    [["sparse", "dense"]],
    [["dense"], ["sparse"]],
    [["sparse"], ["dense"]],
    [["sparse"], ["dense"], ["sparse again"]],
], ids=["two-lookups", "two-backwards", "lookup-and-dense-use", "dense-then-sparse", "sparse-then-dense",
        "sparse-dense-sparse"])
def test_gradients_add_up_sparse_or_dense_as_in_pytorch(backwards, torch):
    (ours, our_rows), (theirs, their_rows) = (_accumulated(framework, backwards) for framework in (tg, torch))
    assert our_rows == their_rows
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-13)


def test_a_later_sparse_gradient_adds_into_the_same_grad_in_place():
    table_ = nn.Embedding(ROWS, DIM, sparse=True)
    table_(Tensor([2])).sum().backward()
    grad = table_.weight.grad
    table_(Tensor([4, 2])).sum().backward()
    assert table_.weight.grad is grad and grad.rows.tolist() == [2, 4]
    assert grad.numpy()[2].tolist() == [2.0] * DIM


def test_is_sparse_is_true_only_for_the_marked_gradient_as_pytorch_says(torch):
    for framework in (torch, tg):
        table_ = framework.nn.Embedding(ROWS, DIM, sparse=True)
        dense = framework.nn.Embedding(ROWS, DIM)
        for layer in (table_, dense):
            layer(framework.tensor([1, 2])).sum().backward()
        assert table_.weight.grad.is_sparse and not dense.weight.grad.is_sparse
        assert not table_.weight.is_sparse and not framework.ones(2).is_sparse
        table_.weight.grad.mul_(0.5)  # in place (gradient clipping does this): still sparse
        assert table_.weight.grad.is_sparse
    assert isinstance(table_.weight.grad, RowSparseGrad)
    assert not (table_.weight.grad * 2).is_sparse  # here any op gives an ordinary tensor (PyTorch's stays sparse)


def test_a_hook_on_the_weight_sees_the_sparse_gradient_as_in_pytorch(torch):
    seen = []
    for framework in (tg, torch):
        weight = framework.tensor(table(), requires_grad=True)
        weight.register_hook(lambda grad: seen.append(grad.is_sparse))
        framework.nn.functional.embedding(framework.tensor([1]), weight, sparse=True).sum().backward()
    assert seen == [True, True]


def test_the_dense_lookup_is_unchanged():
    weight = Tensor(table(), requires_grad=True)
    out = F.embedding(Tensor([1, 1]), weight)
    out.sum().backward()
    assert type(weight.grad) is Tensor and out.grad_fn.name == "GetItem"


@pytest.mark.parametrize("lookup", [
    lambda fw, weight: fw.nn.functional.embedding(fw.tensor([1, 1]), weight, scale_grad_by_freq=True, sparse=True),
    lambda fw, weight: fw.nn.functional.embedding_bag(fw.tensor([[1, 1]]), weight, scale_grad_by_freq=True,
                                                      sparse=True),
], ids=["embedding", "embedding_bag"])
def test_scale_grad_by_freq_with_sparse_is_refused_as_in_pytorch(lookup, torch):
    """PyTorch refuses in backward; here in forward, as soon as a gradient is to be recorded."""
    with pytest.raises(RuntimeError, match="scale_grad_by_freq not supported with sparse gradients"):
        lookup(torch, torch.tensor(table(), requires_grad=True)).sum().backward()
    with pytest.raises(RuntimeError, match="scale_grad_by_freq=True is not supported with sparse=True"):
        lookup(tg, Tensor(table(), requires_grad=True))
    with tg.no_grad():  # no gradient, nothing to refuse (PyTorch's forward runs too)
        lookup(tg, Tensor(table(), requires_grad=True))


def test_mode_max_with_sparse_is_refused_as_in_pytorch(torch):
    for framework, words in ((torch, "max mode does not support sparse weights"),
                             (tg, "mode='max' does not support sparse=True")):
        bag = framework.nn.EmbeddingBag(ROWS, DIM, mode="max", sparse=True)
        with pytest.raises(ValueError, match=words):
            bag(framework.tensor([[1, 2]]))


def test_the_modules_print_as_pytorchs(torch):
    for make in (lambda fw: fw.nn.Embedding(ROWS, DIM, sparse=True, padding_idx=0),
                 lambda fw: fw.nn.EmbeddingBag(ROWS, DIM, sparse=True, mode="sum")):
        assert repr(make(tg)) == repr(make(torch))


def test_from_pretrained_takes_sparse(torch):
    for framework in (tg, torch):
        layer = framework.nn.Embedding.from_pretrained(framework.tensor(table()), freeze=False, sparse=True)
        layer(framework.tensor([3])).sum().backward()
        assert layer.sparse and layer.weight.grad.is_sparse


def test_the_sparse_gradient_is_made_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        bag = nn.EmbeddingBag(ROWS, DIM, mode="mean", sparse=True, padding_idx=2, dtype="float64", device=device)
        bag.load_state_dict({"weight": table()})
        bag(Tensor(INDICES["matrix"], device=device)).sum().backward()
        grad = bag.weight.grad
        assert grad.is_sparse and grad.device == device
        results.append((grad.numpy(), grad.rows.tolist()))
    assert results[0][1] == results[1][1] == [0, 5]
    numpy.testing.assert_array_equal(results[1][0], results[0][0])
