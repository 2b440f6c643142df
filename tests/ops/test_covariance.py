"""cov and corrcoef: PyTorch's values and gradients with frequency and analytic
weights, its warning when the degrees of freedom run out, and its errors."""

import numpy
import pytest

import tinygrad_bn as tg

rng = numpy.random.default_rng(0)
X = rng.standard_normal((3, 7))
FREQUENCIES = numpy.array([1, 2, 0, 3, 1, 1, 4])
IMPORTANCES = rng.uniform(0.1, 2.0, 7)

CALLS = {
    "fweights": lambda f, x: f.cov(x, fweights=f.tensor(FREQUENCIES)),
    "aweights": lambda f, x: f.cov(x, aweights=f.tensor(IMPORTANCES)),
    "both, correction 0": lambda f, x: f.cov(x, correction=0, fweights=f.tensor(FREQUENCIES),
                                             aweights=f.tensor(IMPORTANCES)),
    "both, correction 2": lambda f, x: x.cov(correction=2, fweights=f.tensor(FREQUENCIES),
                                             aweights=f.tensor(IMPORTANCES)),
    "one row": lambda f, x: f.cov(x[1]),
    "integers": lambda f, x: f.cov(f.tensor([[1, 2, 4], [0, 3, 3]])),
    "corrcoef": lambda f, x: f.corrcoef(x),
    "corrcoef one row": lambda f, x: x[0].corrcoef(),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", CALLS)
def test_values_and_gradients_match_pytorch(torch, name, dtype):
    call, upstream = CALLS[name], None
    ours_x, theirs_x = tg.tensor(X.astype(dtype), requires_grad=True), torch.tensor(X.astype(dtype), requires_grad=True)
    ours, theirs = call(tg, ours_x), call(torch, theirs_x)
    assert ours.dtype == str(theirs.dtype).removeprefix("torch.") and ours.shape == tuple(theirs.shape)
    tolerance = 1e-5 if ours.dtype == "float32" else 1e-12
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=tolerance, atol=tolerance)
    if ours.requires_grad:
        upstream = rng.standard_normal(tuple(theirs.shape)).astype(dtype)
        ours.backward(tg.tensor(upstream))
        theirs.backward(torch.tensor(upstream))
        numpy.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=tolerance, atol=tolerance)


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_no_degrees_of_freedom_warns_and_gives_inf_as_pytorch(torch):
    with pytest.warns(UserWarning, match="degrees of freedom are <= 0"):
        ours = tg.tensor([[1.0, 2.0]]).cov(correction=2)
    with pytest.warns(UserWarning):
        theirs = torch.tensor([[1.0, 2.0]]).cov(correction=2)
    assert ours.item() == theirs.item() == float("inf")


ERRORS = {
    "3-d": (lambda f: f.zeros(2, 2, 2).cov(), r"at most 2 dims \(variables, observations\), got shape \(2, 2, 2\)"),
    "float fweights": (lambda f: f.zeros(2, 3).cov(fweights=f.ones(3)), "integer fweights, got dtype float32"),
    "integer aweights": (lambda f: f.zeros(2, 3).cov(aweights=f.ones(3, dtype=f.int64)), "floating aweights"),
    "fweights length": (lambda f: f.zeros(2, 3).cov(fweights=f.ones(2, dtype=f.int64)), r"fweights of shape \(3,\)"),
    "negative aweights": (lambda f: f.zeros(2, 3).cov(aweights=-f.ones(3)), "non-negative aweights"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)


def test_runs_on_the_device_as_on_the_cpu(strict_cuda):
    on_device = tg.tensor(X, device="cuda").cov(aweights=tg.tensor(IMPORTANCES, device="cuda"))
    assert on_device.device == "cuda"
    numpy.testing.assert_allclose(on_device.numpy(), tg.tensor(X).cov(aweights=tg.tensor(IMPORTANCES)).numpy(),
                                  rtol=1e-14)
