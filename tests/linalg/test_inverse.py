"""slogdet, logdet and pinv (tinygrad_bn/linalg/inverse.py), matrix_power and cross
(products.py): values and gradients against PyTorch's, finite differences of first
and second order in float64, and the strict device."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def _linalg(A):
    return tg.linalg if isinstance(A, Tensor) else torch.linalg


def _symmetric(A):
    return (A + A.swapaxes(-1, -2)) / 2


def normal(rng, shape):
    return rng.standard_normal(shape)


def well_conditioned(rng, shape):
    return rng.standard_normal(shape) + shape[-1] * numpy.eye(shape[-1])


CASES = [  # (name, fn for ours and PyTorch's tensors, sampler, shape)
    ("slogdet", lambda A: tuple(_linalg(A).slogdet(A)), normal, (3, 3)),
    ("slogdet", lambda A: tuple(_linalg(A).slogdet(A)), normal, (2, 4, 4)),
    ("slogdet", lambda A: tuple(_linalg(A).slogdet(A)), normal, (1, 1)),
    ("logdet", lambda A: (tg.linalg.logdet(A) if isinstance(A, Tensor) else torch.logdet(A),), well_conditioned,
     (2, 3, 3)),
    ("pinv", lambda A: (_linalg(A).pinv(A),), normal, (3, 3)),
    ("pinv", lambda A: (_linalg(A).pinv(A),), normal, (2, 5, 3)),
    ("pinv", lambda A: (_linalg(A).pinv(A),), normal, (2, 3, 5)),
    ("pinv", lambda A: (_linalg(A).pinv(A),), normal, (1, 4)),
    ("pinv hermitian", lambda A: (_linalg(A).pinv(_symmetric(A), hermitian=True),), normal, (2, 3, 3)),
    ("matrix_power", lambda A: (_linalg(A).matrix_power(A, 5), _linalg(A).matrix_power(A, -2)), well_conditioned,
     (2, 3, 3)),
    ("matrix_power", lambda A: (_linalg(A).matrix_power(A, 2), _linalg(A).matrix_power(A, 0)), normal, (1, 1)),
    ("cross", lambda A: (_linalg(A).cross(A[..., :1, :], A[..., 1:, :]),), normal, (2, 3, 3)),
]
IDS = [f"{name}-{shape}".replace(" ", "_") for name, _, _, shape in CASES]
TOLERANCE = {"float32": {"rtol": 2e-4, "atol": 1e-5}, "float64": {"rtol": 1e-10, "atol": 1e-12}}


def _input(sample, shape, dtype="float64", device=None):
    return Tensor(sample(numpy.random.default_rng(0), shape).astype(dtype), requires_grad=True, device=device)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, fn, sample, shape", CASES, ids=IDS)
def test_values_and_gradients_match_pytorch(name, fn, sample, shape, dtype):
    A = _input(sample, shape, dtype)
    expected_A = torch.tensor(A.numpy(), requires_grad=True)
    outputs, expected = fn(A), fn(expected_A)
    upstream = [numpy.random.default_rng(1).standard_normal(out.shape).astype(dtype) for out in outputs]
    for out, reference in zip(outputs, expected, strict=True):
        assert out.dtype == dtype
        numpy.testing.assert_allclose(out.numpy(), reference.detach().numpy(), **TOLERANCE[dtype])
    (dA,) = grad(sum((out * Tensor(u)).sum() for out, u in zip(outputs, upstream, strict=True)), [A])
    expected_loss = sum((out * torch.tensor(u)).sum() for out, u in zip(expected, upstream, strict=True)
                        if out.requires_grad)
    (expected_dA,) = torch.autograd.grad(expected_loss, [expected_A])
    scale = max(1.0, float(numpy.abs(expected_dA.numpy()).max()))
    numpy.testing.assert_allclose(dA.numpy(), expected_dA.numpy(), rtol=10 * TOLERANCE[dtype]["rtol"],
                                  atol=10 * TOLERANCE[dtype]["atol"] * scale)


@pytest.mark.parametrize("name, fn, sample, shape", CASES, ids=IDS)
def test_first_and_second_derivatives_match_finite_differences(name, fn, sample, shape):
    A = _input(sample, shape)
    assert gradcheck(fn, A, atol=1e-6, rtol=1e-5)
    assert gradgradcheck(fn, A, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name, fn, sample, shape", CASES, ids=IDS)
def test_on_the_strict_device_as_on_the_cpu(name, fn, sample, shape, strict_cuda):
    results = {}
    for device in ("cpu", "cuda"):
        A = _input(sample, shape, device=device)
        outputs = fn(A)
        (dA,) = grad(sum(out.sum() for out in outputs if out.requires_grad), [A], create_graph=True)
        (second,) = grad((dA * dA).sum(), [A])
        results[device] = [t.numpy() for t in (*outputs, dA, second)]
    for on_device, on_cpu in zip(results["cuda"], results["cpu"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


def test_slogdet_where_det_overflows_and_logdet_where_it_is_negative_or_zero():
    sign, logabsdet = tg.linalg.slogdet(Tensor(numpy.diag([1e200, -1e200, 1e200])))
    assert sign.item() == -1.0 and logabsdet.item() == pytest.approx(600 * numpy.log(10))
    assert not sign.requires_grad
    values = tg.linalg.logdet(Tensor(numpy.stack([numpy.diag([-1.0, 2.0]), numpy.diag([0.0, 2.0])]))).tolist()
    assert numpy.isnan(values[0]) and values[1] == -numpy.inf


def test_pinv_drops_singular_values_below_the_tolerances():
    A = Tensor(numpy.diag([4.0, 1e-3, 0.0]))
    assert tg.linalg.pinv(A).diagonal().tolist() == [0.25, 1000.0, 0.0]
    assert tg.linalg.pinv(A, rtol=1e-2).diagonal().tolist() == [0.25, 0.0, 0.0]
    assert tg.linalg.pinv(A, atol=0.5).diagonal().tolist() == [0.25, 0.0, 0.0]
    assert tg.linalg.pinv(A, atol=0.5, rtol=1e-4).diagonal().tolist() == [0.25, 0.0, 0.0]  # the larger of the two


def test_matrix_power_of_integers_and_its_errors():
    A = tg.tensor([[1, 1], [0, 1]])
    assert tg.linalg.matrix_power(A, 4).tolist() == [[1, 4], [0, 1]]
    assert tg.linalg.matrix_power(A, 0).tolist() == [[1, 0], [0, 1]]
    with pytest.raises(tg.errors.DtypeError, match="float32 or float64"):
        tg.linalg.matrix_power(A, -1)
    with pytest.raises(ValueError, match="integer power"):
        tg.linalg.matrix_power(A.double(), 0.5)
