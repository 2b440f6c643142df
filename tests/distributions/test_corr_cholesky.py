"""CorrCholeskyTransform and the constraint corr_cholesky against PyTorch's in float64:
the map, its inverse and log-Jacobian with gradients, for several sizes and batches; the
log-Jacobian against the determinant of the autograd's Jacobian; shapes, the codomain,
caching, and the errors; and the vector ↔ triangle helpers."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad
from tinygrad_bn.check import gradcheck
from tinygrad_bn.distributions import biject_to, constraints, transform_to, transforms
from tinygrad_bn.distributions.corr_cholesky import tril_matrix_to_vec, vec_to_tril_matrix

RNG = numpy.random.default_rng(21)
SHAPES = {"D = 2": (1,), "D = 3, batched": (2, 3), "D = 4, batched twice": (2, 2, 6), "D = 5": (10,)}


@pytest.mark.parametrize("label", SHAPES)
def test_map_inverse_and_log_jacobian_match_pytorch_with_gradients(torch, label):
    x = RNG.standard_normal(SHAPES[label]) * 1.5
    results = []
    for framework in (tg, torch):
        t = (transforms if framework is tg else framework.distributions.transforms).CorrCholeskyTransform()
        leaf = framework.tensor(x, dtype=framework.float64, requires_grad=True)
        y = t(leaf)
        x_back = t.inv(y)
        ladj = t.log_abs_det_jacobian(leaf, y)
        (y.sum() + (x_back * x_back).sum() + ladj.sum()).backward()
        results.append([y.detach().numpy(), x_back.detach().numpy(), ladj.detach().numpy(), leaf.grad.numpy()])
    for ours, theirs in zip(*results, strict=True):
        assert ours.shape == theirs.shape
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    numpy.testing.assert_allclose(results[0][1], x, rtol=1e-10)


@pytest.mark.parametrize("n", [1, 3, 6])
def test_log_jacobian_is_the_log_determinant_of_the_autograds_jacobian(n):
    """The map x ↦ the strict lower triangle of L is a bijection of ℝⁿ; its Jacobian's log|det|."""
    t = transforms.CorrCholeskyTransform()
    x = Tensor(RNG.standard_normal(n), requires_grad=True)
    y = tril_matrix_to_vec(t(x), diag=-1)
    rows = [grad(y[i], x, retain_graph=True)[0].numpy() for i in range(n)]
    _, expected = numpy.linalg.slogdet(numpy.stack(rows))
    numpy.testing.assert_allclose(t.log_abs_det_jacobian(x, t(x)).item(), expected, rtol=1e-12)


def test_gradients_match_finite_differences():
    t = transforms.CorrCholeskyTransform()
    x = Tensor(RNG.standard_normal((2, 6)), requires_grad=True)
    assert gradcheck(lambda x: t(x), [x])
    assert gradcheck(lambda x: t.log_abs_det_jacobian(x, t(x)), [x])
    y = Tensor(t(x).detach().numpy(), requires_grad=True)
    assert gradcheck(lambda y: t.inv(y), [y])


def test_outputs_are_cholesky_factors_of_correlation_matrices(torch):
    t = transforms.CorrCholeskyTransform()
    L = t(tg.tensor(RNG.standard_normal((5, 10)) * 3))
    assert L.shape == (5, 5, 5) and bool(constraints.corr_cholesky.check(L).all())
    numpy.testing.assert_allclose(numpy.diagonal(L.numpy() @ L.numpy().swapaxes(-1, -2), 0, -2, -1), 1.0, rtol=1e-12)
    # the constraint refuses what PyTorch's refuses: a row too long, a negative diagonal, an upper entry
    bad = numpy.broadcast_to(numpy.eye(3), (3, 3, 3)).copy()
    bad[0, 1, 0] = 0.5
    bad[1, 2, 2] = -1.0
    bad[2, 0, 1] = 1e-3
    ours = constraints.corr_cholesky.check(tg.tensor(bad)).numpy()
    theirs = torch.distributions.constraints.corr_cholesky.check(torch.tensor(bad)).numpy()
    numpy.testing.assert_array_equal(ours, theirs)
    assert not ours.any() and constraints.corr_cholesky.event_dim == 2


def test_properties_shapes_and_registries_match_pytorch(torch):
    ours, theirs = transforms.CorrCholeskyTransform(), torch.distributions.transforms.CorrCholeskyTransform()
    assert ours.bijective and repr(ours) == repr(theirs) == "CorrCholeskyTransform()"
    assert (ours.domain.event_dim, ours.codomain.event_dim) == (theirs.domain.event_dim, theirs.codomain.event_dim)
    assert ours == transforms.CorrCholeskyTransform() and ours != transforms.ExpTransform()
    for shape in [(3,), (4, 6), (2, 1)]:
        assert ours.forward_shape(shape) == tuple(theirs.forward_shape(shape))
        assert ours.inverse_shape(ours.forward_shape(shape)) == shape
    assert type(biject_to(constraints.corr_cholesky)) is type(transform_to(constraints.corr_cholesky)) \
        is transforms.CorrCholeskyTransform


def test_caching_returns_the_same_objects():
    t = transforms.CorrCholeskyTransform(cache_size=1)
    x = tg.tensor(RNG.standard_normal(3))
    y = t(x)
    assert t(x) is y and t.inv(y) is x and t.with_cache(0)._cache_size == 0


@pytest.mark.parametrize("shape", [(), (4,), (2, 5)])
def test_shape_errors_match_pytorch(torch, shape):
    ours, theirs = transforms.CorrCholeskyTransform(), torch.distributions.transforms.CorrCholeskyTransform()
    for method in ("forward_shape", "inverse_shape"):
        with pytest.raises(ValueError) as expected:
            getattr(theirs, method)(shape)
        with pytest.raises(ValueError, match=str(expected.value)):
            getattr(ours, method)(shape)


@pytest.mark.parametrize("n, diag", [(4, -1), (4, 0), (3, -2), (1, 0)])
def test_vector_and_triangle_round_trip_as_pytorchs_helpers(torch, n, diag):
    from torch.distributions.utils import tril_matrix_to_vec as their_to_vec
    from torch.distributions.utils import vec_to_tril_matrix as their_to_matrix

    matrix = RNG.standard_normal((2, n, n))
    vec = tril_matrix_to_vec(tg.tensor(matrix), diag)
    numpy.testing.assert_array_equal(vec.numpy(), their_to_vec(torch.tensor(matrix), diag).numpy())
    numpy.testing.assert_array_equal(vec_to_tril_matrix(vec, diag).numpy(),
                                     their_to_matrix(torch.tensor(vec.numpy()), diag).numpy())
