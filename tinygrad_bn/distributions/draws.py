"""Where samples come from: the library's one seeded generator, the one
:func:`tinygrad_bn.manual_seed` seeds, through ``ops.randn`` and ``ops.rand``, which draw
on the host and place the numbers on the parameters' device. Everything after the draw
is ops on tensors, so no device array ever reaches NumPy.

Gamma(α, 1) samples by Marsaglia and Tsang's rejection method (2000): with d = α − 1/3
and c = 1/√(9d), a normal x and a uniform u give d·v, v = (1 + cx)³, accepted when
v > 0 and log u < x²/2 + d − dv + d·log v (more than 95% of the time for α ≥ 1); for
α < 1, a Gamma(α + 1) sample times u^(1/α) is a Gamma(α) sample.

The normals, uniforms, exponentials and Cauchy samples are PyTorch's for the same seed;
the Gamma samples are not.
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.distributions.incomplete_gamma import ImplicitGammaSample


def standard_normal(shape: tuple, like: Tensor) -> Tensor:
    """N(0, 1) samples of ``shape`` in the dtype and on the device of ``like``."""
    return ops.randn(shape, dtype=like.dtype, device=like.device)


def uniform(shape: tuple, like: Tensor) -> Tensor:
    """Uniform samples of ``shape`` in [ε, 1 − ε] (ε the machine epsilon of ``like``'s
    dtype), in the dtype and on the device of ``like``: strictly inside (0, 1), so the
    logs and inverse CDFs that turn them into samples stay finite (a float64 draw cast
    to float32 may otherwise round to 1).

    >>> from tinygrad_bn import manual_seed, zeros
    >>> generator = manual_seed(0)
    >>> u = uniform((1000,), zeros((), dtype="float32"))
    >>> u.dtype, 0.0 < u.min().item(), u.max().item() < 1.0
    (dtype('float32'), True, True)
    """
    eps = float(numpy.finfo(like.dtype).eps)
    return ops.rand(shape, dtype=like.dtype, device=like.device).clamp(eps, 1.0 - eps)


def standard_exponential(shape: tuple, like: Tensor) -> Tensor:
    """Exp(1) samples of ``shape``, drawn by ``exponential_`` as PyTorch's ``Exponential``
    draws them (so its numbers for the same seed), in the dtype and on the device of ``like``."""
    return ops.zeros(shape, dtype=like.dtype, device=like.device).exponential_()


def standard_cauchy(shape: tuple, like: Tensor) -> Tensor:
    """Cauchy(0, 1) samples of ``shape``, drawn by ``cauchy_`` as PyTorch's ``Cauchy`` draws
    them, in the dtype and on the device of ``like``."""
    return ops.zeros(shape, dtype=like.dtype, device=like.device).cauchy_()


def standard_gamma(concentration: Tensor, shape: tuple) -> Tensor:
    """Gamma(α, 1) samples of ``shape`` for the concentrations α (broadcast to it), in
    their dtype and on their device, differentiable in α by the implicit gradient
    (see :mod:`~tinygrad_bn.distributions.incomplete_gamma`). Held at least at the
    dtype's smallest normal number, so that their logs stay finite.

    >>> from tinygrad_bn import manual_seed, tensor
    >>> generator = manual_seed(0)
    >>> z = standard_gamma(tensor([0.1, 1.0, 50.0]), (4000, 3))
    >>> [round(m) for m in z.mean(0).tolist()], bool((z > 0).all())
    ([0, 1, 50], True)
    """
    alpha = concentration.broadcast_to(shape)
    with no_grad():
        z = _marsaglia_tsang(alpha.detach().astype("float64"))
        z = z.clamp(min=float(numpy.finfo(alpha.dtype).tiny)).astype(alpha.dtype)
    return ImplicitGammaSample.apply(alpha, z)


def _marsaglia_tsang(alpha: Tensor) -> Tensor:
    """Gamma(α, 1) samples of float64 concentrations α (NaN where α is not positive)."""
    boosted = alpha < 1
    d = ops.where(boosted, alpha + 1, alpha) - 1 / 3
    c = 1 / (9 * d).sqrt()
    z = ops.zeros_like(alpha)
    pending = alpha > 0
    while bool(pending.any()):
        x, u = standard_normal(alpha.shape, alpha), uniform(alpha.shape, alpha)
        v = (1 + c * x) ** 3
        # log u < x²/2 + d − dv + d·log v, v > 0
        log_v = v.clamp(min=float(numpy.finfo("float64").tiny)).log()
        accept = pending & (v > 0) & (u.log() < 0.5 * x.square() + d - d * v + d * log_v)
        z = ops.where(accept, d * v, z)
        pending = pending & ~accept
    # Gamma(α) = Gamma(α + 1)·u^(1/α)
    boost = (uniform(alpha.shape, alpha).log() / alpha).exp()
    z = ops.where(boosted, z * boost, z)
    return ops.where(alpha > 0, z, math.nan)
