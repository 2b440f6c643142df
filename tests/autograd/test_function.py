"""Function, the public way to add an op; grad mode (no_grad)."""

import ast
import pathlib

import pytest

import tinygrad_bn
from tinygrad_bn import Function, Tensor, enable_grad, is_grad_enabled, no_grad
from tinygrad_bn.autograd import grad, once_differentiable, set_grad_enabled
from tinygrad_bn.check import gradcheck, gradgradcheck


class Square(Function):
    """x², written the way a user adds an op of their own."""

    def forward(self, x):
        self.save_for_backward(x)
        return x._data * x._data

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * x * 2.0


class ScaledSum(Function):
    """Two inputs, a keyword parameter, and gradients only where needed."""

    def forward(self, a, b, scale):
        self.scale = scale
        return (a._data + b._data) * scale

    def backward(self, grad):
        scale = self.scale
        need_a, need_b = self.needs_input_grad
        return (grad * scale if need_a else None), (grad * scale if need_b else None)


class ArrayBackward(Function):
    def forward(self, x):
        return x._data * 3.0

    @once_differentiable
    def backward(self, grad):
        return Tensor(grad._data * 3.0)


def test_a_user_function_end_to_end():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = Square.apply(x)
    assert y.tolist() == [1.0, 4.0, 9.0]
    assert isinstance(y.grad_fn, Square) and y.grad_fn.name == "Square"
    (y * Tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [2.0, -40.0, 600.0]


def test_a_user_function_passes_gradcheck_and_gradgradcheck():
    x = Tensor([0.4, -1.3, 2.2], dtype="float64", requires_grad=True)
    assert gradcheck(Square.apply, x)
    assert gradgradcheck(Square.apply, x)


def test_params_and_needs_input_grad():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([5.0, 5.0])
    y = ScaledSum.apply(a, b, scale=2.0)
    assert y.tolist() == [12.0, 14.0]
    assert y.grad_fn.params == {"scale": 2.0}
    assert y.grad_fn.needs_input_grad == (True, False)
    y.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0] and b.grad is None


def _backwards_reading_params(path: pathlib.Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name == "backward":
            for inner in ast.walk(node):
                if isinstance(inner, ast.Attribute) and inner.attr == "params":
                    yield f"{path.name}:{inner.lineno}"


def test_no_backward_in_the_package_reads_params():
    """``params`` is for display; backward reads attributes that forward set."""
    sources = sorted(pathlib.Path(tinygrad_bn.__file__).parent.rglob("*.py"))
    assert [site for path in sources for site in _backwards_reading_params(path)] == []


def test_inputs_that_need_no_gradient_are_not_recorded():
    y = ScaledSum.apply(Tensor([1.0]), Tensor([2.0]), scale=1.0)
    assert y.grad_fn is None and not y.requires_grad


def test_once_differentiable_runs_under_create_graph_and_refuses_a_second_derivative():
    """As PyTorch's: the first backward runs (also with create_graph=True), and only a
    backward through the gradient it gave raises."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    (dx,) = grad(ArrayBackward.apply(x).sum(), x)
    assert dx.tolist() == [3.0, 3.0]
    y = ArrayBackward.apply(x)
    (dx,) = grad((y * y).sum(), x, create_graph=True)  # the upstream 2y depends on x
    assert dx.tolist() == [18.0, 36.0] and dx.requires_grad
    with pytest.raises(RuntimeError, match="differentiate twice ArrayBackward.backward, which is marked "
                                           "@once_differentiable"):
        grad(dx.sum(), x)


def _two_outputs(framework):
    """A PyTorch-style Function of two outputs whose backward is once_differentiable."""

    class Split(framework.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        @framework.autograd.function.once_differentiable
        def backward(ctx, grad_twice, grad_thrice):
            return grad_twice * 2 + grad_thrice * 3

    return Split


@pytest.mark.parametrize("create_graph", [False, True])
def test_once_differentiable_takes_one_gradient_per_output_as_pytorchs(create_graph):
    """First order, both run; a second derivative raises in both (ours says why)."""
    torch = pytest.importorskip("torch")
    import tinygrad_bn

    results = []
    for framework in (tinygrad_bn, torch):
        x = framework.tensor([1.0, -2.0], requires_grad=True)
        twice, thrice = _two_outputs(framework).apply(x)
        (dx,) = framework.autograd.grad((twice * thrice).sum(), x, create_graph=create_graph)
        results.append(dx.tolist())
        if create_graph:
            with pytest.raises(RuntimeError, match="differentiate twice Split.backward" if framework is tinygrad_bn
                               else None):
                framework.autograd.grad(dx.sum(), x)
    assert results[0] == results[1] == [12.0, -24.0]  # d(6x²)/dx


def test_no_grad_as_a_context_manager():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2.0
    assert is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_as_a_decorator_and_after_an_exception():
    @no_grad()
    def double(t):
        return t * 2.0

    x = Tensor([1.0], requires_grad=True)
    assert not double(x).requires_grad
    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert is_grad_enabled() and (x * 2.0).requires_grad


def test_enable_grad_inside_no_grad():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        with enable_grad():
            assert (x * 2.0).requires_grad
        with set_grad_enabled(True):
            assert (x * 2.0).requires_grad
        assert not (x * 2.0).requires_grad


def _grad_mode_uses(framework):
    """is_grad_enabled() after each way of using set_grad_enabled, in ``framework``."""
    seen = []
    framework.set_grad_enabled(False)  # a plain call switches from then on
    seen.append(framework.is_grad_enabled())
    with framework.set_grad_enabled(True):
        seen.append(framework.is_grad_enabled())
    seen.append(framework.is_grad_enabled())  # the block put back what was before it
    framework.set_grad_enabled(True)

    @framework.set_grad_enabled(False)
    def inside():
        return framework.is_grad_enabled()

    seen += [framework.is_grad_enabled(), inside(), framework.is_grad_enabled()]  # decorating switches nothing
    made, _ = framework.no_grad(), framework.inference_mode()  # making these switches nothing either
    seen.append(framework.is_grad_enabled())
    with made:
        seen.append(framework.is_grad_enabled())
    return seen


def test_set_grad_enabled_switches_as_a_call_a_block_and_a_decorator(torch):
    import tinygrad_bn

    assert _grad_mode_uses(tinygrad_bn) == _grad_mode_uses(torch) == [False, True, False, True, False, True, True,
                                                                       False]
    assert tinygrad_bn.is_grad_enabled() and torch.is_grad_enabled()
