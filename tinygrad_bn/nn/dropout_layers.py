"""The layers of :func:`~.channel_dropout.dropout1d`, :func:`~.channel_dropout.dropout3d`,
:func:`~.alpha_dropout.alpha_dropout` and :func:`~.alpha_dropout.feature_alpha_dropout`:
the function in training mode, the identity in eval mode (p and inplace as :class:`Dropout`'s)."""

from __future__ import annotations

from tinygrad_bn.nn.alpha_dropout import alpha_dropout, feature_alpha_dropout
from tinygrad_bn.nn.channel_dropout import dropout1d, dropout3d
from tinygrad_bn.nn.layers import Dropout


class Dropout1d(Dropout):
    """Channel dropout of (N, C, L) or (C, L) input.

    >>> Dropout1d(0.2)
    Dropout1d(p=0.2, inplace=False)
    """

    def forward(self, x):
        return dropout1d(x, self.p, self.training)


class Dropout3d(Dropout):
    """Channel dropout of (N, C, D, H, W) or (C, D, H, W) input.

    >>> Dropout3d(0.2)
    Dropout3d(p=0.2, inplace=False)
    """

    def forward(self, x):
        return dropout3d(x, self.p, self.training)


class AlphaDropout(Dropout):
    """Alpha dropout, which keeps the mean and variance of SELU activations.

    >>> AlphaDropout(0.1)
    AlphaDropout(p=0.1, inplace=False)
    """

    def forward(self, x):
        return alpha_dropout(x, self.p, self.training)


class FeatureAlphaDropout(Dropout):
    """Alpha dropout of whole channels of (N, C, ...) input.

    >>> FeatureAlphaDropout(0.1)
    FeatureAlphaDropout(p=0.1, inplace=False)
    """

    def forward(self, x):
        return feature_alpha_dropout(x, self.p, self.training)
