"""`Tensor`: an array on a device, and its place in the computation graph.

This module holds what a tensor *is* (its data, device, gradient and graph
links). The arithmetic (``+``, ``@``, ``sum``, ``exp``, ...) is written as
primitive ops in :mod:`tinygrad_bn.ops`, which installs them as methods here.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy

from tinygrad_bn import printing
from tinygrad_bn.autograd import hooks, inference
from tinygrad_bn.autograd.version import UNCHANGED, bump, share
from tinygrad_bn.backend import Backend, backend_of_array, get_backend
from tinygrad_bn.dtypes import get_default_dtype
from tinygrad_bn.errors import DtypeError, ShapeError


def is_floating(dtype) -> bool:
    return numpy.dtype(dtype).kind == "f"


class Shape(tuple):
    """A tensor's shape: a tuple, with PyTorch's ``torch.Size`` method ``numel()``.

    >>> from tinygrad_bn import zeros
    >>> shape = zeros(2, 3).shape
    >>> shape, shape == (2, 3), shape.numel()
    ((2, 3), True, 6)
    """

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        return math.prod(self)


class Size(int):
    """A tensor's number of elements, NumPy's ``size``, that is also PyTorch's
    ``size()`` when called: ``x.size()`` is the shape and ``x.size(d)`` the length of
    axis ``d``.

    >>> from tinygrad_bn import zeros
    >>> x = zeros(2, 3)
    >>> x.size, x.size(), x.size(-1)
    (6, (2, 3), 3)
    """

    def __new__(cls, count: int, shape: tuple):
        size = super().__new__(cls, count)
        size.shape = shape
        return size

    def __call__(self, dim=None):
        if dim is None:
            return Shape(self.shape)
        ndim = len(self.shape)
        if not -ndim <= dim < ndim:
            raise IndexError(
                f"size({dim}): dimension out of range, expected one in [{-ndim}, {ndim - 1}] "
                f"for a tensor of shape {self.shape}"
            )
        return self.shape[dim]


def _host_array(data, dtype):
    """Python scalars and (nested) lists as a NumPy array: floats take the default
    dtype, float32 unless changed (NumPy scalars, like NumPy arrays, keep their dtype)."""
    array = numpy.asarray(data, dtype=dtype)
    if dtype is None and array.dtype == numpy.float64 and not isinstance(data, numpy.generic):
        array = array.astype(get_default_dtype())
    if array.dtype == object:
        raise TypeError(f"cannot make a Tensor from {type(data).__name__} {data!r}")
    return array


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.numpy().tolist()
    [[2.0, 4.0], [6.0, 8.0]]

    Python scalars and lists of floats take the default dtype (float32 unless
    changed by ``set_default_dtype``); NumPy (or CuPy) arrays keep their dtype
    unless ``dtype`` is given, as ``torch.as_tensor`` does (see docs/porting.md).
    """

    # _inference is set only on tensors made in inference mode (see is_inference)
    __slots__ = ("_data", "_backend", "requires_grad", "_ctx", "_grad", "_version_counter", "_inference",
                 "__weakref__")
    __array_priority__ = 1000  # so ndarray (op) Tensor defers to Tensor's reflected op
    __array_ufunc__ = None  # and NumPy's ufuncs too: numpy_array + tensor is a Tensor
    is_sparse = False  # PyTorch's layout test; True only for a RowSparseGrad (there are no sparse layouts)

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        if isinstance(data, Tensor):
            data = data._data
        source = backend_of_array(data)
        backend = get_backend(device) if device is not None else (source or get_backend("cpu"))
        if source is None:
            array = backend.from_host(_host_array(data, dtype))
        else:
            if source is not backend:
                data = backend.from_host(source.to_host(data))
            array = data if dtype is None else data.astype(dtype, copy=False)
        self._data = array
        self._backend = backend
        self._ctx = None
        self._grad = None
        self._version_counter = UNCHANGED
        self.requires_grad = False
        if inference.entered and inference.mode.enabled:
            self._inference = inference.made = True
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(data, backend: Backend, ctx=None) -> Tensor:
        """Wrap an array already on ``backend`` (no checks: the engine's fast path), except
        that a NumPy scalar, what NumPy gives for a 0-d result, becomes a 0-d array, so
        that in-place ops and ``out=`` can write into every tensor's data."""
        if not data.shape and not isinstance(data, backend.array_type):
            data = backend.xp.asarray(data)
        t = object.__new__(Tensor)
        t._data = data
        t._backend = backend
        t._ctx = ctx
        t._grad = None
        t._version_counter = UNCHANGED
        t.requires_grad = ctx is not None
        if inference.entered and inference.mode.enabled:
            t._inference = inference.made = True
        return t

    # What a tensor is ---------------------------------------------------------------

    @property
    def shape(self) -> Shape:
        return Shape(self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> Size:
        """The number of elements; called, PyTorch's ``size()`` (see :class:`Size`)."""
        return Size(self._data.size, self._data.shape)

    @property
    def _version(self) -> int:
        """PyTorch's ``_version``: how many in-place changes this tensor's storage has
        seen (shared with ``detach()`` and views; see :mod:`tinygrad_bn.autograd.version`).

        >>> from tinygrad_bn import Tensor, no_grad
        >>> p = Tensor([1.0, 2.0], requires_grad=True)
        >>> with no_grad():
        ...     p -= 0.5
        >>> p._version, p.detach()._version, p.data._version
        (1, 1, 0)
        """
        return self._version_counter.value

    def dim(self) -> int:
        """PyTorch's ``dim()``: the number of axes, as :attr:`ndim`."""
        return self._data.ndim

    def numel(self) -> int:
        """PyTorch's ``numel()``: the number of elements, as :attr:`size`."""
        return self._data.size

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        """PyTorch's ``device``: a :class:`tinygrad_bn.device` (``x.device.type == "cpu"``),
        which also equals its name, ``"cpu"`` or ``"cuda"``."""
        return self._backend.device

    @property
    def xp(self):
        """The array namespace of this tensor's device (numpy or cupy)."""
        return self._backend.xp

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-made tensors, parameters)."""
        return self._ctx is None

    def is_inference(self) -> bool:
        """PyTorch's ``is_inference()``: True for a tensor made inside ``inference_mode()``
        (by an op or a factory), False for one made outside, even when used inside.
        Unlike PyTorch's, a view or ``detach()`` follows the mode it is made in, not its base.

        >>> from tinygrad_bn import inference_mode, ones
        >>> x = ones(2)
        >>> with inference_mode():
        ...     y = x + 1
        >>> x.is_inference(), y.is_inference(), (y + 1).is_inference()
        (False, True, False)
        """
        return getattr(self, "_inference", False)  # the slot is unset outside inference mode

    @property
    def grad_fn(self):
        """The graph node that produced this tensor, or None for a leaf."""
        return self._ctx

    @property
    def grad(self):
        """The gradient accumulated by backward: on leaves that require grad, and on
        non-leaf tensors after :meth:`retain_grad`."""
        if self._ctx is not None:
            return self._ctx.grad if self._ctx.retains_grad else None
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"grad must be a Tensor or None, got {type(value).__name__}")
        if value is not None and value.shape != self.shape:
            raise ValueError(f"grad of shape {value.shape} does not match tensor of shape {self.shape}")
        if self._ctx is not None:
            self._ctx.grad = value
        else:
            self._grad = value

    def requires_grad_(self, requires_grad=True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place and return it."""
        if self._ctx is not None:
            raise RuntimeError("requires_grad can only be changed on leaf tensors; use .detach() first")
        if requires_grad and not is_floating(self.dtype):
            raise DtypeError(
                f"only floating point tensors can require gradients, got dtype {self.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def register_hook(self, hook) -> hooks.RemovableHandle:
        """Call ``hook(grad)`` with this tensor's gradient each time backward computes it;
        a Tensor it returns (of the gradient's shape and dtype) replaces the gradient
        from there on. Returns a handle whose ``remove()`` takes the hook off
        (see :mod:`~tinygrad_bn.autograd.hooks`)."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad; "
                               "call .requires_grad_() on a leaf first")
        if self._ctx is None:
            return hooks.add_hook(hooks.hooks_of_leaf(self), hook)
        if self._ctx.tensor_hooks is None:
            self._ctx.tensor_hooks = hooks.Hooks()
        return hooks.add_hook(self._ctx.tensor_hooks, hook)

    def register_post_accumulate_grad_hook(self, hook) -> hooks.RemovableHandle:
        """Call ``hook(tensor)`` on this leaf after backward has added to its ``.grad``
        (an optimizer step inside backward, for instance); its result is ignored."""
        if self._ctx is not None or not self.requires_grad:
            raise RuntimeError("post accumulate grad hooks go on leaf tensors that require grad only")
        return hooks.add_hook(hooks.hooks_of_leaf(self, after_accumulation=True), hook)

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if self._ctx is not None:
            self._ctx.retains_grad = True
        elif not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        return self

    # Leaving the graph -------------------------------------------------------------

    @property
    def data(self) -> Tensor:
        """PyTorch's ``.data``: the same storage as a new tensor outside the graph, so
        ``p.data.mul_(0.5)`` or ``p.data = other`` change ``p`` without recording.
        As in PyTorch, it has a version counter of its own: changes made through it are
        not seen by backward (use ``detach()`` for that). Setting ``p.data`` counts as a
        change of ``p``. (The library reads the backend array itself through ``_data``.)

        >>> from tinygrad_bn import Tensor
        >>> p = Tensor([1.0, 2.0], requires_grad=True)
        >>> p.data.requires_grad, p.data.tolist()
        (False, [1.0, 2.0])
        """
        return Tensor._wrap(self._data, self._backend, None)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        if value.device != self.device:
            raise RuntimeError(f"cannot set data on {self.device!r} to a tensor on {value.device!r}")
        self._data = value._data
        bump(self)

    def detach(self) -> Tensor:
        """The same data as a new leaf that does not require grad; it shares this
        tensor's version counter, so in-place changes through it are seen by backward."""
        detached = Tensor._wrap(self._data, self._backend, None)
        share(self, detached)
        return detached

    def detach_(self) -> Tensor:
        """Make this tensor, in place, a leaf that does not require grad: backward no
        longer reaches the graph that made it (truncated backpropagation through time)."""
        self._ctx = None
        self.requires_grad = False
        return self

    def numpy(self):
        """The data as a NumPy array on the host (a copy for device tensors)."""
        return self._backend.to_host(self._data)

    def __array__(self, dtype=None, copy=None):
        """``numpy.asarray(tensor)``: the data on the host, as :meth:`numpy`."""
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ShapeError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    # Backward --------------------------------------------------------------------

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad,
        or with ``inputs`` (a Tensor or a sequence of them) into those tensors' ``.grad``
        only, as PyTorch's (a non-leaf input keeps its gradients from then on).

        ``gradient`` is the upstream gradient (required unless self has one element);
        the graph is kept for another backward with ``retain_graph``, which defaults
        to ``create_graph``.

        >>> from tinygrad_bn import Tensor
        >>> w, b = Tensor([2.0], requires_grad=True), Tensor([1.0], requires_grad=True)
        >>> (w * w + b).sum().backward(inputs=[w])
        >>> w.grad.tolist(), b.grad
        ([4.0], None)
        """
        from tinygrad_bn.autograd.engine import backward

        gradients = None if gradient is None else [gradient]
        backward([self], gradients, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    # Presentation ------------------------------------------------------------------

    def __repr__(self):
        body = numpy.array2string(self.numpy(), separator=", ", prefix="Tensor(", **printing.options)
        extras = [f"dtype={self.dtype}"]
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({body}, {', '.join(extras)})"

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __bool__(self):
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()"
            )
        return bool(self.item())

    def __format__(self, spec):
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``), as in PyTorch."""
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.size != 1 or is_floating(self.dtype):
            raise TypeError(f"only integer tensors of one element can be used as an index, got {self.dtype}")
        return int(self.item())

    __hash__ = object.__hash__


class RowSparseGrad(Tensor):
    """The gradient an embedding with ``sparse=True`` gives its weight, in place of PyTorch's
    sparse one: a dense tensor (zero outside the rows looked up) that also names those rows,
    in ``rows`` (sorted, unique, on its device). ``is_sparse`` is True, so code that asks
    takes PyTorch's branch: SparseAdam updates those rows only, Adam refuses it. Every op
    works on it as on any tensor and gives an ordinary one; in-place ops keep the rows. The
    backward engine adds two of them into one naming both's rows, and one and an ordinary
    gradient into an ordinary tensor, as PyTorch adds sparse and dense gradients.

    >>> from tinygrad_bn import nn, tensor
    >>> table = nn.Embedding(5, 2, sparse=True)
    >>> table(tensor([3, 1, 3])).sum().backward()
    >>> table.weight.grad.is_sparse, table.weight.grad.rows.tolist(), (table.weight.grad * 2).is_sparse
    (True, [1, 3], False)
    """

    __slots__ = ("rows",)
    is_sparse = True

    @staticmethod
    def naming(grad: Tensor, rows) -> RowSparseGrad:
        """``grad`` (its array, not a copy, and its place in the graph) naming ``rows``."""
        marked = object.__new__(RowSparseGrad)
        marked._data, marked._backend, marked._ctx = grad._data, grad._backend, grad._ctx
        marked._grad, marked._version_counter = None, grad._version_counter
        marked.requires_grad = grad.requires_grad
        marked.rows = rows
        return marked


def is_scalar(value) -> bool:
    """True for Python numbers (and NumPy scalars), which ops lift to tensors."""
    return type(value) in _PYTHON_NUMBERS or isinstance(value, numbers.Number)


_PYTHON_NUMBERS = (float, int, bool)


def as_tensors(value, what: str = "argument") -> tuple:
    """A Tensor, or a sequence of them, as a tuple (``what`` names it in the error)."""
    if isinstance(value, Tensor):
        return (value,)
    if isinstance(value, Sequence):
        return tuple(value)
    raise TypeError(f"{what} must be a Tensor or a sequence of Tensors, got {type(value).__name__}")
