"""In-place ops with PyTorch's names: ``add_``, ``sub_``, ``mul_``, ``div_``, ``pow_``,
``zero_``, ``fill_``, ``copy_``, ``clamp_``, ``lerp_``, ``masked_fill_``, ``bernoulli_``,
``scatter_``, ``scatter_add_``, ``scatter_reduce_``, ``index_add_``, ``index_copy_``, ``index_fill_``, ``index_put_``,
``put_``, ``fill_diagonal_``, ``index_reduce_``,
``abs_``, ``neg_``, ``exp_``, ``log_``, ``sqrt_``, ``sigmoid_``, ``tanh_``, ``relu_``,
``x[index] = v``, and ``+=``, ``-=``, ``*=``, ``/=``. The other random fills
(``normal_``, ``uniform_``, ``exponential_``, ``geometric_``, ``log_normal_``, ``cauchy_``,
``random_``) are in :mod:`tinygrad_bn.ops.random_fills`.

Each computes the new value with the ordinary ops, writes it into the tensor's own
array (so ``.data``, ``detach()`` and views see it) and bumps the tensor's version,
so a backward that needs the old value refuses to run (see
:mod:`tinygrad_bn.autograd.version`).

* Not recording (grad mode off, or nothing involved requires grad), that is all:
  ``with no_grad(): p -= lr * p.grad`` changes ``p``, which stays a leaf that
  requires grad.
* In grad mode, a leaf that requires grad is refused, as in PyTorch.
* Otherwise the change is recorded, as in PyTorch: the tensor becomes the output of
  the op that computed its new value, so later gradients flow through the change
  (``out += identity`` in a residual block). Recording a change of a tensor that
  shares its storage with a view (reshape, transpose, slice) is refused: the other
  tensors that see the storage would keep their old place in the graph.

>>> from tinygrad_bn import Tensor, no_grad
>>> p = Tensor([1.0, -2.0, 3.0], requires_grad=True)
>>> (p * p).sum().backward()
>>> with no_grad():
...     p -= 0.25 * p.grad
>>> p.tolist(), p.is_leaf, p.requires_grad
([0.5, -1.0, 1.5], True, True)
>>> grad_input = p.grad.clone()
>>> grad_input[p < 0] = 0
>>> grad_input.tolist()
[2.0, 0.0, 6.0]
"""

from __future__ import annotations

import math

import numpy

from tinygrad_bn.autograd import Function, Tensor, is_grad_enabled
from tinygrad_bn.autograd.version import bump
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.ops.composite import lerp
from tinygrad_bn.ops.elementwise import (
    add,
    broadcast_shapes,
    clamp,
    div,
    lift,
    masked_fill,
    mul,
    pow,  # noqa: A004 - the op's name
    scaled,
    sub,
)
from tinygrad_bn.ops.indexing import index_add, index_copy, index_fill, index_put, put, scatter, scatter_add
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.sampling import bernoulli
from tinygrad_bn.ops.scatter_reduce import index_reduce, scatter_reduce
from tinygrad_bn.ops.shape import _index_argument, getitem, integers_first, squeeze, t, transpose, unsqueeze
from tinygrad_bn.ops.unary import abs, exp, log, neg, relu, sigmoid, sqrt, square, tanh  # noqa: A004 - the ops' names

LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."


class SetItem(Function):
    """``x`` with ``value`` written at ``index``, as a new array (the in-place ops copy
    it back): the gradient reaches ``value`` from ``index`` and ``x`` from elsewhere."""

    def forward(self, x, value, index):
        self.index = index
        out = x._data.copy()
        out[index] = value._data
        return out

    def backward(self, grad):
        index = self.index
        need_x, need_value = self.needs_input_grad
        dx = SetItem.apply(grad, lift(0.0, grad), index=index) if need_x else None
        dvalue = grad[index] if need_value else None
        return dx, dvalue


def _recording(self: Tensor, *operands) -> bool:
    """Whether the change of ``self`` by ``operands`` (Tensors, numbers, None) must be
    recorded; refuses a leaf that requires grad in grad mode, as PyTorch does."""
    if not is_grad_enabled():
        return False
    if self.requires_grad and self._ctx is None:
        raise RuntimeError(LEAF_ERROR)
    return self.requires_grad or any(isinstance(t, Tensor) and t.requires_grad for t in operands)


def _check_writable(self: Tensor, name: str):
    """Refuse to write into an expanded tensor, whose elements share memory, as PyTorch does."""
    if any(step == 0 and size > 1 for step, size in zip(self._data.strides, self.shape, strict=True)):
        raise RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor refers to a single "
            f"memory location (a tensor of shape {self.shape} made by expand or broadcast_to). Please clone() "
            "the tensor before performing the operation."
        )


def _check_result(self: Tensor, new: Tensor, name: str):
    _check_writable(self, name)
    if new.shape != self.shape:
        raise RuntimeError(
            f"{name}: the result of shape {new.shape} does not fit the tensor of shape {self.shape}, "
            "which an in-place op cannot reshape"
        )
    if not numpy.can_cast(new.dtype, self.dtype, "same_kind"):
        raise RuntimeError(f"{name}: result type {new.dtype} can't be cast to the tensor's type {self.dtype}")


def _change(self: Tensor, operand, name: str, compute) -> Tensor:
    """Overwrite ``self`` with ``compute(current)``, ``current`` standing for its value now;
    ``operand`` is what else the change reads (None, a number, a Tensor, or a tuple of them)."""
    operands = operand if isinstance(operand, tuple) else (operand,)
    if not _recording(self, *operands):
        new = compute(self)
        _check_result(self, new, name)
        self._data[...] = new._data
        bump(self)
        return self
    if self._version_counter.viewed:
        raise RuntimeError(
            f"{name}: a tensor of shape {self.shape} that shares its storage with a view (reshape, transpose, "
            "slice) cannot be changed in place while gradients are recorded; change a .clone() of it instead"
        )
    current = Tensor._wrap(self._data, self._backend, self._ctx)
    current.requires_grad = self.requires_grad
    new = compute(current)
    _check_result(self, new, name)
    if any(t is current for t in new._ctx.saved):  # its backward needs the old value
        current._data = current._data.copy()
    new = new.astype(self.dtype)
    self._data[...] = new._data
    self._ctx = new._ctx
    self.requires_grad = True
    bump(self)
    return self


# The in-place ops -----------------------------------------------------------------


def add_(self, other, alpha=1):
    """self ← self + alpha·other (PyTorch's ``add_``; ``p.add_(g, alpha=-lr)``)."""
    other = scaled(other, alpha, self)
    return _change(self, other, "add_", lambda x: add(x, other))


def sub_(self, other, alpha=1):
    """self ← self − alpha·other (PyTorch's ``sub_``)."""
    other = scaled(other, alpha, self)
    return _change(self, other, "sub_", lambda x: sub(x, other))


def mul_(self, other):
    """self ← self · other."""
    return _change(self, other, "mul_", lambda x: mul(x, other))


def div_(self, other):
    """self ← self / other."""
    return _change(self, other, "div_", lambda x: div(x, other))


def clamp_(self, min=None, max=None):  # noqa: A002 - PyTorch's argument names
    """self ← clamp(self, min, max); a Tensor bound is an operand (see :func:`clamp`)."""
    bounds = [b for b in (min, max) if isinstance(b, Tensor)]
    operand = bounds[0] if len(bounds) == 1 else None
    if len(bounds) == 2:
        raise TypeError("clamp_: give at most one bound as a Tensor (the other as a number)")
    return _change(self, operand, "clamp_", lambda x: clamp(x, min, max))


def clamp_min_(self, min):  # noqa: A002 - PyTorch's argument name
    return clamp_(self, min=min)


def clamp_max_(self, max):  # noqa: A002 - PyTorch's argument name
    return clamp_(self, max=max)


def setitem(self, index, value):
    """``self[index] = value``: ``value`` (a number or a Tensor) broadcast over the
    indexed part; integer, slice, mask and integer-array indices as in reading (integers
    beside index arrays taken first, as PyTorch takes them: see
    :func:`~tinygrad_bn.ops.shape.integers_first`)."""
    index = _index_argument(index)
    value = value if isinstance(value, Tensor) else lift(value, self)
    steps = integers_first(index)
    if steps is not None:
        selected, rest = steps
        if not _recording(self, value):
            setitem(Tensor._wrap(self._data[selected], self._backend, None), rest, value)  # a view of self's memory
            bump(self)
            return
        _change(self, value, "setitem",
                lambda x: SetItem.apply(x, SetItem.apply(getitem(x, selected), value, index=rest), index=selected))
        return
    target = self._data[index].shape
    while value.ndim > len(target) and value.shape[0] == 1:  # NumPy drops leading ones, so does the gradient
        value = value.reshape(value.shape[1:])
    if broadcast_shapes(value.shape, target) != target:
        raise RuntimeError(
            f"setitem: a value of shape {value.shape} cannot be broadcast to the indexed part of shape {target}"
        )
    if not _recording(self, value):
        self._data[index] = value._data
        bump(self)
        return
    _change(self, value, "setitem", lambda x: SetItem.apply(x, value, index=index))


def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    """self ← :func:`~tinygrad_bn.ops.indexing.scatter` of it (PyTorch's ``scatter_``:
    ``torch.zeros(n, C).scatter_(1, y.unsqueeze(1), 1.0)`` is a one-hot encoding)."""
    src = value if src is None else src
    return _change(self, src, "scatter_", lambda x: scatter(x, dim, index, src, reduce=reduce))


def scatter_add_(self, dim, index, src):
    """self ← :func:`~tinygrad_bn.ops.indexing.scatter_add` of it (PyTorch's ``scatter_add_``)."""
    return _change(self, src, "scatter_add_", lambda x: scatter_add(x, dim, index, src))


def index_add_(self, dim, index, source, *, alpha=1):
    """self ← :func:`~tinygrad_bn.ops.indexing.index_add` of it (PyTorch's ``index_add_``)."""
    return _change(self, source, "index_add_", lambda x: index_add(x, dim, index, source, alpha=alpha))


def index_put_(self, indices, values, accumulate=False):
    """self ← :func:`~tinygrad_bn.ops.indexing.index_put` of it (PyTorch's ``index_put_``)."""
    return _change(self, values, "index_put_", lambda x: index_put(x, indices, values, accumulate))


def put_(self, index, source, accumulate=False):
    """self ← :func:`~tinygrad_bn.ops.indexing.put` of it (PyTorch's ``put_``)."""
    return _change(self, source, "put_", lambda x: put(x, index, source, accumulate))


def index_copy_(self, dim, index, source):
    """self ← :func:`~tinygrad_bn.ops.indexing.index_copy` of it (PyTorch's ``index_copy_``)."""
    return _change(self, source, "index_copy_", lambda x: index_copy(x, dim, index, source))


def index_fill_(self, dim, index, value):
    """self ← :func:`~tinygrad_bn.ops.indexing.index_fill` of it (PyTorch's ``index_fill_``)."""
    return _change(self, value, "index_fill_", lambda x: index_fill(x, dim, index, value))


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    """self ← :func:`~tinygrad_bn.ops.scatter_reduce.scatter_reduce` of it (PyTorch's ``scatter_reduce_``)."""
    return _change(self, src, "scatter_reduce_",
                   lambda x: scatter_reduce(x, dim, index, src, reduce, include_self=include_self))


def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    """self ← :func:`~tinygrad_bn.ops.scatter_reduce.index_reduce` of it (PyTorch's ``index_reduce_``)."""
    return _change(self, source, "index_reduce_",
                   lambda x: index_reduce(x, dim, index, source, reduce, include_self=include_self))


def fill_(self, value):
    """Every element ← ``value`` (a number or a 0-d Tensor)."""
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"fill_ expects a number or a 0-d tensor, got shape {value.shape}")
    setitem(self, Ellipsis, value)
    return self


def zero_(self):
    """Every element ← 0."""
    return fill_(self, 0)


def clear_grad(tensor, set_to_none: bool = True):
    """What ``zero_grad`` does to one tensor's ``.grad``, as in PyTorch: set it to None,
    or with ``set_to_none=False`` detach it and fill it with zeros in place, so that it
    stays the same tensor."""
    grad = tensor.grad
    if set_to_none or grad is None:
        tensor.grad = None
        return
    grad.detach_()
    zero_(grad)


def copy_(self, src):
    """self ← ``src`` (broadcast to self's shape and cast to its dtype), in place; the
    gradient flows to ``src``. Under ``no_grad``, how parameters are loaded."""
    if not isinstance(src, Tensor):
        src = Tensor(src, device=self.device)
    elif src.device != self.device:
        src = src.to(self.device)
    _check_writable(self, "copy_")
    setitem(self, Ellipsis, src)
    return self


def bernoulli_(self, p=0.5, *, generator=None):
    """self ← 1 with probability ``p`` (a number, or a Tensor broadcast to self), else 0:
    :func:`~tinygrad_bn.ops.sampling.bernoulli`'s draws, PyTorch's for the same seed."""
    if isinstance(p, Tensor):
        return copy_(self, bernoulli(p.broadcast_to(self.shape), generator=generator))
    return copy_(self, bernoulli(self, p, generator=generator))


def masked_fill_(self, mask, value):
    """self ← ``value`` where ``mask`` is true (see :func:`~tinygrad_bn.ops.elementwise.masked_fill`)."""
    return _change(self, value, "masked_fill_", lambda x: masked_fill(x, mask, value))


def fill_diagonal_(self, fill_value, wrap=False):
    """self ← ``fill_value`` on its main diagonal: x[i, i] (x[i, i, i] for an n-d tensor
    of equal sides); with ``wrap``, a tall matrix's diagonal starts again every
    columns + 1 rows, as PyTorch's does.

    >>> from tinygrad_bn import zeros
    >>> zeros(5, 2).fill_diagonal_(1.0, wrap=True).tolist()
    [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    """
    if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) > 1):
        raise ShapeError(f"fill_diagonal_ expects a matrix, or a tensor whose sides are all equal, got shape "
                         f"{self.shape}")
    step = sum(math.prod(self.shape[axis + 1:]) for axis in range(self.ndim))  # from x[i, i, ...] to x[i+1, i+1, ...]
    tall_and_wrapped = wrap and self.ndim == 2 and self.shape[0] > self.shape[1]
    end = self.numel() if tall_and_wrapped else min(self.shape) * step
    diagonal = self.xp.zeros(self.numel(), dtype=bool)
    diagonal[:end:step] = True
    mask = constant(diagonal.reshape(self.shape), self)
    return _change(self, fill_value, "fill_diagonal_", lambda x: masked_fill(x, mask, fill_value))


def pow_(self, exponent):
    """self ← self ** exponent."""
    return _change(self, exponent, "pow_", lambda x: pow(x, exponent))


def lerp_(self, end, weight):
    """self ← self + weight·(end − self) (see :func:`~tinygrad_bn.ops.composite.lerp`)."""
    return _change(self, (end, weight), "lerp_", lambda x: lerp(x, end, weight))


def _unary(op, name: str):
    """The in-place form ``name`` of the one-input op ``op``: self ← op(self)."""

    def method(self):
        return _change(self, None, name, op)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"self ← {op.__name__}(self), in place."
    return method


def _view_in_place(self, compute) -> Tensor:
    """Make ``self`` the view ``compute(self)`` (a squeeze, an unsqueeze, a transpose) of
    its own memory: the values stay, the shape changes. While gradients are recorded,
    ``self`` becomes the view's output, as PyTorch records ``unsqueeze_``; its version
    moves on, so a backward that saved its old shape refuses it."""
    recording = _recording(self)  # refuses a leaf that requires grad, as PyTorch does
    current = Tensor._wrap(self._data, self._backend, self._ctx)
    current.requires_grad = self.requires_grad
    view = compute(current)
    self._data = view._data
    if recording:
        self._ctx = view._ctx
    bump(self)
    return self


def squeeze_(self, dim=None):
    """self ← self.squeeze(dim), in place."""
    return _view_in_place(self, lambda x: squeeze(x, dim))


def unsqueeze_(self, dim):
    """self ← self.unsqueeze(dim), in place."""
    return _view_in_place(self, lambda x: unsqueeze(x, dim))


def transpose_(self, dim0, dim1):
    """self ← self.transpose(dim0, dim1), in place."""
    return _view_in_place(self, lambda x: transpose(x, dim0, dim1))


def t_(self):
    """self ← self.t(), in place (a 0-d or 1-d tensor stays as it is)."""
    return _view_in_place(self, t)


def _operator(op, name: str):
    """``x op= y`` as the in-place op: it changes ``x`` itself (it returns ``x``)."""

    def method(self, other):
        return op(self, other)

    method.__name__ = name
    return method


METHODS = {
    "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_, "clamp_": clamp_, "clip_": clamp_,
    "clamp_min_": clamp_min_, "clamp_max_": clamp_max_, "fill_": fill_, "zero_": zero_, "copy_": copy_,
    "bernoulli_": bernoulli_, "scatter_": scatter_,
    "scatter_add_": scatter_add_,
    "index_add_": index_add_, "index_copy_": index_copy_, "index_fill_": index_fill_, "index_put_": index_put_,
    "scatter_reduce_": scatter_reduce_, "fill_diagonal_": fill_diagonal_, "masked_fill_": masked_fill_, "put_": put_,
    "pow_": pow_, "lerp_": lerp_, "index_reduce_": index_reduce_,
    "squeeze_": squeeze_, "unsqueeze_": unsqueeze_, "transpose_": transpose_, "t_": t_,
    **{f"{op.__name__}_": _unary(op, f"{op.__name__}_") for op in (abs, neg, exp, log, sqrt, sigmoid, tanh, relu,
                                                                    square)},
    "__setitem__": setitem, "__iadd__": _operator(add_, "__iadd__"), "__isub__": _operator(sub_, "__isub__"),
    "__imul__": _operator(mul_, "__imul__"), "__itruediv__": _operator(div_, "__itruediv__"),
}
