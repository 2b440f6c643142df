"""Matrix multiplication: NumPy's shape rules and errors that name both shapes. Norms:
PyTorch's gradient where x = 0, and the orders there are. einsum's sublist form."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad


@pytest.mark.parametrize("a, b", [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((4, 1, 2, 3), (5, 3, 2))])
def test_matmul_follows_numpy_shapes(a, b):
    left, right = numpy.ones(a), numpy.ones(b)
    result = Tensor(left) @ Tensor(right)
    assert result.shape == (left @ right).shape
    numpy.testing.assert_array_equal(result.numpy(), left @ right)


@pytest.mark.parametrize("a, b, problem", [
    ((2, 3), (4, 2), "do not match"),
    ((3,), (2,), "do not match"),
    ((2, 2, 3), (3, 3, 2), "batch shapes"),
    ((), (3,), "at least one dimension"),
])
def test_matmul_mismatch_names_both_shapes(a, b, problem):
    with pytest.raises(ValueError, match=problem) as error:
        Tensor(numpy.ones(a)) @ Tensor(numpy.ones(b))
    assert str(a) in str(error.value) and str(b) in str(error.value)


def test_matmul_with_a_host_array_on_either_side():
    m = Tensor([[1.0, 2.0], [3.0, 4.0]])
    v = numpy.array([1.0, 1.0], dtype="float32")
    assert (m @ v).tolist() == [3.0, 7.0]
    assert (v @ m).tolist() == [4.0, 6.0]


ZERO_ROW = numpy.array([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0]])


@pytest.mark.parametrize("p", [2, "fro", 1, float("inf")])
@pytest.mark.parametrize("dim", [None, 1])
def test_norm_at_zero_has_pytorchs_zero_gradient(p, dim):
    torch = pytest.importorskip("torch")
    data = ZERO_ROW if dim is not None else numpy.zeros((2, 3))
    x, expected_x = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, expected = x.norm(p, dim=dim), expected_x.norm(p, dim=dim)
    numpy.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=1e-15)
    (dx,) = grad(y.sum(), [x])
    (expected_dx,) = torch.autograd.grad(expected.sum(), [expected_x])
    assert numpy.isfinite(dx.numpy()).all() and dx.numpy()[0].tolist() == [0.0, 0.0, 0.0]
    numpy.testing.assert_allclose(dx.numpy(), expected_dx.numpy(), rtol=1e-15)


def test_norm_at_zero_has_a_zero_second_derivative():
    x = Tensor(numpy.zeros(3), requires_grad=True)
    (dx,) = grad(x.norm(), [x], create_graph=True)
    (ddx,) = grad((dx * Tensor(numpy.array([1.0, -2.0, 0.5]))).sum(), [x])
    assert ddx.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("p", ["nuc", "2"])
def test_norm_names_the_orders_it_supports(p):
    with pytest.raises(ValueError, match=rf"norm expects a number p \(or 'fro'\), got p={p!r}"):
        Tensor(numpy.ones((2, 3))).norm(p)


@pytest.mark.parametrize("equation, shapes, error, words", [
    ("ii->i", [(2, 3)], RuntimeError, "subscript 'i' has sizes 2 and 3 in one operand"),
    ("...i,...i", [(2, 3), (4, 3)], RuntimeError, r"the axes of '\.\.\.' do not broadcast together"),
    ("ij,jk->ik", [(2, 3), (4, 5)], RuntimeError, "subscript 'j' has sizes 3 and 4"),
    ("ij,jk->ik", [(2, 3)], ValueError, "names 2 operands, got 1"),
    ("ij->iz", [(2, 3)], ValueError, "must be distinct letters of the inputs"),
    ("ijk->i", [(2, 3)], RuntimeError, "subscripts 'ijk' for an operand of shape"),
])
def test_einsum_refuses_what_it_does_not_do(equation, shapes, error, words):
    with pytest.raises(error, match=words):
        tg.einsum(equation, *[tg.zeros(*shape) for shape in shapes])


SUBLIST_CALLS = {
    "row sums": lambda f, x, y: f.einsum(x, [0, 1], [1]),
    "implicit output": lambda f, x, y: f.einsum(x, [0, 1], y, [1, 2]),
    "output order": lambda f, x, y: f.einsum(x, [0, 1], y, [1, 2], [2, 0]),
    "ellipsis": lambda f, x, y: f.einsum(x, [Ellipsis, 1], [Ellipsis]),
    "full contraction": lambda f, x, y: f.einsum(x, [0, 1], x, [0, 1], []),
    "upper-case letters": lambda f, x, y: f.einsum(x, [30, 51]),
}


@pytest.mark.parametrize("name", SUBLIST_CALLS)
def test_einsum_sublist_form_matches_pytorch(torch, name):
    rng = numpy.random.default_rng(2)
    X, Y = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))

    def run(f):
        x, y = f.tensor(X, requires_grad=True), f.tensor(Y, requires_grad=True)
        out = SUBLIST_CALLS[name](f, x, y)
        grads = f.autograd.grad((out * out).sum(), (x, y), allow_unused=True)
        return [out.detach().numpy()] + [g.numpy() for g in grads if g is not None]

    for a, b in zip(run(tg), run(torch), strict=True):
        numpy.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_einsum_sublist_subscripts_out_of_range_are_refused_as_in_pytorch(torch):
    for subscripts in ([0, 52], [0, -1]):
        with pytest.raises(ValueError):
            torch.einsum(torch.ones(2, 2), subscripts)
        with pytest.raises(ValueError, match=r"not within the valid range \[0, 52\)"):
            tg.einsum(tg.ones(2, 2), subscripts)
