"""InstanceNorm1d, InstanceNorm2d and InstanceNorm3d: BatchNorm of each sample on its own.

InstanceNorm takes μ and σ² per (sample, channel) pair, over the spatial axes
only. An (N, C, *) input seen as (1, N·C, *) has one BatchNorm channel per pair,
so :func:`instance_norm` is :func:`~tinygrad_bn.batchnorm.batch_norm` of that
view, with γ, β and the running statistics repeated once per sample. The engine
then sums the gradients of the copies of γ and β, and the running statistics
take the mean over the batch of the copies' updates:

(I1) running_mean ← (1 − momentum)·running_mean + momentum·(1/N)·Σₙ μₙ
(I2) running_var  ← (1 − momentum)·running_var  + momentum·(1/N)·Σₙ σ²ₙ·L/(L − 1)

for L spatial elements per pair, as PyTorch keeps them.

>>> from tinygrad_bn import Tensor
>>> y = instance_norm(Tensor([[[1.0, 3.0], [10.0, 30.0]]]))
>>> [[round(v, 4) for v in row] for row in y[0].tolist()]
[[-1.0, 1.0], [-1.0, 1.0]]
"""

from __future__ import annotations

import math
import warnings

from tinygrad_bn.annotations import region
from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.batchnorm import batch_norm
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.batchnorm import RunningStatistics, register_running_stats
from tinygrad_bn.nn.normalization import _check_floating, _check_parameter, _is_positive_int, _Normalization


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,  # noqa: A002 - PyTorch's
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """y = γ·(x − μ)/√(σ² + ε) + β for (N, C, *) input, with μ and σ² taken per sample
    and channel over the spatial axes (``use_input_stats``), or the running ones of
    shape (C,) otherwise; ``weight`` γ and ``bias`` β have shape (C,). Given running
    statistics and ``use_input_stats``, they are updated in place, (I1) and (I2).

    >>> from tinygrad_bn import Tensor, zeros
    >>> mean, var = zeros(1), Tensor([1.0])
    >>> y = instance_norm(Tensor([[[0.0, 2.0]], [[4.0, 10.0]]]), mean, var, momentum=1.0)
    >>> mean.tolist(), var.tolist()  # (1 + 7)/2 and (2 + 18)/2
    ([4.0], [10.0])
    """
    _check_floating(input, "instance_norm")
    if input.ndim < 2:
        raise ShapeError(f"instance_norm expects input of shape (N, C, *), got {input.shape}")
    n, channels = input.shape[:2]
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ShapeError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    if use_input_stats and eps <= 0:
        raise ValueError(f"instance_norm: eps must be > 0 with use_input_stats=True, got {eps} "
                         "(a constant instance would give 0/0 = nan)")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        _check_parameter("instance_norm", name, t, (channels,))
    if (running_mean is None) != (running_var is None):
        raise ValueError("instance_norm: pass both running_mean and running_var, or neither")
    if not use_input_stats and running_mean is None:
        raise ValueError("instance_norm with use_input_stats=False needs running_mean and running_var")
    with region("instance_norm"):
        # channel n·C + c of the (1, N·C, *) view is channel c of sample n
        instances = input.reshape(1, n * channels, *input.shape[2:])
        weight, bias = (None if t is None else t.repeat(n) for t in (weight, bias))
        with no_grad():
            copies = [None if t is None else t.repeat(n).clone() for t in (running_mean, running_var)]
        y = batch_norm(instances, *copies, weight, bias, training=use_input_stats, momentum=momentum, eps=eps)
        if use_input_stats and running_mean is not None:
            with no_grad():
                for running, updated in zip((running_mean, running_var), copies, strict=True):
                    running.copy_(updated.reshape(n, channels).mean(0))  # (I1), (I2): the mean over the samples
        return y.reshape(input.shape)


class _InstanceNorm(RunningStatistics, _Normalization):
    """PyTorch's InstanceNorm modules: γ (ones) and β (zeros) of shape (C,) when
    ``affine``; with ``track_running_stats``, running statistics kept in training
    mode and used in eval mode. ``num_batches_tracked`` is kept in the state dict
    but, as in PyTorch, never counted, and ``momentum=None`` leaves the running
    statistics where they are."""

    spatial_axes: tuple = ()  # PyTorch's letters for the axes after C

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 device=None, dtype=None, *, bias=True):
        if not _is_positive_int(num_features):
            raise ValueError(f"{type(self).__name__}: num_features must be a positive int, got {num_features!r}")
        super().__init__((num_features,), affine, bias, device, dtype)
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        register_running_stats(self, num_features, track_running_stats, device, dtype)

    def reset_parameters(self):
        """The running statistics as :meth:`reset_running_stats`, and γ = 1, β = 0."""
        self.reset_running_stats()
        super().reset_parameters()

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        self._check_input(input)
        if input.ndim == len(self.spatial_axes) + 1:  # one sample, without its batch axis
            return self._normalize(input.unsqueeze(0)).squeeze(0)
        return self._normalize(input)

    def _normalize(self, x):
        use_input_stats = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        return instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_input_stats,
                             momentum, self.eps)

    def _check_input(self, x):
        """(N, C, *spatial) or (C, *spatial); another C is refused with γ and β, and
        only warned about without them, whose normalization does not depend on C."""
        if not isinstance(x, Tensor):
            raise TypeError(f"{self._short_name()} expects a Tensor, got {type(x).__name__}")
        axes = ", ".join(self.spatial_axes)
        expected = f"(N, {self.num_features}, {axes}) or ({self.num_features}, {axes})"
        if x.ndim not in (len(self.spatial_axes) + 1, len(self.spatial_axes) + 2):
            raise ShapeError(f"{self._short_name()} expects input of shape {expected}, got {x.shape}")
        channels = x.shape[x.ndim - len(self.spatial_axes) - 1]
        if channels == self.num_features:
            return
        if self.affine:
            raise ShapeError(f"{self._short_name()} expects input of shape {expected}, got {x.shape}")
        warnings.warn(f"{self._short_name()} got input of shape {x.shape}, with {channels} channels, not "
                      f"{self.num_features}; with affine=False, num_features is not used",
                      UserWarning, stacklevel=4)  # at the line that calls the module

    def _short_name(self):
        return f"{type(self).__name__}({self.num_features})"

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """:func:`instance_norm` of (N, C, L) or (C, L) input: statistics per sample and
    channel over L.

    >>> from tinygrad_bn import randn
    >>> norm = InstanceNorm1d(3, affine=True)
    >>> norm
    InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=False)
    >>> norm(randn(2, 3, 5)).shape, norm(randn(3, 5)).shape, list(norm.state_dict())
    ((2, 3, 5), (3, 5), ['weight', 'bias'])
    """

    spatial_axes = ("L",)


class InstanceNorm2d(_InstanceNorm):
    """:func:`instance_norm` of (N, C, H, W) or (C, H, W) input: statistics per sample
    and channel over H and W.

    >>> from tinygrad_bn import randn
    >>> norm = InstanceNorm2d(3, track_running_stats=True)
    >>> y = norm(randn(2, 3, 4, 4))
    >>> list(norm.state_dict()), norm.eval()(randn(3, 4, 4)).shape
    (['running_mean', 'running_var', 'num_batches_tracked'], (3, 4, 4))
    """

    spatial_axes = ("H", "W")


class InstanceNorm3d(_InstanceNorm):
    """:func:`instance_norm` of (N, C, D, H, W) or (C, D, H, W) input: statistics per
    sample and channel over D, H and W.

    >>> from tinygrad_bn import randn
    >>> InstanceNorm3d(2)(randn(1, 2, 3, 4, 4)).shape
    (1, 2, 3, 4, 4)
    """

    spatial_axes = ("D", "H", "W")
