"""Gradient clipping: the same norms and clipped gradients as PyTorch's nn.utils."""

from __future__ import annotations

import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.nn.utils import clip_grad_norm_, clip_grad_value_

SHAPES = [(3, 4), (4,), (2, 2, 3)]


def gradients(seed=0, scale=1.0):
    rng = numpy.random.default_rng(seed)
    return [scale * rng.standard_normal(shape) for shape in SHAPES]


def with_gradients(arrays, device="cpu"):
    """Leaves whose .grad holds a copy of ``arrays`` (clipping changes it in place)."""
    params = [Tensor(numpy.zeros(a.shape), requires_grad=True, device=device) for a in arrays]
    for p, a in zip(params, arrays, strict=True):
        p.grad = Tensor(a.copy(), device=device)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])  # clipped, and left alone (the scale is capped at 1)
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    arrays = gradients()
    ours = with_gradients(arrays)
    theirs = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True) for a in arrays]
    for p, a in zip(theirs, arrays, strict=True):
        p.grad = torch.from_numpy(a.copy())
    total = clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_allclose(mine.grad.numpy(), other.grad.numpy(), rtol=1e-12)


def test_clipping_to_a_norm_gives_that_norm_and_keeps_the_direction():
    arrays = gradients(scale=10.0)
    params = with_gradients(arrays)
    before = numpy.sqrt(sum((a**2).sum() for a in arrays))
    assert clip_grad_norm_(params, 2.0).item() == pytest.approx(before)
    after = numpy.sqrt(sum((p.grad.numpy() ** 2).sum() for p in params))
    assert after == pytest.approx(2.0, rel=1e-5)
    numpy.testing.assert_allclose(params[0].grad.numpy() / arrays[0], 2.0 / (before + 1e-6))


@pytest.mark.parametrize("clip", ["norm", "value"])
def test_clipping_changes_each_gradient_in_place(clip):
    """As PyTorch's: ``.grad`` stays the same tensor (its version goes up), and a
    gradient recorded by ``create_graph`` is changed without recording."""
    torch = pytest.importorskip("torch")
    seen = []
    for framework, clipping in ((None, (clip_grad_norm_, clip_grad_value_)),
                                (torch, (torch.nn.utils.clip_grad_norm_, torch.nn.utils.clip_grad_value_))):
        ones = (lambda n: Tensor(numpy.ones(n), requires_grad=True)) if framework is None else (
            lambda n: torch.ones(n, dtype=torch.float64, requires_grad=True))
        p = ones(3)
        (p * p * p).sum().backward(create_graph=True)
        kept, version = p.grad, p.grad._version
        clipping[0](p, 0.5) if clip == "norm" else clipping[1](p, 0.5)
        seen.append((p.grad is kept, p.grad._version > version, p.grad.grad_fn is None, p.grad.tolist()))
    assert seen[0][:3] == seen[1][:3] == (True, True, False)
    numpy.testing.assert_allclose(seen[0][3], seen[1][3], rtol=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered in multiply")  # inf · 0, NaN as in PyTorch
def test_a_nonfinite_norm_raises_only_when_asked():
    params = with_gradients([numpy.array([1.0, numpy.inf])])
    with pytest.raises(RuntimeError, match="norm of order 2.0 of the gradients is inf"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert clip_grad_norm_(params, 1.0).item() == numpy.inf


def test_clip_grad_value_matches_pytorch():
    torch = pytest.importorskip("torch")
    arrays = gradients(scale=2.0)
    ours = with_gradients(arrays)
    theirs = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True) for a in arrays]
    for p, a in zip(theirs, arrays, strict=True):
        p.grad = torch.from_numpy(a.copy())
    clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_array_equal(mine.grad.numpy(), other.grad.numpy())


def test_parameters_without_gradients_are_skipped():
    params = with_gradients([numpy.array([3.0, 4.0])]) + [Tensor(numpy.zeros(2), requires_grad=True)]
    assert clip_grad_norm_(params, 1.0).item() == pytest.approx(5.0)
    assert params[1].grad is None
    assert clip_grad_norm_([Tensor(numpy.zeros(2), requires_grad=True)], 1.0).item() == 0.0


@pytest.mark.parametrize("norm_type", [2.0, float("inf")])
def test_clipping_runs_on_the_device(strict_cuda, norm_type):
    arrays = gradients(scale=3.0)
    on_cpu, on_device = with_gradients(arrays), with_gradients(arrays, device="cuda")
    totals = [clip_grad_norm_(params, 1.0, norm_type).item() for params in (on_cpu, on_device)]
    clip_grad_value_(on_cpu, 0.2)
    clip_grad_value_(on_device, 0.2)
    assert totals[1] == pytest.approx(totals[0], rel=1e-12)
    for mine, other in zip(on_device, on_cpu, strict=True):
        assert mine.grad.device == "cuda"
        numpy.testing.assert_allclose(mine.grad.numpy(), other.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_total_norm_then_clipping_with_it_matches_pytorch(torch, norm_type, max_norm):
    from tinygrad_bn.nn.utils import clip_grads_with_norm_, get_total_norm

    arrays = gradients(3)
    ours = with_gradients(arrays)
    theirs = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True) for a in arrays]
    for p, a in zip(theirs, arrays, strict=True):
        p.grad = torch.from_numpy(a.copy())
    total = get_total_norm([p.grad for p in ours], norm_type, foreach=None)
    expected = torch.nn.utils.get_total_norm([p.grad for p in theirs], norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    assert get_total_norm(ours[0].grad).item() == pytest.approx(torch.nn.utils.get_total_norm(theirs[0].grad).item())
    grads = [p.grad for p in ours]
    clip_grads_with_norm_(ours, max_norm, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, max_norm, expected)
    for mine, other, grad in zip(ours, theirs, grads, strict=True):
        assert mine.grad is grad
        numpy.testing.assert_allclose(mine.grad.numpy(), other.grad.numpy(), rtol=1e-12)
    assert get_total_norm([]).item() == torch.nn.utils.get_total_norm([]).item() == 0.0
