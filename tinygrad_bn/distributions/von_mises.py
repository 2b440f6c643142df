"""The von Mises distribution of angles around μ with concentration κ: PyTorch's
``VonMises(loc, concentration)``. Angles are read modulo 2π (``loc`` and values may
be any real numbers); mean and variance are the circular ones:

    log p(x) = κ cos(x − μ) − log 2π − log I₀(κ)
    mean = mode = μ,   variance 1 − I₁(κ)/I₀(κ)

I₀ and I₁, the modified Bessel functions of the first kind, are the polynomial
approximations of Abramowitz and Stegun 9.8.1–9.8.4 (relative error below 2.2e-7), as
in PyTorch, so that the values agree with its own. Samples come from Best and Fisher's
rejection method (1979): with τ = 1 + √(1 + 4κ²), ρ = (τ − √(2τ))/(2κ) and
r = (1 + ρ²)/(2ρ), uniforms u₁, u₂, u₃ give z = cos πu₁, f = (1 + rz)/(r + z) and
c = κ(r − f); accepted when c(2 − c) > u₂ or log(c/u₂) + 1 ≥ c, the angle is
sign(u₃ − ½)·arccos f from μ, wrapped into [−π, π).
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.autograd import no_grad
from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.draws import uniform
from tinygrad_bn.distributions.utils import broadcast_all

# the coefficients of t = (x/3.75)² for x < 3.75 (I₀(x), and I₁(x)/x), then of t = 3.75/x (√x e⁻ˣ Iₙ(x))
SMALL = {0: (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813),
         1: (0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411)}
LARGE = {0: (0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537, -0.01647633,
             0.00392377),
         1: (0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967, -0.02895312, 0.01787654,
             -0.00420059)}
SPLIT = 3.75


def _polynomial(t, coefficients):
    """Σᵢ cᵢ tⁱ by Horner's rule."""
    result = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        result = c + t * result
    return result


def log_modified_bessel(x, order: int):
    """log Iₙ(x) for x > 0 and n = 0 or 1, each branch evaluated on the side of 3.75 it serves."""
    small = x.clamp(max=SPLIT)
    log_small = _polynomial((small / SPLIT).square(), SMALL[order]).log()
    if order == 1:
        log_small = log_small + small.log()  # I₁(x) = x·(I₁(x)/x)
    large = x.clamp(min=SPLIT)
    # log Iₙ(x) = x − ½ log x + log(√x e⁻ˣ Iₙ(x))
    log_large = large - 0.5 * large.log() + _polynomial(SPLIT / large, LARGE[order]).log()
    return ops.where(x < SPLIT, log_small, log_large)


class VonMises(Distribution):
    """Von Mises distributions of ``loc`` μ (an angle in radians) and ``concentration``
    κ > 0; samples are angles in [−π, π), drawn outside the graph (no ``rsample``) in
    float64 and returned in the parameters' dtype.

    >>> import math
    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.VonMises(torch.tensor(0.5), torch.tensor(2.0))
    >>> d.mean.item(), round(d.variance.item(), 4)  # 1 − I₁(2)/I₀(2)
    (0.5, 0.3022)
    >>> math.isclose(d.log_prob(torch.tensor(0.5)).item(), d.log_prob(torch.tensor(0.5 + 2 * math.pi)).item())
    True
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        kappa = self.concentration
        return 1 - (log_modified_bessel(kappa, 1) - log_modified_bessel(kappa, 0)).exp()

    def log_prob(self, value):
        self._validate_sample(value)
        kappa = self.concentration
        return kappa * (value - self.loc).cos() - math.log(2 * math.pi) - log_modified_bessel(kappa, 0)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            loc = self.loc.detach().astype("float64").broadcast_to(shape)
            kappa = self.concentration.detach().astype("float64").broadcast_to(shape)
            angle = _best_fisher(kappa)
            return ((angle + loc + math.pi) % (2 * math.pi) - math.pi).astype(self.loc.dtype)


def _best_fisher(kappa):
    """Angles from 0 of von Mises samples of concentrations κ (float64, one per sample)."""
    tau = 1 + (1 + 4 * kappa.square()).sqrt()
    rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
    # r = (1 + ρ²)/(2ρ), which tends to 1/κ + κ as κ → 0, where τ − √(2τ) loses every digit
    r = ops.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho.square()) / (2 * rho))
    angle = ops.zeros_like(kappa)
    pending = ops.ones_like(kappa).astype("bool")
    while bool(pending.any()):
        u1, u2, u3 = (uniform(kappa.shape, kappa) for _ in range(3))
        z = (math.pi * u1).cos()
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        accept = pending & ((c * (2 - c) > u2) | ((c / u2).log() + 1 >= c))
        angle = ops.where(accept, (u3 - 0.5).sign() * f.acos(), angle)
        pending = pending & ~accept
    return angle
