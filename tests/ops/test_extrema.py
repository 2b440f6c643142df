"""fmax, fmin and aminmax (ops/extrema.py) against PyTorch where the op-case registry does not
reach: NaN in both operands, ties, mixed dtypes, empty reductions and wrong arguments."""

import numpy
import pytest

import tinygrad_bn as tg

NAN = float("nan")
A = numpy.array([1.0, NAN, 2.0, NAN, 3.0, 0.5, -1.0])
B = numpy.array([1.0, 1.0, NAN, NAN, 4.0, 0.5, -2.0])  # ties at 0 and 5, NaN at 1, 2, both at 3


@pytest.mark.parametrize("name", ["fmax", "fmin"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nans_and_ties_are_pytorchs(matches_torch, name, dtype):
    """Values NaN only where both are; the gradient to input at ties and where other is NaN."""
    matches_torch(lambda a, b: getattr(a, name)(b), A.astype(dtype), B.astype(dtype))


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_nan_skipping_by_hand(name):
    """Independent of PyTorch: NumPy's fmax/fmin, and input's gradient where it is taken."""
    a, b = tg.tensor(A, requires_grad=True), tg.tensor(B, requires_grad=True)
    y = getattr(tg, name)(a, b)
    numpy.testing.assert_array_equal(y.numpy(), getattr(numpy, name)(A, B))
    y.sum().backward()
    better = A >= B if name == "fmax" else A <= B
    numpy.testing.assert_array_equal(a.grad.numpy(), (better | numpy.isnan(B)).astype(float))
    numpy.testing.assert_array_equal(b.grad.numpy(), 1.0 - a.grad.numpy())


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_mixed_dtypes_and_broadcasting_are_pytorchs(matches_torch, name):
    matches_torch(lambda a, b: getattr(a, name)(b), numpy.array([1, 5, -2]), numpy.array([[1.5], [0.25]]))
    matches_torch(lambda a, b: getattr(a, name)(b), numpy.array([1, 5, -2]), numpy.array([3, 0, -2]))


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_a_number_is_refused_as_pytorch(torch, raises_like_torch, name):
    raises_like_torch(lambda: getattr(tg, name)(tg.ones(2), 2.0), lambda: getattr(torch, name)(torch.ones(2), 2.0),
                      "expects two tensors, got float for other")


@pytest.mark.parametrize("words", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"keepdim": True}, {"dim": -1}],
                         ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_aminmax_is_pytorchs(torch, agree, words, dtype):
    x = numpy.array([[3.0, -1.0, 3.0], [0.5, 7.0, -1.0]]).astype(dtype)
    agree(tg.tensor(x).aminmax(**words), torch.aminmax(torch.tensor(x), **words))
    agree(tg.aminmax(tg.tensor(x[0, 0]), **({"dim": 0} if "dim" in words else {})),
          torch.aminmax(torch.tensor(x[0, 0]), **({"dim": 0} if "dim" in words else {})))


def test_aminmax_ties_share_gradients_as_pytorch(matches_torch):
    """Tied minima (and maxima) share the gradient equally."""
    x = numpy.array([[3.0, -1.0, 3.0, -1.0], [0.5, 7.0, 7.0, 2.0]])
    matches_torch(lambda t: (lambda r: 2.0 * r.min + 3.0 * r.max)(t.aminmax()), x)
    matches_torch(lambda t: (lambda r: 2.0 * r.min + 3.0 * r.max)(t.aminmax(dim=1)), x)


@pytest.mark.parametrize(("shape", "words"), [((0,), {}), ((2, 0), {"dim": 1}), ((0, 3), {})])
def test_aminmax_of_nothing_is_refused_as_pytorch(torch, raises_like_torch, shape, words):
    raises_like_torch(lambda: tg.zeros(shape).aminmax(**words), lambda: torch.zeros(shape).aminmax(**words),
                      "aminmax expects a non-empty dimension")


def test_aminmax_of_an_empty_tensor_along_a_full_dimension_is_pytorchs(torch, agree):
    agree(tg.zeros(0, 3).aminmax(dim=1), torch.zeros(0, 3).aminmax(dim=1))
