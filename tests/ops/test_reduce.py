"""Reductions: shapes, axis errors, ties, the stability of the log-sum-exp family, and
the positions of extremes."""

import math

import numpy
import pytest

from tinygrad_bn import Tensor

X = numpy.arange(24.0).reshape(2, 3, 4)


@pytest.mark.parametrize("method", ["sum", "mean", "max", "min", "var"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(method, axis, keepdims):
    result = getattr(Tensor(X), method)(axis, keepdims=keepdims)
    expected = getattr(numpy, method)(X, axis=axis, keepdims=keepdims)
    assert result.shape == expected.shape
    numpy.testing.assert_allclose(result.numpy(), expected)


@pytest.mark.parametrize("axis, problem", [(3, "out of range"), (-4, "out of range"), ((1, -2), "repeated")])
def test_bad_axes_are_rejected(axis, problem):
    with pytest.raises(ValueError, match=problem):
        Tensor(X).sum(axis)


def test_axes_may_be_numpy_integers():
    numpy.testing.assert_allclose(Tensor(X).sum(numpy.int64(1)).numpy(), X.sum(1))
    numpy.testing.assert_allclose(Tensor(X).mean((numpy.int32(0), 2)).numpy(), X.mean((0, 2)))


@pytest.mark.parametrize("axis", [0, -1, (), None])
def test_a_0d_tensor_reduces_over_its_only_axis_name(axis):
    x = Tensor(2.5, requires_grad=True)
    y = x.sum(axis)
    assert y.shape == () and y.item() == 2.5
    y.backward()
    assert x.grad.item() == 1.0


def test_max_of_an_empty_axis_is_rejected():
    with pytest.raises(ValueError, match=r"empty axis.*\(2, 0\)"):
        Tensor(numpy.ones((2, 0))).max(1)


@pytest.mark.parametrize("method, values, share", [
    ("max", [1.0, 3.0, 3.0, 2.0], [0.0, 0.5, 0.5, 0.0]),
    ("min", [1.0, 3.0, 1.0, 1.0], [1 / 3, 0.0, 1 / 3, 1 / 3]),
])
def test_tied_extremes_share_the_gradient(method, values, share):
    x = Tensor(values, dtype="float64", requires_grad=True)
    getattr(x, method)().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), share)


@pytest.mark.parametrize("ddof", [0, 1])
def test_var_divides_by_count_minus_ddof(ddof):
    x = Tensor([1.0, 2.0, 4.0])
    mean = 7 / 3
    expected = sum((v - mean) ** 2 for v in (1.0, 2.0, 4.0)) / (3 - ddof)
    assert x.var(ddof=ddof).item() == pytest.approx(expected, rel=1e-6)


def test_logsumexp_and_softmax_do_not_overflow():
    x = Tensor([[1000.0, 1000.0, -1000.0]], dtype="float64", requires_grad=True)
    assert x.logsumexp().item() == pytest.approx(1000.0 + math.log(2.0))
    probabilities = x.softmax()
    numpy.testing.assert_allclose(probabilities.numpy(), [[0.5, 0.5, 0.0]])
    x.log_softmax()[0, 0].backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [[0.5, -0.5, 0.0]])


TIED = numpy.array([[3.0, 1.0, 3.0, 0.0], [2.0, 2.0, -1.0, -1.0], [0.0, 5.0, 5.0, 5.0]])


@pytest.mark.parametrize("method", ["argmax", "argmin"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_positions_of_extremes_match_pytorch_with_ties(method, axis, keepdims):
    torch = pytest.importorskip("torch")
    x = Tensor(TIED, requires_grad=True)
    result = getattr(x, method)(axis, keepdims=keepdims)
    expected = getattr(torch.tensor(TIED), method)(dim=axis, keepdim=keepdims)
    assert result.dtype == numpy.int64 and not result.requires_grad
    numpy.testing.assert_array_equal(result.numpy(), expected.numpy())  # the first of tied extremes


def test_positions_run_on_the_device(strict_cuda):
    x = Tensor(TIED, device="cuda")
    assert x.argmax(1).device == "cuda"
    assert x.argmax(1).tolist() == [0, 0, 1] and x.argmin().item() == 6


@pytest.mark.parametrize("call, problem", [
    (lambda: Tensor(numpy.ones((2, 0))).argmax(1), r"argmax of an empty tensor \(shape \(2, 0\)\)"),
    (lambda: Tensor(X).argmin(3), "axis 3 is out of range"),
])
def test_bad_positions_are_rejected(call, problem):
    with pytest.raises(ValueError, match=problem):
        call()


def test_a_0d_tensor_is_its_own_extreme():
    assert Tensor(4.0).argmax().item() == 0 and Tensor(4.0).argmin(0).item() == 0


@pytest.mark.parametrize("method, dtype", [("float", "float32"), ("double", "float64"), ("half", "float16"),
                                           ("long", "int64")])
def test_pytorch_casts(method, dtype):
    x = Tensor(numpy.array([1.5, -2.0]), requires_grad=True)
    y = getattr(x, method)()
    assert y.dtype == dtype
    assert y.requires_grad == (y.dtype.kind == "f")  # an integer tensor leaves the graph, as in PyTorch
    if y.requires_grad:
        (y * 2).sum().backward()
        assert x.grad.dtype == "float64" and x.grad.tolist() == [2.0, 2.0]
