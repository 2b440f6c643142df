"""The multivariate normal distribution with a covariance of low rank plus a diagonal:
PyTorch's ``LowRankMultivariateNormal(loc, cov_factor, cov_diag)``,

    Σ = W Wᵀ + D,   W of n × r (``cov_factor``), D = diag(d) (``cov_diag``)

Nothing n × n is factored: with the r × r capacitance C = I + Wᵀ D⁻¹ W and its Cholesky
factor L_C (C = L_C L_Cᵀ), the matrix determinant lemma and the Woodbury identity give

    log det Σ = log det C + Σᵢ log dᵢ = 2 Σⱼ log L_C,ⱼⱼ + Σᵢ log dᵢ
    Σ⁻¹       = D⁻¹ − Aᵀ A,   A = L_C⁻¹ Wᵀ D⁻¹ (r × n)

so that tr(Xᵀ Σ⁻¹ X) = ‖D^(−½) X‖² − ‖A X‖² for any X of n rows (a vector x − μ for
the Mahalanobis distance M(x)), and

    log p(x) = −½ (n log 2π + log det Σ + M(x))
    H        = ½ (n (1 + log 2π) + log det Σ)
    mean = mode = μ,   variance Σᵢᵢ = Σₖ Wᵢₖ² + dᵢ

Samples are reparameterized, x = μ + W ε_W + √d ⊙ ε_D with ε_W ~ N(0, I_r), ε_D ~ N(0, I_n).
"""

from __future__ import annotations

import math

from tinygrad_bn import linalg, ops
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import standard_normal
from tinygrad_bn.distributions.multivariate_normal import solve_lower
from tinygrad_bn.distributions.utils import lazy_property
from tinygrad_bn.ops.promotion import broadcast_shapes


class LowRankMultivariateNormal(Distribution):
    """Normal distributions over vectors of n numbers, of means ``loc`` (..., n) and
    covariance ``cov_factor`` W (..., n, r) times its transpose plus the diagonal
    ``cov_diag`` (..., n); the leading axes of the three broadcast to the batch.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.LowRankMultivariateNormal(torch.zeros(2), torch.tensor([[1.0], [1.0]]),
    ...                                                   torch.ones(2))
    >>> d.covariance_matrix.tolist(), d.event_shape, d.sample((5,)).shape
    ([[2.0, 1.0], [1.0, 2.0]], (2,), (5, 2))
    >>> round(d.log_prob(torch.zeros(2)).item(), 6)  # −log 2π − ½ log det Σ, det Σ = 3
    -2.387183
    """

    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        for name, value in (("loc", loc), ("cov_factor", cov_factor), ("cov_diag", cov_diag)):
            if not isinstance(value, Tensor):
                raise TypeError(f"LowRankMultivariateNormal expects {name} as a Tensor, got {type(value).__name__}")
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        n = loc.shape[-1]
        if cov_factor.ndim < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if cov_factor.shape[-2] != n:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {n} x m")
        if cov_diag.ndim < 1 or cov_diag.shape[-1] != n:
            raise ValueError(f"cov_diag must be a batch of vectors with shape torch.Size([{n}])")
        batch_shape = _broadcast_batches(loc.shape[:-1], cov_factor.shape[:-2], cov_diag.shape[:-1])
        if batch_shape is None:
            raise ValueError(f"Incompatible batch shapes: loc torch.Size({list(loc.shape)}), cov_factor "
                             f"torch.Size({list(cov_factor.shape)}), cov_diag torch.Size({list(cov_diag.shape)})")
        self.loc = loc.broadcast_to(batch_shape + (n,))
        self.cov_factor = cov_factor.broadcast_to(batch_shape + cov_factor.shape[-2:])
        self.cov_diag = cov_diag.broadcast_to(batch_shape + (n,))
        self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag = cov_factor, cov_diag
        super().__init__(batch_shape, (n,), validate_args=validate_args)

    def _expanded_state(self, batch_shape):
        kept = ("_unbroadcasted_cov_factor", "_unbroadcasted_cov_diag")
        return {**super()._expanded_state(batch_shape), **{name: self.__dict__[name] for name in kept}}

    def _matrix(self, matrix):
        """An n × n matrix of the distribution broadcast to ``batch_shape + (n, n)``."""
        n = self.event_shape[0]
        return matrix.broadcast_to(self.batch_shape + (n, n))

    @lazy_property
    def _capacitance_tril(self):
        """L_C, the Cholesky factor of C = I + Wᵀ D⁻¹ W."""
        W, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        rank = W.shape[-1]
        capacitance = (W.swapaxes(-1, -2) / d.unsqueeze(-2)) @ W + ops.eye(rank, dtype=W.dtype, device=W.device)
        return linalg.cholesky(capacitance)

    @lazy_property
    def _woodbury_factor(self):
        """A = L_C⁻¹ Wᵀ D⁻¹, with Σ⁻¹ = D⁻¹ − Aᵀ A."""
        W, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return solve_lower(self._capacitance_tril, W.swapaxes(-1, -2) / d.unsqueeze(-2))

    @property
    def _half_log_det(self):
        """½ log det Σ = Σⱼ log L_C,ⱼⱼ + ½ Σᵢ log dᵢ."""
        L_C = self._capacitance_tril
        return L_C.diagonal(dim1=-2, dim2=-1).log().sum(-1) + 0.5 * self._unbroadcasted_cov_diag.log().sum(-1)

    def _inverse_quadratic(self, X):
        """tr(Xᵀ Σ⁻¹ X) = ‖D^(−½) X‖² − ‖A X‖² for X of shape (..., n, k)."""
        d = self._unbroadcasted_cov_diag
        return (X.square() / d.unsqueeze(-1)).sum((-2, -1)) - (self._woodbury_factor @ X).square().sum((-2, -1))

    @property
    def _covariance_root(self):
        """S = [W, √D], n × (r + n), with S Sᵀ = Σ."""
        W, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        batch = broadcast_shapes(W.shape[:-2], d.shape[:-1])
        root_D = d.sqrt().diag_embed()
        return ops.cat([W.broadcast_to(batch + W.shape[-2:]), root_D.broadcast_to(batch + root_D.shape[-2:])], -1)

    @lazy_property
    def covariance_matrix(self):
        W = self._unbroadcasted_cov_factor
        return self._matrix(W @ W.swapaxes(-1, -2) + self._unbroadcasted_cov_diag.diag_embed())

    @lazy_property
    def precision_matrix(self):
        A = self._woodbury_factor
        return self._matrix(self._unbroadcasted_cov_diag.reciprocal().diag_embed() - A.swapaxes(-1, -2) @ A)

    @lazy_property
    def scale_tril(self):
        # Σ = D^(½) (I + D^(−½) W Wᵀ D^(−½)) D^(½), so L = D^(½)·cholesky(I + V Vᵀ), V = D^(−½) W
        W, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        root_d = d.sqrt().unsqueeze(-1)
        V = W / root_d
        n = self.event_shape[0]
        identity = ops.eye(n, dtype=W.dtype, device=W.device)
        return self._matrix(root_d * linalg.cholesky(V @ V.swapaxes(-1, -2) + identity))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        variance = self._unbroadcasted_cov_factor.square().sum(-1) + self._unbroadcasted_cov_diag
        return variance.broadcast_to(self.batch_shape + self.event_shape)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        W = self._unbroadcasted_cov_factor
        epsilon_W = standard_normal(shape[:-1] + W.shape[-1:], self.loc)
        epsilon_D = standard_normal(shape, self.loc)
        # x = μ + W ε_W + √d ⊙ ε_D
        return self.loc + (W @ epsilon_W.unsqueeze(-1)).squeeze(-1) + self._unbroadcasted_cov_diag.sqrt() * epsilon_D

    def log_prob(self, value):
        self._validate_sample(value)
        n = self.event_shape[0]
        mahalanobis = self._inverse_quadratic((value - self.loc).unsqueeze(-1))
        return -0.5 * (n * math.log(2 * math.pi) + mahalanobis) - self._half_log_det

    def entropy(self):
        n = self.event_shape[0]
        entropy = 0.5 * n * (1 + math.log(2 * math.pi)) + self._half_log_det
        return entropy.broadcast_to(self.batch_shape)


def _broadcast_batches(*shapes):
    """The broadcast of the batch shapes, or None when they do not broadcast."""
    result = ()
    for shape in shapes:
        result = broadcast_shapes(result, shape)
        if result is None:
            return None
    return result
