"""Statistics composed of the reductions: variance and standard deviation (two-pass),
standardization (BatchNorm's, LayerNorm's and GroupNorm's x̂), log-sum-exp and softmax,
whose gradients come from the primitives; and log-softmax, one op as in PyTorch.
"""

from __future__ import annotations

import math

from tinygrad_bn.annotations import name_constant, note
from tinygrad_bn.autograd import Function, is_grad_enabled
from tinygrad_bn.ops.axes import NOT_GIVEN, dim_words, normalize_axes, squeezed
from tinygrad_bn.ops.elementwise import isinf, sqrt_flat_at_zero
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.reduce import WIDER, wider


def var(x, dim=NOT_GIVEN, unbiased=None, keepdim=NOT_GIVEN, *, correction=None, axis=NOT_GIVEN,
        keepdims=NOT_GIVEN):
    """Variance, two-pass: Σ(x − mean)² / (m − correction), for m elements per result.

    As PyTorch's ``var(dim, unbiased, keepdim)``, over ``dim`` (all elements by
    default; ``axis`` is its alias), dividing by m − 1 unless ``correction`` or
    ``unbiased`` (True is 1, False is 0) says otherwise.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([0.0, 1.0, 2.0, 3.0, 4.0])  # Σ(x − mean)² = 10
    >>> x.var().item(), x.var(0, correction=0).item(), x.var(axis=0).item()
    (2.5, 2.0, 2.5)
    """
    return _variance("var", x, dim, unbiased, keepdim, correction, axis, keepdims)


def std(x, dim=NOT_GIVEN, unbiased=None, keepdim=NOT_GIVEN, *, correction=None, axis=NOT_GIVEN,
        keepdims=NOT_GIVEN):
    """Standard deviation √var, with the words and divisors of :func:`var` (m − 1 by
    default). Where it is 0 its gradient is 0, as in PyTorch.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([1.0, 1.0, 3.0, 3.0])  # Σ(x − mean)² = 4
    >>> round(x.std().item(), 4), x.std(correction=0).item(), x.std(0, unbiased=False).item()
    (1.1547, 1.0, 1.0)
    """
    return sqrt_flat_at_zero(_variance("std", x, dim, unbiased, keepdim, correction, axis, keepdims))


def _variance(name: str, x, dim, unbiased, keepdim, correction, axis, keepdims):
    """:func:`var`, whose errors speak of ``name``, the method called."""
    dim, keepdim = dim_words(name, dim, keepdim, axis, keepdims)
    axes = normalize_axes(dim, x.ndim)
    count = math.prod(x.shape[a] for a in axes)
    centred = x - x.mean(axes, keepdim=True)
    # no degrees of freedom left (m ≤ correction, an empty axis too) divide by 0, giving NaN or ∞, as in PyTorch
    divisor = max(count - _correction(name, correction, unbiased), 0)
    return (centred * centred).sum(axes, keepdim=keepdim) / divisor


def _correction(name: str, correction, unbiased) -> int:
    """What :func:`var` and :func:`std` (``name``) subtract from the count: 1 unless told."""
    if correction is not None and unbiased is not None:
        raise TypeError(
            f"{name}() got both correction={correction!r} and unbiased={unbiased!r}; "
            "give one (unbiased=True is correction=1, unbiased=False is correction=0)"
        )
    if unbiased is not None:
        return 1 if unbiased else 0
    return 1 if correction is None else correction


def in_compute_precision(value):
    """An array or Tensor in the precision its statistics are computed in: float16 in
    the next wider type, float32 (the rule of ``WIDER``), others as they are."""
    dtype = value.dtype
    return value.astype(WIDER["float16"]) if dtype.kind == "f" and dtype.itemsize == 2 else value  # not .name: 2 µs


def standardize(x, axes: tuple, eps: float, mean=None, var=None):
    """x̂ and √(σ² + ε) over ``axes`` (BatchNorm's per-channel axes, or LayerNorm's
    and GroupNorm's per-sample ones), from primitive ops.

    With ``mean``/``var`` None the statistics of ``x`` are computed (F1)–(F4), two-pass
    and biased; otherwise the given (running) statistics are used as constants (E1).
    Returns (x_hat, std, batch_mean, batch_var); the batch values are None in the
    second case. Each step is noted (:func:`~tinygrad_bn.annotations.note`) with
    its name and the route of x's gradient it carries, for pictures.
    """
    batch_mean = batch_var = None
    if mean is None:
        batch_mean = mean = note(x.mean(axes, keepdims=True), "mean", "mu")  # (F1)
        centred = note(x - mean, "centre", ("x_hat", "mu"))
        square = note(centred**2, "square", "var")
        batch_var = var = note(square.mean(axes, keepdims=True), "variance", "var")  # (F2)
    else:
        centred = note(x - mean, "centre", "x_hat")
    std = note(note(var + eps, "add eps", "var").sqrt(), "sqrt", "var")  # (F3): inv_std = 1/std
    x_hat = note(centred / std, "normalize", ("x_hat", "var"))  # (F4)
    return x_hat, std, batch_mean, batch_var


def logsumexp(x, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """log Σ exp(x) over ``dim``, shifted by the maximum so that it never overflows.

    >>> from tinygrad_bn import Tensor
    >>> Tensor([1000.0, 1000.0], dtype="float64").logsumexp(0).item() - 1000.0
    0.693147...
    """
    dim, keepdim = dim_words("logsumexp", dim, keepdim, axis, keepdims)
    if dim is None:
        raise TypeError("logsumexp() needs dim, the axis or axes to reduce, as in PyTorch")
    if any(x.shape[a] == 0 for a in normalize_axes(dim, x.ndim)):  # an empty sum: log 0 = −∞, as in PyTorch
        total = x.exp().sum(dim, keepdim=keepdim)
        return total.log()
    peak = x.amax(dim, keepdim=True).detach()  # an infinite maximum shifts by 0, as PyTorch's: all −∞ gives −∞
    shift = name_constant(peak.masked_fill(isinf(peak), 0.0), "max (held constant)")
    total = (x - shift).exp().sum(dim, keepdim=True)
    result = total.log() + shift
    return result if keepdim else result.reshape(squeezed(result.shape, normalize_axes(dim, x.ndim)))


class LogSoftmax(Function):
    """log softmax(x) over ``axes``, one node as PyTorch's: with m the maximum (so that
    exp never overflows), y = (x − m) − log Σ exp(x − m), and dx = g − softmax(x)·Σg,
    where softmax(x) = exp(y). The sum accumulates in the next wider type (``WIDER``).
    As seven primitive ops, a cross-entropy's forward and backward took 4.5x PyTorch's time."""

    def forward(self, x, axes):
        xp, data = x.xp, x._data
        self.axes = axes
        if data.size == 0:  # nothing to normalize (the maximum of an empty axis is undefined)
            self.save_output(data)
            return data.copy()
        shifted = data - data.max(axis=axes, keepdims=True)
        total = xp.exp(shifted).sum(axis=axes, keepdims=True, dtype=wider(data.dtype) or data.dtype)
        y = shifted - xp.log(total).astype(data.dtype)
        self.save_output(y)
        return y

    def backward(self, grad):
        y = self.saved_output()
        if is_grad_enabled():  # create_graph: through y, this node's output, so it is differentiated again
            return grad - y.exp() * grad.sum(self.axes, keepdim=True)
        g = grad._data
        return constant(g - grad.xp.exp(y._data) * g.sum(axis=self.axes, keepdims=True), grad)


def log_softmax(x, dim=NOT_GIVEN, *, axis=NOT_GIVEN, dtype=None):
    """log(softmax(x)) along ``dim``, as :func:`softmax`, computed stably (:class:`LogSoftmax`)."""
    dim, _ = dim_words("log_softmax", dim, NOT_GIVEN, axis, default=-1)
    x = x if dtype is None else x.astype(dtype)
    return LogSoftmax.apply(x, axes=normalize_axes(dim, x.ndim))


def softmax(x, dim=NOT_GIVEN, *, axis=NOT_GIVEN, dtype=None):
    """exp(x) / Σ exp(x) along ``dim`` (the last one unless given).

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[0.0, 0.0], [1.0, 1.0]])
    >>> x.softmax(-1).tolist(), x.softmax(dim=0).tolist() == x.softmax(0).tolist()
    ([[0.5, 0.5], [0.5, 0.5]], True)
    """
    dim, _ = dim_words("softmax", dim, NOT_GIVEN, axis, default=-1)
    return log_softmax(x, dim, dtype=dtype).exp()
