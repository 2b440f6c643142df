"""Statistics built on the reductions: var and std with NumPy's and PyTorch's words and
divisors, std's zero-spread gradient, and the stability of the log-sum-exp family."""

import math

import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad

X = numpy.arange(24.0).reshape(2, 3, 4)


def _assert_equal(ours, theirs):
    assert ours.dtype == str(theirs.dtype).removeprefix("torch.") and ours.shape == tuple(theirs.shape)
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("correction", [0, 1])
def test_var_divides_by_count_minus_correction(correction):
    x = Tensor([1.0, 2.0, 4.0])
    mean = 7 / 3
    expected = sum((v - mean) ** 2 for v in (1.0, 2.0, 4.0)) / (3 - correction)
    assert x.var(correction=correction).item() == pytest.approx(expected, rel=1e-6)


def test_logsumexp_and_softmax_do_not_overflow():
    x = Tensor([[1000.0, 1000.0, -1000.0]], dtype="float64", requires_grad=True)
    assert x.logsumexp(-1).item() == pytest.approx(1000.0 + math.log(2.0))
    probabilities = x.softmax()
    numpy.testing.assert_allclose(probabilities.numpy(), [[0.5, 0.5, 0.0]])
    x.log_softmax()[0, 0].backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [[0.5, -0.5, 0.0]])


@pytest.mark.parametrize("method", ["var", "std"])
@pytest.mark.parametrize("words", [
    {"dim": 1}, {"dim": -1, "correction": 0}, {"dim": (0, 2), "unbiased": False, "keepdim": True},
    {"dim": 0, "unbiased": True}, {"dim": 2, "correction": 2}, {"correction": 0}, {"unbiased": False},
    {"unbiased": True}, {"correction": 1, "keepdim": True}, {"dim": ()},
])
def test_var_and_std_with_pytorch_keywords_divide_as_pytorch(method, words):
    torch = pytest.importorskip("torch")
    data = numpy.random.default_rng(0).standard_normal((2, 3, 4))
    _assert_equal(getattr(Tensor(data), method)(**words), getattr(torch.tensor(data), method)(**words))


@pytest.mark.parametrize("method", ["var", "std"])
@pytest.mark.parametrize("call", [(), (1,), ((0, 2),), (-1, False), (0, True, True)])
def test_var_and_std_without_keywords_are_pytorchs(method, call):
    """``x.var()`` and ``x.var(d)`` divide by m − 1, as PyTorch's ``var(dim, unbiased, keepdim)``,
    and so does ``x.var(axis=d)``, PyTorch's alias. So does ``std``."""
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(Tensor(X), method), getattr(torch.from_numpy(X), method)
    numpy.testing.assert_allclose(ours(*call).numpy(), theirs(*call).numpy())
    axis = call[0] if call else None
    numpy.testing.assert_allclose(ours(axis=axis).numpy(), getattr(numpy, method)(X, axis=axis, ddof=1))


def test_std_where_the_values_agree_has_pytorchs_zero_gradient():
    torch = pytest.importorskip("torch")
    data = numpy.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])  # row 0 has no spread
    x, expected_x = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (dx,) = grad(x.std(dim=1).sum(), [x])
    (expected_dx,) = torch.autograd.grad(expected_x.std(dim=1).sum(), [expected_x])
    assert dx.tolist()[0] == [0.0, 0.0, 0.0]
    _assert_equal(dx, expected_dx)


def test_std_of_constant_values_has_a_zero_second_derivative():
    x = Tensor(numpy.full(4, 3.0), requires_grad=True)
    (dx,) = grad(x.std(), [x], create_graph=True)
    (ddx,) = grad((dx * Tensor([1.0, -2.0, 0.5, 3.0], dtype="float64")).sum(), [x])
    assert dx.tolist() == [0.0] * 4 and ddx.tolist() == [0.0] * 4


@pytest.mark.parametrize("method", ["softmax", "log_softmax"])
def test_softmax_takes_pytorchs_dim_and_defaults_to_the_last_axis(method):
    x = Tensor(X)
    numpy.testing.assert_array_equal(getattr(x, method)(dim=0).numpy(), getattr(x, method)(0).numpy())
    numpy.testing.assert_array_equal(getattr(x, method)().numpy(), getattr(x, method)(axis=-1).numpy())
    assert not numpy.allclose(getattr(x, method)(dim=0).numpy(), getattr(x, method)().numpy())


CALLS_WITHOUT_DEGREES_OF_FREEDOM = {
    "var of an empty axis": lambda x: x.reshape(0, 3).var(0),
    "std of an empty axis": lambda x: x.reshape(0, 3).std(1),
    "var of nothing": lambda x: x.reshape(0, 3).var(),
    "var of one": lambda x: x.reshape(-1)[:1].var(),
    "correction past the count": lambda x: x.reshape(-1)[:2].var(correction=3),
    "std correction past the count": lambda x: x.reshape(-1)[:2].std(correction=2),
    "logsumexp over an empty axis": lambda x: x.reshape(0, 3).logsumexp(0),
    "logsumexp over an empty axis keepdim": lambda x: x.reshape(3, 0).logsumexp(1, keepdim=True),
    "logsumexp of no rows": lambda x: x.reshape(0, 3).logsumexp(1),
    "softmax over an empty axis": lambda x: x.reshape(0, 3).softmax(0),
    "log_softmax of no rows": lambda x: x.reshape(0, 3).log_softmax(1),
}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", CALLS_WITHOUT_DEGREES_OF_FREEDOM)
def test_empty_axes_and_no_degrees_of_freedom_give_pytorchs_values(torch, name):
    call = CALLS_WITHOUT_DEGREES_OF_FREEDOM[name]
    size = 0 if "empty" in name or "nothing" in name or "no rows" in name else 6
    ours, theirs = Tensor(numpy.arange(float(size)), requires_grad=True), torch.arange(float(size), requires_grad=True)
    result, expected = call(ours), call(theirs)
    assert result.shape == tuple(expected.shape)
    numpy.testing.assert_array_equal(result.detach().numpy(), expected.detach().numpy().astype("float32"))
    if result.numel():
        return
    result.sum().backward()  # an empty result still backpropagates, as in PyTorch
    assert ours.grad.shape == (0,)
