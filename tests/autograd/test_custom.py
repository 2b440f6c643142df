"""Functions written PyTorch's way (``@staticmethod forward(ctx, ...)``): checked by
finite differences, to second order, against the same Function run by torch."""

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn.check import gradcheck, gradgradcheck


def define(torch):
    """The same three Functions under ``torch`` (ours or PyTorch's), written as PyTorch's docs write them."""

    class ScaledReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input, scale):  # noqa: A002 - as PyTorch's docs write it
            ctx.save_for_backward(input)
            ctx.scale = scale
            return input.clamp(min=0) * scale

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors  # noqa: A001
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input * ctx.scale, None

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad_output

    class SplitProduct(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b, a + b

        @staticmethod
        def backward(ctx, grad_product, grad_sum):
            a, b = ctx.saved_tensors
            return grad_product * b + grad_sum, grad_product * a + grad_sum

    return ScaledReLU, Cube, SplitProduct


def _run(torch, data_a, data_b, upstream):
    relu, cube, split = define(torch)
    a = torch.tensor(data_a, requires_grad=True)
    b = torch.tensor(data_b, requires_grad=True)
    product, total = split.apply(a, b)
    loss = (relu.apply(product, 2.0) * torch.tensor(upstream)).sum() + cube.apply(total).sum()
    (ga,) = torch.autograd.grad(loss, [a], create_graph=True)
    (gga,) = torch.autograd.grad(ga.sum(), [b])
    return loss.item(), ga.detach().numpy(), gga.numpy()


def test_matches_pytorch_to_second_order():
    torch = pytest.importorskip("torch")
    rng = numpy.random.default_rng(0)
    data_a, data_b, upstream = (rng.standard_normal(5) for _ in range(3))
    ours = _run(tinygrad_bn, data_a, data_b, upstream)
    theirs = _run(torch, data_a, data_b, upstream)
    for o, t in zip(ours, theirs):
        numpy.testing.assert_allclose(o, t, rtol=1e-12)


def test_gradcheck_and_gradgradcheck():
    _, cube, split = define(tinygrad_bn)
    rng = numpy.random.default_rng(1)
    a = tinygrad_bn.tensor(rng.standard_normal(4), requires_grad=True)
    b = tinygrad_bn.tensor(rng.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda x, y: split.apply(x, y), [a, b])
    assert gradgradcheck(cube.apply, [a])


def test_needs_input_grad_and_a_non_tensor_argument():
    seen = []

    class Record(tinygrad_bn.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, label):
            seen.append(ctx.needs_input_grad)
            return x + y

        @staticmethod
        def backward(ctx, grad):
            return grad, None, None

    x = tinygrad_bn.ones(2, requires_grad=True)
    Record.apply(x, tinygrad_bn.ones(2), "text").sum().backward()
    assert seen == [(True, False, False)] and x.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("returned, problem", [
    (lambda x: x._data, "forward must return a Tensor or a tuple of Tensors, got ndarray"),
    (lambda x: (x, 3.0), r"got \(Tensor, float\)"),
])
def test_a_forward_returning_something_else_fails_at_once(returned, problem):
    class Bad(tinygrad_bn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return returned(x)

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(TypeError, match=problem):
        Bad.apply(tinygrad_bn.ones(2, requires_grad=True))


def test_a_backward_returning_the_wrong_count_is_named():
    class Short(tinygrad_bn.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, grad):
            return grad

    y = Short.apply(tinygrad_bn.ones(2, requires_grad=True), 2.0)
    with pytest.raises(RuntimeError, match=r"Short.backward returned 1 gradient\(s\) for the 2 argument\(s\)"):
        y.sum().backward()


@pytest.mark.parametrize("extra, accepted", [((None,), True), ((None, None), True), ("grad", False)])
def test_a_backward_may_return_trailing_nones_for_unused_defaults(extra, accepted):
    class Linear(tinygrad_bn.autograd.Function):
        @staticmethod
        def forward(ctx, x, bias=None):  # called without the bias: one argument
            return x * 2.0

        @staticmethod
        def backward(ctx, grad):
            return (grad * 2.0, grad) if extra == "grad" else (grad * 2.0, *extra)

    x = tinygrad_bn.ones(2, requires_grad=True)
    y = Linear.apply(x)
    if accepted:
        y.sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
    else:
        with pytest.raises(RuntimeError, match=r"Linear.backward returned 2 gradient\(s\) for the 1 argument\(s\)"):
            y.sum().backward()


def test_a_saved_none_comes_back_after_in_place_changes_elsewhere():
    class Scale(tinygrad_bn.autograd.Function):
        @staticmethod
        def forward(ctx, x, bias=None):
            ctx.save_for_backward(x, bias)
            return x * 3.0

        @staticmethod
        def backward(ctx, grad):
            x, bias = ctx.saved_tensors
            assert bias is None
            return grad * 3.0, None

    x = tinygrad_bn.ones(2, requires_grad=True)
    y = Scale.apply(x)
    other = tinygrad_bn.zeros(2)
    other.add_(1.0)  # moves the version clock, so backward checks what was saved
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_mark_non_differentiable_outputs_get_no_gradient():
    class SortLike(tinygrad_bn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            positions = x.argmax(0)
            ctx.mark_non_differentiable(positions)
            return x * 2.0, positions

        @staticmethod
        def backward(ctx, grad, grad_positions):
            assert grad_positions is None
            return grad * 2.0

    x = tinygrad_bn.tensor([1.0, 3.0], requires_grad=True)
    doubled, positions = SortLike.apply(x)
    assert not positions.requires_grad and positions.item() == 1
    doubled.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
