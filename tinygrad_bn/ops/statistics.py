"""Statistics composed of the reductions: variance and standard deviation (two-pass),
standardization (BatchNorm's, LayerNorm's and GroupNorm's x̂), log-sum-exp, softmax and
log-softmax. Their gradients come from the primitives.
"""

from __future__ import annotations

import math

from tinygrad_bn.ops.axes import NOT_GIVEN, axis_words, normalize_axes, only_one, pytorch_words, squeezed
from tinygrad_bn.ops.elementwise import sqrt_flat_at_zero
from tinygrad_bn.ops.reduce import WIDER


def var(x, dim=NOT_GIVEN, unbiased=None, keepdim=None, *, correction=None, axis=NOT_GIVEN, keepdims=None, ddof=None):
    """Variance, two-pass: Σ(x − mean)² / (m − correction), for m elements per result.

    As PyTorch's ``var(dim, unbiased, keepdim)``, over ``dim`` (all elements by
    default), dividing by m − 1 unless ``correction`` or ``unbiased`` (True is 1,
    False is 0) says otherwise. NumPy's keywords (``axis``, ``keepdims``, ``ddof``)
    alone give NumPy's ``var``, dividing by m unless ``ddof`` says otherwise.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([0.0, 1.0, 2.0, 3.0, 4.0])  # Σ(x − mean)² = 10
    >>> x.var().item(), x.var(0, correction=0).item(), x.var(axis=0).item()
    (2.5, 2.0, 2.0)
    """
    return _variance("var", x, dim, unbiased, keepdim, correction, axis, keepdims, ddof)


def std(x, dim=NOT_GIVEN, unbiased=None, keepdim=None, *, correction=None, axis=NOT_GIVEN, keepdims=None, ddof=None):
    """Standard deviation √var, with the words and divisors of :func:`var`: PyTorch's
    ``std(dim, unbiased, keepdim)`` divides by m − 1, NumPy's keywords alone by m.
    Where it is 0 its gradient is 0, as in PyTorch.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([1.0, 1.0, 3.0, 3.0])  # Σ(x − mean)² = 4
    >>> round(x.std().item(), 4), x.std(axis=0).item(), x.std(correction=0).item()
    (1.1547, 1.0, 1.0)
    """
    return sqrt_flat_at_zero(_variance("std", x, dim, unbiased, keepdim, correction, axis, keepdims, ddof))


def _variance(name: str, x, dim, unbiased, keepdim, correction, axis, keepdims, ddof):
    """:func:`var`, whose errors speak of ``name``, the method called."""
    numpy_words = axis is not NOT_GIVEN or keepdims is not None
    ddof = _ddof(name, ddof, dim, keepdim, correction, unbiased, numpy_words)
    axis, keepdims = axis_words(name, None if axis is NOT_GIVEN else axis, keepdims, dim, keepdim)
    axes = normalize_axes(axis, x.ndim)
    count = math.prod(x.shape[a] for a in axes)
    centred = x - x.mean(axes, keepdims=True)
    return (centred * centred).sum(axes, keepdims=keepdims) / (count - ddof)


def _ddof(name: str, ddof, dim, keepdim, correction, unbiased, numpy_words: bool):
    """What :func:`var` and :func:`std` (``name``) subtract from the count: PyTorch's
    correction (1 by default), or NumPy's ``ddof`` (0 by default) when only NumPy's
    words are given."""
    given = [] if dim is NOT_GIVEN else [f"dim={dim!r}"]
    given += [f"{word}={value!r}" for word, value in
              (("keepdim", keepdim), ("correction", correction), ("unbiased", unbiased)) if value is not None]
    if ddof is not None:
        if given:
            raise TypeError(
                f"{name}() got NumPy's ddof={ddof!r} together with PyTorch's {', '.join(given)}; "
                f"write {name}(axis=..., ddof=...) or {name}(dim=..., correction=...)"
            )
        return ddof
    if correction is not None and unbiased is not None:
        raise TypeError(
            f"{name}() got both correction={correction!r} and unbiased={unbiased!r}; "
            "give one (unbiased=True is correction=1, unbiased=False is correction=0)"
        )
    if unbiased is not None:
        return 1 if unbiased else 0
    if correction is not None:
        return correction
    return 0 if numpy_words and not pytorch_words(dim, keepdim) else 1


def in_compute_precision(value):
    """An array or Tensor in the precision its statistics are computed in: float16 in
    the next wider type, float32 (the rule of ``WIDER``), others as they are."""
    return value.astype(WIDER["float16"]) if value.dtype.name == "float16" else value


def _untagged(t, role, path=None):
    return t


def standardize(x, axes: tuple, eps: float, mean=None, var=None, tag=_untagged):
    """x̂ and √(σ² + ε) over ``axes`` (BatchNorm's per-channel axes, or LayerNorm's
    and GroupNorm's per-sample ones), from primitive ops.

    With ``mean``/``var`` None the statistics of ``x`` are computed (F1)–(F4), two-pass
    and biased; otherwise the given (running) statistics are used as constants (E1).
    Returns (x_hat, std, batch_mean, batch_var); the batch values are None in the
    second case. ``tag(t, role, path)`` is called on each step's result (the
    composite BatchNorm names its nodes with it) and returns it.
    """
    batch_mean = batch_var = None
    if mean is None:
        batch_mean = mean = tag(x.mean(axes, keepdims=True), "mean", "mu")  # (F1)
        centred = tag(x - mean, "centre", ("x_hat", "mu"))
        square = tag(centred**2, "square", "var")
        batch_var = var = tag(square.mean(axes, keepdims=True), "variance", "var")  # (F2)
    else:
        centred = tag(x - mean, "centre", "x_hat")
    std = tag(tag(var + eps, "add eps", "var").sqrt(), "sqrt", "var")  # (F3): inv_std = 1/std
    x_hat = tag(centred / std, "normalize", ("x_hat", "var"))  # (F4)
    return x_hat, std, batch_mean, batch_var


def logsumexp(x, axis=-1, keepdims=False):
    """log Σ exp(x), shifted by the maximum so that it never overflows."""
    shift = x.max(axis=axis, keepdims=True).detach()
    total = (x - shift).exp().sum(axis, keepdims=True)
    result = total.log() + shift
    return result if keepdims else result.reshape(squeezed(result.shape, normalize_axes(axis, x.ndim)))


def log_softmax(x, axis=NOT_GIVEN, *, dim=NOT_GIVEN):
    """log(softmax(x)) along ``axis``, as :func:`softmax`, computed stably."""
    return x - logsumexp(x, _softmax_axis("log_softmax", axis, dim), keepdims=True)


def softmax(x, axis=NOT_GIVEN, *, dim=NOT_GIVEN):
    """exp(x) / Σ exp(x) along ``axis`` (the last one unless given; PyTorch's ``dim``
    says the same).

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[0.0, 0.0], [1.0, 1.0]])
    >>> x.softmax().tolist(), x.softmax(dim=0).tolist() == x.softmax(0).tolist()
    ([[0.5, 0.5], [0.5, 0.5]], True)
    """
    return log_softmax(x, _softmax_axis("softmax", axis, dim)).exp()


def _softmax_axis(name: str, axis, dim):
    """The axis of :func:`softmax` (``name``): ``axis`` or ``dim``, the last when neither is given."""
    if dim is NOT_GIVEN:
        return -1 if axis is NOT_GIVEN else axis
    only_one(name, "axis", None if axis is NOT_GIVEN else axis, "dim", dim)
    return dim
