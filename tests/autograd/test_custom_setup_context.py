"""Functions written in PyTorch's newer style (``forward(*args)`` without ctx and a
``setup_context(ctx, inputs, output)``, ``vjp`` for ``backward``): the same class bodies
run under ours and under torch give the same values, gradients and second gradients,
and fail the same way when written wrongly."""

import numpy
import pytest

import tinygrad_bn


def define(torch):
    """The same Functions under ``torch`` (ours or PyTorch's), in the setup_context style."""

    class Softplus(torch.autograd.Function):
        @staticmethod
        def forward(x, beta):
            return torch.log1p(torch.exp(beta * x)) / beta

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, beta = inputs
            ctx.save_for_backward(x)
            ctx.beta = beta

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * torch.sigmoid(ctx.beta * x), None

    class Exp(torch.autograd.Function):  # saves its output, and names its backward vjp
        @staticmethod
        def forward(x):
            return torch.exp(x)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def vjp(ctx, grad_output):
            (y,) = ctx.saved_tensors
            return grad_output * y

    class ProductAndArgmax(torch.autograd.Function):
        @staticmethod
        def forward(a, b):
            product = a * b
            return product, product.argmax()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)
            ctx.mark_non_differentiable(output[1])

        @staticmethod
        def backward(ctx, grad_product, grad_position):
            a, b = ctx.saved_tensors
            return grad_product * b, grad_product * a

    return Softplus, Exp, ProductAndArgmax


def _run(torch, data_a, data_b, upstream):
    softplus, exp, product_and_argmax = define(torch)
    a = torch.tensor(data_a, requires_grad=True)
    b = torch.tensor(data_b, requires_grad=True)
    product, position = product_and_argmax.apply(a, b)
    loss = (softplus.apply(product, 1.5) * torch.tensor(upstream)).sum() + exp.apply(a * b).sum()
    ga, gb = torch.autograd.grad(loss, [a, b], create_graph=True)
    (gga,) = torch.autograd.grad((ga * gb).sum(), [a])
    return loss.item(), ga.detach().numpy(), gb.detach().numpy(), gga.numpy(), position.item(), position.requires_grad


def test_values_gradients_and_second_gradients_match_pytorch(torch):
    rng = numpy.random.default_rng(0)
    data_a, data_b, upstream = (rng.standard_normal(5) for _ in range(3))
    ours = _run(tinygrad_bn, data_a, data_b, upstream)
    theirs = _run(torch, data_a, data_b, upstream)
    for o, t in zip(ours, theirs):
        numpy.testing.assert_allclose(o, t, rtol=1e-12)


def _noting_scale(lib, notes, new_style):
    """``x * y * factor``, noting what its ctx saw, written in either style."""

    def note(ctx, inputs, output):
        notes.append((len(inputs), inputs[2], tuple(output.shape), ctx.needs_input_grad))

    if new_style:
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(x, y, factor):
                return x * y * factor

            setup_context = staticmethod(note)

            @staticmethod
            def backward(ctx, grad):
                return grad, None, None
    else:
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y, factor):
                output = x * y * factor
                note(ctx, (x, y, factor), output)
                return output

            @staticmethod
            def backward(ctx, grad):
                return grad, None, None

    return Scale


@pytest.mark.parametrize("new_style", [True, False], ids=["setup_context", "forward(ctx)"])
def test_ctx_sees_the_inputs_the_output_and_needs_input_grad_in_and_out_of_grad_mode(torch, new_style):
    def seen(lib):
        notes = []
        scale = _noting_scale(lib, notes, new_style)
        x = lib.ones(3, requires_grad=True)
        scale.apply(x, lib.ones(3), 2.0).sum().backward()
        with lib.no_grad():
            scale.apply(x, lib.ones(3), 2.0)
        scale.apply(lib.ones(3), lib.ones(3), 2.0)
        return notes, x.grad.tolist()

    assert seen(tinygrad_bn) == seen(torch)


def _both_backward_and_vjp(lib):
    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

        @staticmethod
        def vjp(ctx, grad):
            return grad * 2

    return Twice


def _no_backward(lib):
    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

    return Twice


@pytest.mark.parametrize("define_function, error", [
    (_both_backward_and_vjp, RuntimeError),
    (_no_backward, NotImplementedError),
])
def test_backward_and_vjp_are_one_method_and_one_is_needed(torch, define_function, error):
    for lib, words in ((torch, None), (tinygrad_bn, "backward")):
        y = define_function(lib).apply(lib.ones(2, requires_grad=True))
        with pytest.raises(error, match=words):
            y.sum().backward()


def test_a_forward_taking_ctx_beside_setup_context_is_refused_as_pytorch_refuses_it(torch):
    def define_wrong(lib):
        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def setup_context(ctx, inputs, output):
                pass

            @staticmethod
            def backward(ctx, grad):
                return grad * 2

        return Twice

    with pytest.raises(TypeError, match="missing a required argument: 'x'"):
        define_wrong(torch).apply(torch.ones(2, requires_grad=True))
    with pytest.raises(TypeError, match="missing a required argument: 'x'.*drop ctx from forward"):
        define_wrong(tinygrad_bn).apply(tinygrad_bn.ones(2, requires_grad=True))


def test_once_differentiable_backward_gives_first_gradients_and_refuses_second_ones(torch):
    def run(lib):
        class Square(lib.autograd.Function):
            @staticmethod
            def forward(x):
                return x * x

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.save_for_backward(inputs[0])
                ctx.set_materialize_grads(False)

            @staticmethod
            @lib.autograd.function.once_differentiable
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return None if grad is None else 2 * x * grad

        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        (g,) = lib.autograd.grad(Square.apply(x).sum(), [x], create_graph=True)
        with pytest.raises(RuntimeError):
            g.sum().backward()
        return g.tolist()

    assert run(tinygrad_bn) == run(torch)


def test_without_a_gradient_needed_forward_and_setup_context_still_run(torch):
    def run(lib):
        softplus, _, _ = define(lib)
        y = softplus.apply(lib.tensor([0.0, 1.0], dtype=lib.float64), 2.0)
        return y.requires_grad, y.tolist()

    ours, theirs = run(tinygrad_bn), run(torch)
    assert ours[0] == theirs[0]
    numpy.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
