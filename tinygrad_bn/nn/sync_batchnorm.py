"""``nn.SyncBatchNorm``: BatchNorm whose statistics, in multi-process training, are
taken over the batches of all processes together.

Here there is one process, so its batch is the whole batch and SyncBatchNorm
computes exactly what BatchNorm does, in training and in eval mode: what PyTorch's
does on CPU when no process group is initialized (it falls back to
``F.batch_norm``). Scripts written for several GPUs, which call
:meth:`SyncBatchNorm.convert_sync_batchnorm` on their model unconditionally,
therefore run unchanged and give BatchNorm's numbers.

>>> from tinygrad_bn import nn
>>> model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
>>> model = SyncBatchNorm.convert_sync_batchnorm(model)
>>> model[1]
SyncBatchNorm(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
"""

from __future__ import annotations

import warnings

from tinygrad_bn.nn.batchnorm import _BatchNorm
from tinygrad_bn.nn.lazy import LazyModuleMixin
from tinygrad_bn.nn.module import Module

MAX_RANK = 64  # NumPy's limit on an array's axes


class SyncBatchNorm(_BatchNorm):
    """BatchNorm of (N, C, ...) input of any rank from 2 on, statistics per channel C.

    ``process_group`` is kept (as PyTorch keeps it) and not used: with one process
    there is nothing to synchronize, so the forward is BatchNorm's.

    >>> import numpy as np
    >>> from tinygrad_bn import Tensor
    >>> bn = SyncBatchNorm(3)
    >>> y = bn(Tensor(np.random.default_rng(0).normal(5.0, 2.0, (8, 3, 4))))
    >>> bool(abs(y.numpy().mean()) < 1e-6), bn.num_batches_tracked.item()
    (True, 1)
    """

    ranks = range(2, MAX_RANK + 1)
    layout = "(N, {C}, *)"

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None, *, bias=True, impl="fused"):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias,
                         impl=impl)
        self.process_group = process_group

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """Replace every BatchNorm of ``module`` (any ``_BatchNorm``, at any depth) by a
        SyncBatchNorm with its settings and the same weight, bias and running-statistics
        tensors (so their values and ``requires_grad`` are kept), in the same training
        mode; return ``module``, or the new layer if ``module`` is itself a BatchNorm.

        >>> from tinygrad_bn import nn
        >>> bn = nn.BatchNorm1d(3).eval()
        >>> sync = SyncBatchNorm.convert_sync_batchnorm(bn)
        >>> type(sync).__name__, sync.training, sync.weight is bn.weight
        ('SyncBatchNorm', False, True)
        """
        if isinstance(module, _BatchNorm):
            return cls._from_batch_norm(module, process_group)
        for name, child in list(module.named_children()):
            module.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return module

    @classmethod
    def _from_batch_norm(cls, bn: _BatchNorm, process_group) -> SyncBatchNorm:
        if isinstance(bn, LazyModuleMixin):
            raise ValueError(f"convert_sync_batchnorm: {type(bn).__name__} has not seen an input yet, so its "
                             "num_features is unknown; run one forward (or load a state dict) before converting")
        with warnings.catch_warnings():  # a high momentum was warned about when bn was built
            warnings.simplefilter("ignore", UserWarning)
            sync = cls(bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats, process_group,
                       impl=bn.impl)
        for name in ("weight", "bias"):
            sync.register_parameter(name, bn._parameters[name])
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            sync.register_buffer(name, bn._buffers[name])
        if hasattr(bn, "qconfig"):
            sync.qconfig = bn.qconfig
        for name, child in bn.named_children():
            sync.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        sync.training = bn.training
        return sync
