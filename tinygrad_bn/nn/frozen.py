"""Frozen BatchNorm: fixed statistics and affine parameters, for fine-tuning.

``FrozenBatchNorm2d`` has torchvision's semantics: γ (``weight``), β (``bias``),
``running_mean`` and ``running_var`` are all buffers, so nothing in it is learned and
nothing changes in training mode, and it computes eval-mode BatchNorm,

    s = γ / √(running_var + ε),   y = x·s + (β − running_mean·s),

with eps 1e-5 by default. Its state-dict keys are those four (no
``num_batches_tracked``). ``freeze_batch_norm`` swaps every BatchNorm of a model for
a frozen copy, which is what fine-tuning a pretrained model with small batches
needs: ``model.train()`` would otherwise switch BatchNorm back to batch statistics
and let the running statistics drift (docs/fold-and-freeze.md).
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm
from tinygrad_bn.nn.module import Module
from tinygrad_bn.ops import ones, zeros


class _FrozenBatchNorm(Module):
    """What the frozen BatchNorms share; a subclass names the BatchNorm whose inputs it takes."""

    unfrozen: type = _BatchNorm

    def __init__(self, num_features: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        self.num_features = int(num_features)
        self.eps = eps
        self.register_buffer("weight", ones(num_features, dtype=dtype, device=device))
        self.register_buffer("bias", zeros(num_features, dtype=dtype, device=device))
        self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
        self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))

    @classmethod
    def from_batch_norm(cls, bn: _BatchNorm) -> _FrozenBatchNorm:
        """A frozen copy of ``bn``'s γ, β (1 and 0 without ``affine``), running statistics and eps."""
        if bn.running_mean is None:
            raise ValueError(
                f"cannot freeze {bn!r}: with track_running_stats=False it has no running statistics to keep"
            )
        frozen = cls(bn.num_features, eps=bn.eps, device=bn.running_mean.device, dtype=bn.running_mean.dtype)
        for name in ("weight", "bias", "running_mean", "running_var"):
            source = getattr(bn, name)
            if source is not None:
                getattr(frozen, name)._data[...] = source._data
        return frozen

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self.unfrozen.ranks or x.shape[1] != self.num_features:
            expected = self.unfrozen.layout.format(C=self.num_features)
            raise ShapeError(f"{type(self).__name__}({self.num_features}) expects input of shape {expected}, "
                             f"got {x.shape}")
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        # s = γ / √(running_var + ε)
        s = self.weight * (self.running_var + self.eps) ** -0.5
        shift = self.bias - self.running_mean * s
        return x * s.reshape(shape) + shift.reshape(shape)

    def _load_from_state_dict(self, state_dict, prefix, *args):
        """Module's, except that a BatchNorm's ``num_batches_tracked`` is dropped (as torchvision does),
        here or anywhere in a model."""
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, *args)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}"


class FrozenBatchNorm1d(_FrozenBatchNorm):
    """A frozen BatchNorm1d: (N, C) or (N, C, L) inputs."""

    unfrozen = BatchNorm1d


class FrozenBatchNorm2d(_FrozenBatchNorm):
    """torchvision's FrozenBatchNorm2d: eval-mode BatchNorm2d with every tensor a buffer.

    >>> from tinygrad_bn import ones
    >>> bn = FrozenBatchNorm2d(3)
    >>> bn, list(bn.state_dict()), list(bn.parameters())
    (FrozenBatchNorm2d(3, eps=1e-05), ['weight', 'bias', 'running_mean', 'running_var'], [])
    >>> round(bn.train()(ones(1, 3, 2, 2)).max().item(), 4)   # 1/√(1 + 1e-5), training mode or not
    1.0
    """

    unfrozen = BatchNorm2d


class FrozenBatchNorm3d(_FrozenBatchNorm):
    """A frozen BatchNorm3d: (N, C, D, H, W) inputs."""

    unfrozen = BatchNorm3d


FROZEN = {BatchNorm1d: FrozenBatchNorm1d, BatchNorm2d: FrozenBatchNorm2d, BatchNorm3d: FrozenBatchNorm3d}


def freeze_batch_norm(model: Module) -> Module:
    """Replace every BatchNorm in ``model`` by its frozen copy, in place, and return the
    model (the frozen copy itself if ``model`` is a BatchNorm). The layers then compute
    with their running statistics and take no gradient, even after ``model.train()``.

    >>> from tinygrad_bn import nn
    >>> model = freeze_batch_norm(nn.Sequential(nn.Linear(3, 4, bias=False), nn.BatchNorm1d(4))).train()
    >>> model
    Sequential(
      (0): Linear(in_features=3, out_features=4, bias=False)
      (1): FrozenBatchNorm1d(4, eps=1e-05)
    )
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight']
    """
    with no_grad():
        if isinstance(model, _BatchNorm):
            return _frozen(model)
        for parent in list(model.modules()):
            for name, child in list(parent.named_children()):
                if isinstance(child, _BatchNorm):
                    parent.add_module(name, _frozen(child))
    return model


def _frozen(bn: _BatchNorm) -> _FrozenBatchNorm:
    frozen_class = next(frozen for unfrozen, frozen in FROZEN.items() if isinstance(bn, unfrozen))
    return frozen_class.from_batch_norm(bn)
