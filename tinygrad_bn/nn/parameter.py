"""`Parameter`, the tensor a :class:`~tinygrad_bn.nn.module.Module` learns, `Buffer`,
the state it keeps without learning, the `UninitializedParameter` and
`UninitializedBuffer` of lazy layers (:mod:`tinygrad_bn.nn.lazy`), and the checks
and zero-filled parameters that layers' constructors share.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.ops import zeros


class Parameter(Tensor):
    """A tensor that a :class:`Module` registers as a learned parameter.

    It shares ``data``'s array and requires grad by default.

    >>> from tinygrad_bn import zeros
    >>> w = Parameter(zeros(2, 3))
    >>> isinstance(w, Tensor), w.requires_grad, w.shape
    (True, True, (2, 3))
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        super().__init__([] if data is None else data, requires_grad=requires_grad)

    def __repr__(self):
        return f"Parameter containing:\n{super().__repr__()}"

    def __deepcopy__(self, memo):
        """A new parameter of a copy of the data, requiring grad as this one does; as in
        PyTorch, without this one's ``.grad`` or other attributes (a copied model starts
        with no gradients)."""
        copied = memo[id(self)] = Parameter(self.detach().clone(), self.requires_grad)
        return copied


class Buffer(Tensor):
    """A tensor that, assigned as a module's attribute (``self.x = nn.Buffer(t)``),
    is registered as a buffer, ``persistent`` (in the state dict) or not, as
    :meth:`Module.register_buffer` would. It shares ``data``'s array and keeps its
    ``requires_grad``.

    >>> from tinygrad_bn import nn, zeros
    >>> model = nn.Module()
    >>> model.steps = nn.Buffer(zeros(1))
    >>> model.cache = nn.Buffer(zeros(2), persistent=False)
    >>> [name for name, _ in model.named_buffers()], list(model.state_dict())
    (['steps', 'cache'], ['steps'])
    """

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent: bool = True):
        if data is not None and not isinstance(data, Tensor):
            raise TypeError(f"nn.Buffer expects a Tensor, got {type(data).__name__}; wrap it with tensor(...) first")
        source = zeros(0) if data is None else data
        super().__init__(source, requires_grad=source.requires_grad)
        self.persistent = persistent


class UninitializedTensorMixin:
    """What :class:`UninitializedParameter` and :class:`UninitializedBuffer` share: an
    empty tensor until :meth:`materialize` gives it a shape, in place (the same object,
    which an optimizer or a module may already hold), and makes it ``cls_to_become``."""

    __slots__ = ()
    cls_to_become: type

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor ``shape`` (zeros of its dtype and device unless given)."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        dtype = self.dtype if dtype is None else dtype
        device = self.device if device is None else device
        self._data = zeros(*shape, dtype=dtype, device=device)._data
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        copied = memo[id(self)] = type(self)(**self._arguments())
        return copied

    def _arguments(self) -> dict:
        return {"requires_grad": self.requires_grad, "device": self.device, "dtype": self.dtype}


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter without a shape yet, as lazy layers hold before their first input:
    :meth:`materialize` makes it a plain :class:`Parameter` of that shape."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(zeros(0, dtype=dtype, device=device), requires_grad=requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Buffer):
    """A buffer without a shape yet, as the running statistics of a lazy BatchNorm:
    :meth:`materialize` makes it a :class:`Buffer` of that shape.

    >>> buffer = UninitializedBuffer()
    >>> buffer, buffer.requires_grad
    (<UninitializedBuffer>, False)
    >>> buffer.materialize((2, 3))
    >>> type(buffer).__name__, buffer.shape
    ('Buffer', (2, 3))
    """

    __slots__ = ()
    cls_to_become = Buffer

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        super().__init__(zeros(0, dtype=dtype, device=device).requires_grad_(requires_grad), persistent=persistent)

    def _arguments(self) -> dict:
        return {**super()._arguments(), "persistent": self.persistent}


def positive_int(value, name: str) -> int:
    """``value`` if it is a positive int, as a layer's sizes must be."""
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def zero_parameter(shape, device, dtype) -> Parameter:
    """A zero Parameter of ``shape``, for a layer to initialise."""
    return Parameter(zeros(*shape, dtype=dtype, device=device))


def conv_channels(layer: str, in_channels: int, out_channels: int, groups: int) -> tuple:
    """A convolution's ``in_channels``, ``out_channels`` and ``groups``: positive ints,
    the channels divisible by the groups."""
    counts = (positive_int(in_channels, "in_channels"), positive_int(out_channels, "out_channels"))
    positive_int(groups, "groups")
    for label, count in zip(("in_channels", "out_channels"), counts):
        if count % groups:
            raise ValueError(f"{layer}: {label} ({count}) must be divisible by groups ({groups})")
    return (*counts, groups)
