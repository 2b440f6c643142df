"""The LKJ distribution of Lewandowski, Kurowicka and Joe (2009) over the Cholesky factors
of correlation matrices: PyTorch's ``LKJCholesky(dim, concentration=1.0)``. The
correlation matrices C = L Lᵀ have density ∝ det(C)^(η − 1), which for the D × D factor L
is, with Lᵢᵢ its diagonal,

    log p(L) = Σᵢ₌₂…D (2(η − 1) + D − i) log Lᵢᵢ − log Z
    log Z    = ½(D − 1) log π + log Γ_{D−1}(α − ½) − (D − 1) log Γ(α),   α = η + (D − 1)/2

Γ_p the multivariate gamma function. Samples are drawn by the onion method: row i of L is
√yᵢ·uᵢ on the first i − 1 columns and √(1 − yᵢ) on the diagonal, for uᵢ uniform on the unit
sphere of those columns and yᵢ ~ Beta((i − 1)/2, η + (D − 2)/2 − (i − 2)/2) (i ≥ 2; row 1 is e₁).
Every correlation Cᵢⱼ of a sample is then 2·Beta(b, b) − 1, b = η − 1 + D/2.
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn import ops
from tinygrad_bn.autograd import no_grad
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.beta import Beta
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import standard_normal
from tinygrad_bn.distributions.utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJ distributions over the ``dim`` × ``dim`` Cholesky factors of correlation matrices,
    of ``concentration`` η: uniform over correlation matrices for η = 1, peaked at the
    identity for η > 1. Samples are not reparameterized.

    PyTorch 2.13 draws yᵢ ~ Beta(i − 3/2, ...) for rows i ≥ 3, so that for D ≥ 3 its samples
    do not follow the LKJ law (their later correlations are too spread); these do.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.LKJCholesky(3, torch.tensor([1.0, 4.0]))
    >>> L = d.sample()
    >>> d.batch_shape, d.event_shape, L.shape, bool(d.support.check(L).all())
    ((2,), (3, 3), (2, 3, 3), True)
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        self._beta = self._marginals(self.concentration)
        super().__init__(self.concentration.shape, (dim, dim), validate_args=validate_args)

    def _marginals(self, eta):
        """The Beta distributions of the squared lengths yᵢ of the rows' off-diagonal parts,
        one per row (row 1's is a placeholder: its length is 0)."""
        # offsets 0, 0, 1, …, D − 2: row i ≥ 2 has offset i − 2, and yᵢ ~ Beta((i − 1)/2, η + (D − 2 − offset)/2)
        offset = ops.arange(self.dim - 1, dtype=eta.dtype, device=eta.device).pad(((1, 0),), value=0.0)
        marginal = eta + 0.5 * (self.dim - 2)
        return Beta(0.5 * offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)

    def _expanded_state(self, batch_shape):
        concentration = self.concentration.broadcast_to(batch_shape)
        return {"dim": self.dim, "concentration": concentration,
                "_beta": self._beta.expand(tuple(batch_shape) + (self.dim,))}

    def sample(self, sample_shape=()):
        with no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u = standard_normal(self._extended_shape(sample_shape), y).tril(-1)
            norm = u.square().sum(-1, keepdim=True).sqrt()
            u_sphere = u / ops.where(norm == 0, 1.0, norm)  # row 1 has no off-diagonal part
            w = y.sqrt() * u_sphere
            tiny = float(numpy.finfo(w.dtype).tiny)
            diagonal = (1 - w.square().sum(-1)).clamp(min=tiny).sqrt()
            return w + diagonal.diag_embed()

    def log_prob(self, value):
        self._validate_sample(value)
        eta, D = self.concentration, self.dim
        log_diagonal = value.diagonal(dim1=-2, dim2=-1)[..., 1:].log()
        # 2(η − 1) + D − i for i = 2 … D
        rows = ops.arange(2, D + 1, dtype=eta.dtype, device=eta.device)
        order = 2 * (eta - 1).unsqueeze(-1) + D - rows
        alpha = eta + 0.5 * (D - 1)
        log_normalizer = 0.5 * (D - 1) * math.log(math.pi) + (alpha - 0.5).mvlgamma(D - 1) - (D - 1) * alpha.lgamma()
        return (order * log_diagonal).sum(-1) - log_normalizer
