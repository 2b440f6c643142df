"""Embedding's and EmbeddingBag's ``max_norm`` (rows renormalized in place) and
``scale_grad_by_freq`` (gradients divided by each index's count), against PyTorch.

PyTorch 2.13's CPU ``embedding_bag`` divides by the wrong count with
``scale_grad_by_freq`` (pytorch/pytorch#190063, fixed after 2.13: an index that
occurs once, sorted after a repeated one, is divided by that one's count). There the
reference is PyTorch's ``embedding``, whose counts are right, reduced per bag."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn.functional as F
from tinygrad_bn import nn

INDICES = np.array([[1, 4, 1, 0], [4, 4, 2, 1]])


def _table(dtype):
    return (np.random.default_rng(0).standard_normal((6, 3)) * 2).astype(dtype)


def _run(namespace, functional, lookup, dtype, **options):
    weight = namespace.tensor(_table(dtype), requires_grad=True)
    upstream = np.random.default_rng(1).standard_normal((INDICES.size, 3) if "bag" not in lookup else (2, 3))
    if lookup == "embedding as bags":  # bags of mode "mean" through embedding: (2, 4, 3) -> (2, 3)
        rows = functional.embedding(namespace.tensor(INDICES), weight, **options)
        if "padding_idx" in options:
            counted = namespace.tensor((INDICES != options["padding_idx"]).astype(dtype))[..., None]
            out = (rows * counted).sum(1) / counted.sum(1)
        else:
            out = rows.mean(1)
    else:
        out = getattr(functional, lookup)(namespace.tensor(INDICES), weight, **options)
    (out * namespace.tensor(upstream.reshape(out.shape).astype(dtype))).sum().backward()
    return out.detach().numpy(), weight.detach().numpy(), weight.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("lookup", ["embedding", "embedding_bag"])
@pytest.mark.parametrize("options", [
    {"max_norm": 1.0}, {"max_norm": 2.5, "norm_type": 1.0}, {"scale_grad_by_freq": True},
    {"max_norm": 0.5, "scale_grad_by_freq": True, "padding_idx": 4},
], ids=["max_norm", "max_norm-l1", "scale_grad_by_freq", "all"])
def test_the_options_give_pytorchs_output_weight_and_gradient(lookup, options, dtype, torch):
    ours = _run(tg, F, lookup, dtype, **options)
    pytorch_bug = lookup == "embedding_bag" and options.get("scale_grad_by_freq")
    theirs = _run(torch, torch.nn.functional, "embedding as bags" if pytorch_bug else lookup, dtype, **options)
    tolerance = 1e-6 if dtype == "float32" else 1e-12
    for name, a, b in zip(("output", "weight after", "weight.grad"), ours, theirs):
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance, err_msg=name)


def test_max_norm_changes_only_the_rows_looked_up_and_counts_as_a_change():
    table = nn.Embedding.from_pretrained(tg.tensor(_table("float64")), max_norm=1.0)
    before, version = table.weight.numpy().copy(), table.weight._version
    table(tg.tensor([1, 1, 3]))
    after = table.weight.numpy()
    norms = np.linalg.norm(after, axis=1)
    assert np.all(norms[[1, 3]] <= 1.0 + 1e-6)
    np.testing.assert_array_equal(np.delete(after, [1, 3], axis=0), np.delete(before, [1, 3], axis=0))
    assert table.weight._version > version


@pytest.mark.parametrize("make", [
    lambda n: n.Embedding(10, 3, padding_idx=2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True),
    lambda n: n.Embedding(10, 3, max_norm=2.0),
    lambda n: n.EmbeddingBag(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, mode="sum", padding_idx=2),
    lambda n: n.EmbeddingBag(10, 3, mode="max"),
])
def test_reprs_show_the_options_as_pytorch_does(make, torch):
    assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("lookup", ["embedding", "embedding_bag"])
def test_the_options_run_on_the_device_as_on_the_cpu(lookup, strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        weight = tg.tensor(_table("float64"), device=device, requires_grad=True)
        out = getattr(F, lookup)(tg.tensor(INDICES, device=device), weight, max_norm=1.0, scale_grad_by_freq=True)
        out.sum().backward()
        assert out.device == weight.grad.device == device
        results.append([out.numpy(), weight.numpy(), weight.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        np.testing.assert_allclose(on_device, on_cpu, rtol=1e-14)
