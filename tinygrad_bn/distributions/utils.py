"""Helpers the families share, under the names of PyTorch's ``torch.distributions.utils``:
parameters broadcast to one shape, probabilities held away from 0 and 1, and the two
ways between probabilities and logits; and softplus, log(1 + eˣ) without overflow.
"""

from __future__ import annotations

from functools import cached_property

import numpy

from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor, enable_grad
from tinygrad_bn.autograd.tensor import is_scalar
from tinygrad_bn.dtypes import get_default_dtype
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.ops.promotion import broadcast_shapes

__all__ = ["broadcast_all", "check_one_of", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits",
           "softplus", "sum_rightmost"]


class lazy_property(cached_property):  # noqa: N801 - PyTorch's name
    """A value computed from the parameters on first use and kept, as PyTorch's
    ``lazy_property``: computed with gradients on, so that a first use inside
    ``no_grad`` (as ``sample`` makes) still keeps the graph back to the parameters."""

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            return super().__get__(instance, owner)


def broadcast_all(*values) -> tuple:
    """The values (Tensors or Python numbers) as tensors of one broadcast shape, as
    PyTorch's ``broadcast_all``: numbers take the dtype and device of the first tensor,
    or the default float dtype (float32) when every value is a number; tensors keep
    their own dtypes. The gradient of a broadcast tensor flows back to the original.

    >>> from tinygrad_bn import tensor
    >>> loc, scale = broadcast_all(tensor([0.0, 1.0]), 2.0)
    >>> scale.tolist(), scale.dtype, broadcast_all(0.5)[0].dtype
    ([2.0, 2.0], dtype('float32'), dtype('float32'))
    """
    if not all(isinstance(v, Tensor) or is_scalar(v) for v in values):
        given = ", ".join(type(v).__name__ for v in values)
        raise ValueError(f"broadcast_all expects Tensors or Python numbers, got {given}; make tensors with tensor(...)")
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dtype, device = (get_default_dtype(), None) if like is None else (like.dtype, like.device)
    tensors = [v if isinstance(v, Tensor) else Tensor(v, dtype=dtype, device=device) for v in values]
    shape = ()
    for t in tensors:
        wider = broadcast_shapes(shape, t.shape)
        if wider is None:
            shapes = " and ".join(str(t.shape) for t in tensors)
            raise ShapeError(f"parameters of shapes {shapes} do not broadcast together")
        shape = wider
    return tuple(t.broadcast_to(shape) for t in tensors)


def check_one_of(probs, logits) -> None:
    """Refuse both or neither of ``probs`` and ``logits``: a distribution takes one."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities held within [ε, 1 − ε], ε the machine epsilon of their dtype, so
    that their logs and logits stay finite (PyTorch's ``clamp_probs``).

    >>> from tinygrad_bn import tensor
    >>> clamp_probs(tensor([0.0, 0.5, 1.0], dtype="float64")).tolist()
    [2.220446049250313e-16, 0.5, 0.9999999999999998]
    """
    eps = float(numpy.finfo(probs.dtype).eps)
    return probs.clamp(eps, 1.0 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log p of clamped probabilities; with ``is_binary``, the log-odds log p − log(1 − p)."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """softmax over the last axis; with ``is_binary``, σ(logits) elementwise."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def softplus(x: Tensor) -> Tensor:
    """log(1 + eˣ) = max(x, 0) + log(1 + e^(−|x|)): no eˣ that overflows, and a gradient
    σ(x) everywhere, also at 0, where ``maximum`` gives the tie half the gradient and
    the second term's slope is 0 (relu's slope 0 there would give 0 in place of 1/2).

    >>> from tinygrad_bn import tensor
    >>> [round(v, 4) for v in softplus(tensor([-1000.0, 0.0, 1000.0])).tolist()]
    [0.0, 0.6931, 1000.0]
    """
    return ops.maximum(x, 0.0) + (-x.abs()).exp().log1p()


def sum_rightmost(value: Tensor, dims: int) -> Tensor:
    """``value`` summed over its last ``dims`` axes (itself when ``dims`` is 0)."""
    if dims == 0:
        return value
    return value.reshape(*value.shape[: value.ndim - dims], -1).sum(-1)


class BinaryProbabilities:
    """``probs`` and ``logits`` of a two-outcome parameter, for a distribution given one of
    them (stored under its name): the other is computed from it on first use, once."""

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    def _counted(self, total_count, probs, logits) -> tuple:
        """Keep ``total_count`` and the one of ``probs``/``logits`` given, broadcast together,
        the count in the probability's dtype (Binomial, NegativeBinomial); their batch shape."""
        check_one_of(probs, logits)
        name, value = ("probs", probs) if probs is not None else ("logits", logits)
        total_count, given = broadcast_all(total_count, value)
        self.total_count = total_count.astype(given.dtype)
        setattr(self, name, given)
        return given.shape
