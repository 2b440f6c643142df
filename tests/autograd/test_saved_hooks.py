"""torch.autograd.graph.saved_tensors_hooks, save_on_cpu and disable_saved_tensors_hooks
against PyTorch: what the backward reads is what unpack_hook gives."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn


def _gradients(framework, pack, unpack):
    a = framework.tensor([0.5, -1.0, 2.0], dtype=framework.float64, requires_grad=True)
    m = framework.tensor(numpy.arange(6.0).reshape(3, 2), requires_grad=True)
    with framework.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = ((a * a.flip(0)).tanh() @ m).sum()
    y.backward()
    return a.grad.numpy(), m.grad.numpy()


def test_the_backward_reads_what_unpack_gives_as_in_pytorch(torch):
    """Kept as they are, or offloaded to NumPy arrays and brought back."""
    for pack, unpack in ((lambda t: t, lambda t: t), (lambda t: t.detach().numpy().copy(), None)):
        ours = _gradients(tinygrad_bn, pack, unpack or tinygrad_bn.tensor)
        theirs = _gradients(torch, pack, unpack or torch.tensor)
        for mine, other in zip(ours, theirs, strict=True):
            numpy.testing.assert_allclose(mine, other, rtol=1e-12)


def test_a_product_reads_its_factors_as_unpacked(torch):
    """Both factors require grad, so both frameworks keep both: doubled when packed, doubled gradients."""
    results = []
    for framework in (tinygrad_bn, torch):
        a, b = (framework.tensor(v, requires_grad=True) for v in ([1.0, 2.0], [3.0, -4.0]))
        with framework.autograd.graph.saved_tensors_hooks(lambda t: t * 2, lambda t: t):
            y = (a * b).sum()
        y.backward()
        results.append((a.grad.tolist(), b.grad.tolist()))
    assert results[0] == results[1] == ([6.0, -8.0], [2.0, 4.0])


def test_pack_runs_only_for_a_recorded_op_and_unpack_when_the_backward_reads():
    calls = []
    x, w = tinygrad_bn.tensor([1.0, 2.0], requires_grad=True), tinygrad_bn.tensor([3.0, 4.0])
    hooks = tinygrad_bn.autograd.graph.saved_tensors_hooks(lambda t: calls.append("pack") or t,
                                                           lambda t: calls.append("unpack") or t)
    with hooks, tinygrad_bn.no_grad():
        x * w  # nothing recorded, nothing packed
    assert calls == []
    with hooks:
        y = (x * w).sum()
    assert calls and set(calls) == {"pack"}
    y.backward()
    assert "unpack" in calls and x.grad.tolist() == [3.0, 4.0]


def test_save_on_cpu_keeps_the_gradients(torch):
    for framework in (tinygrad_bn, torch):
        x = framework.tensor([1.0, 2.0], requires_grad=True)
        with framework.autograd.graph.save_on_cpu():
            y = (x * x).sum()
        y.backward()
        assert x.grad.tolist() == [2.0, 4.0]


def test_hooks_are_refused_inside_disable_saved_tensors_hooks(torch):
    for framework in (tinygrad_bn, torch):
        graph = framework.autograd.graph
        with graph.disable_saved_tensors_hooks("no hooks here"):
            with pytest.raises(RuntimeError, match="no hooks here"):
                with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass
        with graph.saved_tensors_hooks(lambda t: t, lambda t: t):  # allowed again after the block
            pass


def test_a_custom_function_saves_through_the_hooks_as_in_pytorch(torch):
    for framework in (tinygrad_bn, torch):
        class Square(framework.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g

        calls = []
        x = framework.tensor([1.0, 2.0], requires_grad=True)
        with framework.autograd.graph.saved_tensors_hooks(lambda t, calls=calls: calls.append("pack") or t * 2,
                                                          lambda t: t):
            y = Square.apply(x).sum()
        y.backward()
        assert calls == ["pack"] and x.grad.tolist() == [4.0, 8.0], framework
