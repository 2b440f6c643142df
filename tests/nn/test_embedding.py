"""Embedding: lookups and their scatter-added gradients against PyTorch and finite
differences, padding_idx, initialisation, argument errors and the strict device."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

ROWS, DIM = 6, 4
# index arrays of several shapes, each holding some row more than once, and rows 0 and 5
INDICES = {
    "scalar": 5,
    "vector": [1, 4, 1, 1, 0, 5],
    "matrix": [[2, 5, 2], [0, 5, 5]],
    "3-d": [[[3, 0], [3, 3]], [[5, 1], [0, 0]]],
}


def table(seed=0):
    return numpy.random.default_rng(seed).standard_normal((ROWS, DIM))


@pytest.mark.parametrize("padding_idx", [None, 0, -1])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", INDICES)
def test_embedding_matches_pytorch(name, dtype, padding_idx):
    torch = pytest.importorskip("torch")
    indices = numpy.array(INDICES[name], dtype="int64")
    weight = table().astype(dtype)
    ours, theirs = Tensor(weight, requires_grad=True), torch.tensor(weight, requires_grad=True)
    y_ours = F.embedding(Tensor(indices), ours, padding_idx)
    y_theirs = torch.nn.functional.embedding(torch.from_numpy(indices), theirs, padding_idx)
    assert y_ours.shape == (*indices.shape, DIM)
    numpy.testing.assert_array_equal(y_ours.numpy(), y_theirs.detach().numpy())
    v = numpy.random.default_rng(1).standard_normal(y_ours.shape).astype(dtype)
    y_ours.backward(Tensor(v))
    y_theirs.backward(torch.from_numpy(v))
    tolerance = {"float32": 1e-6, "float64": 1e-14}[dtype]
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=tolerance, atol=tolerance)


def test_repeated_indices_add_their_gradients_and_padding_gets_none():
    weight = Tensor(table(), requires_grad=True)
    F.embedding(Tensor([[1, 4, 1], [1, 2, 4]]), weight, padding_idx=2).backward(Tensor(numpy.ones((2, 3, DIM))))
    expected_counts = [0, 3, 0, 0, 2, 0]  # row 2 is looked up once, but is the padding row
    numpy.testing.assert_array_equal(weight.grad.numpy(), numpy.outer(expected_counts, numpy.ones(DIM)))


def test_embedding_derivatives_in_the_weight():
    # without padding_idx: its row's lookups deliberately send no gradient, which differences would see
    indices = Tensor(INDICES["3-d"])
    weight = Tensor(table(), requires_grad=True)
    assert gradcheck(lambda w: F.embedding(indices, w), weight)
    assert gradgradcheck(lambda w: F.embedding(indices, w * w), weight)  # linear, so through a square


def test_module_loads_a_pytorch_state_dict_and_prints_like_it():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Embedding(ROWS, DIM, padding_idx=-2, dtype=torch.float64)
    ours = nn.Embedding(ROWS, DIM, padding_idx=-2, dtype="float64")
    assert repr(ours) == repr(theirs) == "Embedding(6, 4, padding_idx=4)"
    assert repr(nn.Embedding(ROWS, DIM)) == repr(torch.nn.Embedding(ROWS, DIM))
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    assert list(ours.state_dict()) == ["weight"]
    indices = numpy.array(INDICES["matrix"])
    expected = theirs(torch.from_numpy(indices)).detach().numpy()
    numpy.testing.assert_array_equal(ours(Tensor(indices)).numpy(), expected)


def test_init_is_standard_normal_with_a_zero_padding_row_and_follows_the_seed():
    tg.manual_seed(3)
    weight = nn.Embedding(500, 40, padding_idx=7).weight.numpy()
    numpy.testing.assert_array_equal(weight[7], 0.0)
    others = numpy.delete(weight, 7, axis=0).ravel()  # 19,960 samples of N(0, 1)
    assert abs(others.mean()) < 0.03 and others.std() == pytest.approx(1.0, abs=0.02)
    tg.manual_seed(3)
    numpy.testing.assert_array_equal(nn.Embedding(500, 40, padding_idx=7).weight.numpy(), weight)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: F.embedding(Tensor([0, 6]), Tensor(table())), IndexError,
         r"embedding with 6 rows expects indices in \[0, 6\), got values from 0 to 6"),
        (lambda: F.embedding(Tensor([[-1, 2]]), Tensor(table())), IndexError, "got values from -1 to 2"),
        (lambda: F.embedding(Tensor([1.0, 2.0]), Tensor(table())), TypeError,
         "expects integer indices .int64., got dtype float32"),
        (lambda: F.embedding(Tensor([1]), Tensor(numpy.ones(6))), ValueError,
         r"weight of shape \(num_embeddings, embedding_dim\), got \(6,\)"),
        (lambda: F.embedding(Tensor([1]), Tensor(table()), padding_idx=6), ValueError,
         r"padding_idx must be in \[-6, 6\) for 6 rows, got 6"),
        (lambda: nn.Embedding(6, 4, padding_idx=-7), ValueError, r"Embedding: padding_idx must be in \[-6, 6\)"),
        (lambda: nn.Embedding(0, 4), ValueError, "num_embeddings must be a positive int, got 0"),
        (lambda: F.embedding(Tensor([1]), Tensor(table(), requires_grad=True), scale_grad_by_freq=True, sparse=True),
         RuntimeError, "scale_grad_by_freq=True is not supported with sparse=True"),
    ],
)
def test_bad_arguments_are_reported(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_embedding_runs_forward_and_backward_on_the_device(strict_cuda):
    indices = numpy.array(INDICES["matrix"])
    v = numpy.random.default_rng(1).standard_normal((*indices.shape, DIM))
    results = []
    for device in ("cpu", "cuda"):
        layer = nn.Embedding(ROWS, DIM, padding_idx=5, dtype="float64", device=device)
        layer.load_state_dict({"weight": table()})
        out = layer(Tensor(indices, device=device))
        out.backward(Tensor(v, device=device))
        assert out.device == layer.weight.grad.device == device
        results.append([out.numpy(), layer.weight.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)


@pytest.mark.parametrize("classes, num_classes", [
    ([3, 0, 1], -1),
    ([[1, 4], [0, 0]], 6),
    ([[[2]]], -1),
    ([], 3),
])
def test_one_hot_matches_torch(torch, classes, num_classes):
    mine = F.one_hot(Tensor(numpy.array(classes, dtype="int64")), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(classes, dtype=torch.int64), num_classes)
    assert mine.dtype == "int64" and not mine.requires_grad
    numpy.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert mine.shape == tuple(theirs.shape)


@pytest.mark.parametrize("classes, num_classes, error, words", [
    ([1, -1], -1, RuntimeError, "must be non-negative, got -1"),
    ([1, 3], 3, RuntimeError, "smaller than num_classes=3, got 3"),
    ([], -1, RuntimeError, "empty tensor"),
    ([1, 2], -2, RuntimeError, "natural int or -1, got -2"),
    ([1.0, 2.0], -1, TypeError, "integer class values"),
])
def test_one_hot_refuses_what_torch_refuses(torch, classes, num_classes, error, words):
    with pytest.raises(error, match=words):
        F.one_hot(Tensor(numpy.array(classes, dtype="int64" if error is RuntimeError else "float64")), num_classes)
    with pytest.raises(RuntimeError):
        dtype = torch.int64 if error is RuntimeError else torch.float64
        torch.nn.functional.one_hot(torch.tensor(classes, dtype=dtype), num_classes)


def test_one_hot_runs_on_the_device(strict_cuda):
    classes = numpy.array([[2, 0], [1, 2]])
    out = F.one_hot(Tensor(classes, device="cuda"))
    assert out.device == "cuda" and out.dtype == "int64"
    numpy.testing.assert_array_equal(out.numpy(), numpy.eye(3, dtype="int64")[classes])


def test_a_given_table_is_taken_without_a_draw_as_in_pytorch(torch):
    """``_weight``/``_freeze`` and ``from_pretrained`` keep the table as given (padding row
    too) and draw nothing, so the next random numbers are PyTorch's."""
    seen = []
    for framework in (tg, torch):
        framework.manual_seed(0)
        table = framework.ones(4, 2)
        given = framework.nn.Embedding(4, 2, padding_idx=1, _weight=table, _freeze=True)
        pretrained = framework.nn.Embedding.from_pretrained(table, padding_idx=0)
        seen.append((given.weight.tolist(), given.weight.requires_grad, pretrained.weight.requires_grad,
                     framework.rand(3).tolist()))
        with pytest.raises((ValueError, AssertionError)):
            framework.nn.Embedding(3, 2, _weight=table)
    assert seen[0] == seen[1]
