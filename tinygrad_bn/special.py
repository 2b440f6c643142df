"""PyTorch's ``torch.special``: the special functions under SciPy's names, each the op of
the same math in :mod:`tinygrad_bn.ops` (so each has the op's gradients of every order).

>>> import tinygrad_bn as torch
>>> x = torch.tensor([0.0, 1.0], dtype=torch.float64)
>>> torch.special.expit(x).tolist(), f"{torch.special.ndtr(x)[1].item():.12f}"
([0.5, 0.7310585786300049], '0.841344746069')
>>> torch.special.gammaln(torch.tensor([1.0, 2.0])).tolist(), torch.special.entr(torch.tensor([0.0, 1.0])).tolist()
([0.0, 0.0], [0.0, -0.0])
>>> f"{torch.special.zeta(x + 2.0, 1.0)[0].item():.12f}", f"{torch.special.gammaincc(x + 1.0, x + 1.0)[0].item():.12f}"
('1.644934066848', '0.367879441171')
"""

# ruff: noqa: A002 - PyTorch's argument names (input)

from __future__ import annotations

import math

from tinygrad_bn.ops import (
    digamma,
    erf,
    erfinv,
    exp2,
    expm1,
    lgamma,
    log1p,
    logit,
    polygamma,
    sigmoid,
    sinc,
    xlogy,
)
from tinygrad_bn.ops import logsumexp as _logsumexp
from tinygrad_bn.ops import round as _round
from tinygrad_bn.ops.airy import airy_ai
from tinygrad_bn.ops.bessel import i0, i0e, i1, i1e, modified_bessel_i0, modified_bessel_i1
from tinygrad_bn.ops.bessel_j import bessel_j0, bessel_j1, spherical_bessel_j0
from tinygrad_bn.ops.bessel_k import (
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
)
from tinygrad_bn.ops.bessel_y import bessel_y0, bessel_y1
from tinygrad_bn.ops.entropy import entr, xlog1py
from tinygrad_bn.ops.error_functions import erfc, erfcx, log_ndtr, ndtri
from tinygrad_bn.ops.incomplete_gamma import gammainc, gammaincc
from tinygrad_bn.ops.orthogonal_polynomials import (
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
)
from tinygrad_bn.ops.special import multigammaln
from tinygrad_bn.ops.statistics import log_softmax as _log_softmax
from tinygrad_bn.ops.statistics import softmax as _softmax
from tinygrad_bn.ops.unary import floating
from tinygrad_bn.ops.zeta import zeta

expit = sigmoid
gammaln = lgamma
psi = digamma


def ndtr(input):
    """Φ(x) = erfc(−x/√2)/2, the standard normal CDF, to full relative precision in the left tail."""
    return erfc(-floating(input) * (1.0 / math.sqrt(2.0))) * 0.5


def round(input, *, decimals: int = 0):  # noqa: A001 - PyTorch's name
    """Each element rounded to ``decimals`` places, halves to even (as :func:`tinygrad_bn.round`)."""
    return _round(input, decimals=decimals)


def softmax(input, dim, *, dtype=None):
    """exp(x)/Σ exp(x) along ``dim``, which ``torch.special`` requires."""
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """log softmax(x) along ``dim``, which ``torch.special`` requires."""
    return _log_softmax(input, dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False):
    """log Σ exp(x) over ``dim``."""
    return _logsumexp(input, dim, keepdim)


__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t", "chebyshev_polynomial_u",
    "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2",
    "expit", "expm1", "gammainc", "gammaincc", "gammaln", "hermite_polynomial_h", "hermite_polynomial_he", "i0",
    "i0e", "i1", "i1e", "laguerre_polynomial_l", "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax",
    "logit", "logsumexp", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
    "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "sinc", "softmax", "spherical_bessel_j0",
    "xlog1py", "xlogy", "zeta",
]
