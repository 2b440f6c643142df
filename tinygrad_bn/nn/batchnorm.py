"""BatchNorm1d, BatchNorm2d and BatchNorm3d: PyTorch's modules, with ``impl="fused" | "composite"``.

Parameters ``weight`` (γ) and ``bias`` (β); buffers ``running_mean``,
``running_var`` and ``num_batches_tracked``, under PyTorch's state-dict keys, so a
PyTorch BatchNorm state dict (as NumPy arrays) loads here and gives the same outputs.
"""

from __future__ import annotations

import numbers
import warnings
from decimal import Decimal

from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.autograd.version import bump
from tinygrad_bn.batchnorm import IMPLEMENTATIONS, batch_norm
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import Parameter
from tinygrad_bn.ops import ones, zeros

KERAS_LOOKING_MOMENTUM = 0.5  # above this, a momentum is likely Keras's weight of the old value


def momentum_from_keras(momentum: float) -> float:
    """PyTorch's momentum for Keras's (and the lecture notes'): Keras keeps
    ``momentum · moving + (1 − momentum) · batch``, PyTorch ``(1 − momentum) · running
    + momentum · batch``, so the same average is 1 − momentum in the other convention
    (docs/batchnorm.md, "Momentum: two conventions"). Computed on the decimal spelling,
    so 0.99 gives 0.01 exactly, not 0.010000000000000009.

    >>> momentum_from_keras(0.99), momentum_from_keras(0.9)
    (0.01, 0.1)
    """
    if not 0 <= momentum <= 1:
        raise ValueError(f"momentum_from_keras: momentum must be in [0, 1], got {momentum}")
    return float(1 - Decimal(repr(float(momentum))))


def register_running_stats(module: Module, num_features: int, tracked: bool, device, dtype):
    """The buffers of a normalization layer that keeps running statistics (None each
    when it does not): running_mean 0, running_var 1, num_batches_tracked 0."""
    module.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device) if tracked else None)
    module.register_buffer("running_var", ones(num_features, dtype=dtype, device=device) if tracked else None)
    module.register_buffer("num_batches_tracked", zeros((), dtype="int64", device=device) if tracked else None)


def upgrade_running_stats(module: Module, state_dict, prefix: str, local_metadata: dict):
    """A checkpoint of a normalization layer made before ``num_batches_tracked``
    existed (``_metadata`` version below 2, or none: a dict built by hand) loads
    with the counter it lacks, as in PyTorch: this module's own, or 0."""
    version = local_metadata.get("version")
    key = prefix + "num_batches_tracked"
    if (version is None or version < 2) and module.track_running_stats and key not in state_dict:
        state_dict[key] = module.num_batches_tracked if module.num_batches_tracked is not None else zeros(
            (), dtype="int64")


def reset_running_stats(module: Module):
    """The buffers of :func:`register_running_stats` back to where they started."""
    if module.track_running_stats:
        module.running_mean.zero_()
        module.running_var.fill_(1)
        module.num_batches_tracked.zero_()


class RunningStatistics:
    """What a normalization layer with :func:`register_running_stats` buffers has
    (BatchNorm, InstanceNorm): their reset, and state dicts of version 2, in which
    ``num_batches_tracked`` is kept (older ones load with :func:`upgrade_running_stats`)."""

    _version = 2

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batch counted."""
        reset_running_stats(self)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
        upgrade_running_stats(self, state_dict, prefix, local_metadata)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)


class _BatchNorm(RunningStatistics, Module):
    ranks: tuple = ()
    layout: str = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True, impl="fused"):
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_features, numbers.Integral) or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive integer, got {num_features!r}")
        if eps < 0:
            raise ValueError(f"{name}: eps must be >= 0, got {eps}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum}")
        if momentum is not None and momentum > KERAS_LOOKING_MOMENTUM:
            warnings.warn(
                f"{name}: momentum={momentum} is the weight of each new batch in the running statistics "
                f"(PyTorch's convention); if it is Keras's weight of the old value, pass "
                f"nn.momentum_from_keras({momentum}) = {momentum_from_keras(momentum)} instead",
                UserWarning, stacklevel=2,
            )
        if impl not in IMPLEMENTATIONS:
            raise ValueError(f"{name}: impl must be one of {IMPLEMENTATIONS}, got {impl!r}")
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.impl = impl
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        if affine and bias:  # γ without β: bias=False, as PyTorch 2.13 allows
            self.bias = Parameter(zeros(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        register_running_stats(self, num_features, track_running_stats, device, dtype)

    def reset_parameters(self):
        """The running statistics as :meth:`reset_running_stats`, and γ = 1, β = 0."""
        self.reset_running_stats()
        with no_grad():
            if self.weight is not None:
                self.weight.fill_(1)
            if self.bias is not None:
                self.bias.zero_()

    def _check_input(self, x: Tensor):
        if not isinstance(x, Tensor):
            raise TypeError(f"{self._short_name()} expects a Tensor, got {type(x).__name__}")
        if x.ndim not in self.ranks or x.shape[1] != self.num_features:
            expected = self.layout.format(C=self.num_features)
            raise ShapeError(f"{self._short_name()} expects input of shape {expected}, got {x.shape}")

    def _short_name(self):
        return f"{type(self).__name__}({self.num_features})"

    def forward(self, x):
        self._check_input(x)
        factor = self.momentum
        if self.training and self.track_running_stats:
            counter = self.num_batches_tracked  # a buffer outside any graph: counted in place, as add_(1) would
            counter._data += 1
            bump(counter)
            if self.momentum is None:  # (R3) cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch_stats = self.training or self.running_mean is None
        keep_running = not self.training or self.track_running_stats
        return batch_norm(
            x,
            self.running_mean if keep_running else None,
            self.running_var if keep_running else None,
            self.weight,
            self.bias,
            training=use_batch_stats,
            momentum=0.0 if factor is None else factor,
            eps=self.eps,
            impl=self.impl,
        )

    def extra_repr(self) -> str:
        """PyTorch's, and the implementation where it is not the default."""
        named_impl = "" if self.impl == "fused" else f", impl={self.impl!r}"
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}{named_impl}"
        )


class BatchNorm1d(_BatchNorm):
    """BatchNorm over (N, C) or (N, C, L) inputs.

    >>> import numpy as np
    >>> from tinygrad_bn import Tensor
    >>> bn = BatchNorm1d(3)
    >>> y = bn(Tensor(np.random.default_rng(0).normal(5.0, 2.0, (8, 3))))
    >>> bool(abs(y.numpy().mean()) < 1e-6), bn.num_batches_tracked.item()
    (True, 1)
    """

    ranks = (2, 3)
    layout = "(N, {C}) or (N, {C}, L)"


class BatchNorm2d(_BatchNorm):
    """BatchNorm over (N, C, H, W) inputs, statistics per channel over N, H and W."""

    ranks = (4,)
    layout = "(N, {C}, H, W)"


class BatchNorm3d(_BatchNorm):
    """BatchNorm over (N, C, D, H, W) inputs, statistics per channel over N, D, H and W."""

    ranks = (5,)
    layout = "(N, {C}, D, H, W)"


def batch_norm_module(ndim: int) -> type:
    """The BatchNorm module for inputs with ``ndim`` axes: 2 or 3 → BatchNorm1d,
    4 → BatchNorm2d, 5 → BatchNorm3d.

    >>> batch_norm_module(4).__name__
    'BatchNorm2d'
    """
    for module in (BatchNorm1d, BatchNorm2d, BatchNorm3d):
        if ndim in module.ranks:
            return module
    raise ValueError(f"BatchNorm takes inputs of 2 to 5 axes, (N, C, ...), got {ndim}")
