"""PyTorch's ``cov`` and ``corrcoef``: the covariance and correlation matrices of the
variables in the rows of a (variables, observations) tensor, composed of the
differentiable ops, so their gradients come from those.

    w = fweights · aweights (1 each by default),   μ = Σ_k w_k x_k / Σ w
    cov = (x − μ) diag(w) (x − μ)ᵀ / (Σ w − correction · Σ w·a / Σ w)

where the last fraction is Σ w·a / Σ w = 1 without aweights.
"""

from __future__ import annotations

import warnings

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import DtypeError, ShapeError


def cov(input, *, correction: int = 1, fweights=None, aweights=None):  # noqa: A002 - PyTorch's argument name
    """The covariance of the variables in the rows of ``input`` (a 1-d tensor is one
    variable, whose variance is a 0-d result); ``fweights`` count each observation (integers),
    ``aweights`` weigh it.

    >>> from tinygrad_bn import tensor
    >>> x = tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
    >>> x.cov().tolist(), round(x[0].cov(correction=0).item(), 4)  # the rows move opposite ways; 2/3
    ([[1.0, -1.0], [-1.0, 1.0]], 0.6667)
    """
    if input.ndim > 2:
        raise ShapeError(f"cov expects a tensor of at most 2 dims (variables, observations), got shape {input.shape}")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if x.dtype.kind not in "fc":
        x = x.float()
    observations = x.shape[1]
    frequencies, importances = _weights(fweights, aweights, observations)
    weights = frequencies  # w = fweights · aweights
    if importances is not None:
        weights = importances if weights is None else weights * importances
    if weights is None:
        mean = x.mean(1, keepdim=True)
        norm = observations - correction
    else:
        total = weights.sum()
        mean = (x * weights).sum(1, keepdim=True) / total
        spread = 1.0 if importances is None else (weights * importances).sum() / total  # Σ w·a / Σ w
        norm = total - correction * spread
    centered = x - mean
    weighted = centered if weights is None else centered * weights
    covariance = (centered @ weighted.transpose(0, 1)) / (norm if _positive(norm) else 0.0)
    return covariance.reshape(()) if input.ndim < 2 else covariance


def corrcoef(input):  # noqa: A002 - PyTorch's argument name
    """Pearson's correlation of the variables in the rows of ``input``: cov / √(σᵢ² σⱼ²),
    held within [−1, 1] against rounding.

    >>> from tinygrad_bn import tensor
    >>> tensor([[0.0, 1.0, 2.0], [1.0, 3.0, 5.0]]).corrcoef().tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    covariance = cov(input)
    if covariance.ndim == 0:
        return covariance / covariance
    deviation = covariance.diagonal().sqrt()
    return (covariance / deviation.reshape(-1, 1) / deviation.reshape(1, -1)).clamp(-1.0, 1.0)


def _weights(fweights, aweights, observations: int) -> tuple:
    """``fweights`` and ``aweights``, each checked (None where not given)."""
    if fweights is not None and fweights.dtype.kind not in "iu":
        raise DtypeError(f"cov expects integer fweights, got dtype {fweights.dtype}")
    if aweights is not None and aweights.dtype.kind != "f":
        raise DtypeError(f"cov expects floating aweights, got dtype {aweights.dtype}")
    return tuple(None if given is None else _observation_weights(given, name, observations)
                 for given, name in ((fweights, "fweights"), (aweights, "aweights")))


def _observation_weights(weights: Tensor, name: str, observations: int) -> Tensor:
    """``weights``, checked to be one non-negative weight per observation (they promote
    with x's dtype, as in PyTorch: float64 aweights make a float64 covariance)."""
    if weights.ndim > 1 or weights.numel() != observations:
        raise ShapeError(f"cov expects {name} of shape ({observations},), one per observation, got {weights.shape}")
    if bool((weights._data < 0).any()):
        raise RuntimeError(f"cov expects non-negative {name}, got a negative one")
    return weights


def _positive(norm) -> bool:
    """Whether the normalizer is > 0; if not, a warning, and the covariance is ±inf or
    NaN, as in PyTorch."""
    if float(norm.item() if isinstance(norm, Tensor) else norm) > 0:
        return True
    warnings.warn("cov: the degrees of freedom are <= 0; the correction must be less than the number of "
                  "observations (or their total weight)", UserWarning, stacklevel=3)
    return False
