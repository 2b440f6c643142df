"""The chi-squared distribution of k degrees of freedom: PyTorch's ``Chi2(df)``, a
Gamma(k/2, 1/2).

    log p(x) = (k/2 − 1) log x − x/2 − (k/2) log 2 − log Γ(k/2)
    mean k,  variance 2k
"""

from __future__ import annotations

from tinygrad_bn.distributions import constraints
from tinygrad_bn.distributions.gamma import Gamma
from tinygrad_bn.distributions.utils import broadcast_all


class Chi2(Gamma):
    """Chi-squared distributions of ``df`` degrees of freedom, the Gammas of
    concentration df/2 and rate 1/2 (whose attributes they keep); samples are
    reparameterized.

    >>> import tinygrad_bn as torch
    >>> d = torch.distributions.Chi2(torch.tensor([2.0, 4.0]))
    >>> d.mean.tolist(), d.variance.tolist(), d
    ([2.0, 4.0], [4.0, 8.0], Chi2())
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    @property
    def df(self):
        return self.concentration * 2

    def _validated_parameters(self):
        return {"df": self.df}

    def _expanded_state(self, batch_shape):
        return {"concentration": self.concentration.broadcast_to(batch_shape),
                "rate": self.rate.broadcast_to(batch_shape)}
