"""Lazy layers: a layer whose input size is read from its first input, as PyTorch's
``nn.LazyLinear``, ``nn.LazyConv2d``, ``nn.LazyBatchNorm2d`` ...

One mechanism, :class:`LazyModuleMixin`, serves them all. Until the first input
the layer's parameters are :class:`UninitializedParameter`\\ s (and BatchNorm's
running statistics :class:`UninitializedBuffer`\\ s), which an optimizer may
already hold: the first forward reads the size from the input, gives them their
shapes in place, the same objects, then initialises them as the full layer would,
drawing from the generator at that moment, and the layer becomes that full layer
(``LazyConv2d`` becomes ``Conv2d``), as in PyTorch. A state dict loaded before
that gives them the checkpoint's shapes instead.

>>> from tinygrad_bn import manual_seed, ones
>>> generator = manual_seed(0)
>>> layer = LazyLinear(3)
>>> layer
LazyLinear(in_features=0, out_features=3, bias=True)
>>> layer(ones(2, 5)).shape, layer
((2, 3), Linear(in_features=5, out_features=3, bias=True))
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn import state_dict as state_dicts
from tinygrad_bn.nn.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from tinygrad_bn.nn.conv3d import Conv3d
from tinygrad_bn.nn.conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from tinygrad_bn.nn.instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from tinygrad_bn.nn.layers import Conv1d, Conv2d, Linear
from tinygrad_bn.nn.parameter import UninitializedBuffer, UninitializedParameter, UninitializedTensorMixin

NORM_TENSORS = ("weight", "bias", "running_mean", "running_var")  # each of shape (num_features,)


def is_lazy(value) -> bool:
    """Whether ``value`` is a parameter or buffer still waiting for its shape."""
    return isinstance(value, UninitializedTensorMixin)


class LazyModuleMixin:
    """What makes a module lazy, PyTorch's ``torch.nn.modules.lazy.LazyModuleMixin``:
    before the first forward, :meth:`initialize_parameters` is called with the
    forward's arguments to shape every :class:`UninitializedParameter` and
    :class:`UninitializedBuffer`, and the module then becomes ``cls_to_become`` (if
    set). A state dict loaded before that shapes them from its tensors. A module of
    one's own writes ``class MyLazy(LazyModuleMixin, Module)`` and its own
    ``initialize_parameters``.

    The lazy layers here are ``class LazyX(LazyModuleMixin, X)``: their constructor
    builds the full layer ``X`` with a stand-in size (which draws nothing) and calls
    :meth:`_make_lazy`; each names the size it infers (``size_name``), reads it from
    an input (``_size_of``), gives the shapes of its tensors for a size (``_shapes``)
    and reads the size back from loaded tensors (``_loaded_size``).

    >>> from tinygrad_bn import nn, ones
    >>> class Scale(LazyModuleMixin, nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.gain = UninitializedParameter()
    ...     def initialize_parameters(self, x):
    ...         self.gain.materialize(x.shape[-1:])
    ...     def forward(self, x):
    ...         return x * self.gain
    >>> scale = Scale()
    >>> scale.has_uninitialized_params(), scale(ones(2, 3)).shape, scale.has_uninitialized_params()
    (True, (2, 3), False)
    """

    cls_to_become: type | None = None
    size_name: str = ""
    lazy_buffers: tuple = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        forward = self.register_forward_pre_hook(_infer_from_input)
        load = self._register_load_state_dict_pre_hook(_shape_from_state_dict, with_module=True)
        self._lazy_hooks = (forward.id, load.id)  # ids, not handles: a deep copy's handles point at the original

    def _make_lazy(self):
        """Swap the parameters (and ``lazy_buffers``) for uninitialised ones and set the
        size to 0, PyTorch's value until it is known."""
        for name, param in self._parameters.items():
            if param is not None:
                self._parameters[name] = UninitializedParameter(param.requires_grad, param.device, param.dtype)
        for name in self.lazy_buffers:
            buffer = self._buffers.get(name)
            if buffer is not None:
                persistent = name not in self._non_persistent_buffers
                self._buffers[name] = UninitializedBuffer(device=buffer.device, dtype=buffer.dtype,
                                                          persistent=persistent)
        setattr(self, self.size_name, 0)

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer still waits for its shape."""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def reset_parameters(self):
        """The full layer's, once the tensors have shapes (nothing before, nor while the
        full layer's constructor runs)."""
        if "_lazy_hooks" in self.__dict__ and not self.has_uninitialized_params():
            super().reset_parameters()

    def initialize_parameters(self, input):  # noqa: A002 - PyTorch's argument name
        """Read the size from ``input``, shape the waiting tensors for it and draw their
        initial values."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__} needs an input Tensor to infer its parameters' shapes, "
                            f"got {type(input).__name__}")
        size = self._size_of(input)
        shapes = self._shapes(size)
        waiting = [name for name in shapes if is_lazy(self._member(name))]
        loaded = [name for name in shapes if self._member(name) is not None and name not in waiting]
        if waiting and loaded:
            raise RuntimeError(f"{type(self).__name__}: {', '.join(waiting)} are still uninitialized after a "
                               f"state dict gave {', '.join(loaded)}; load all of its entries, or none, before "
                               "the first forward")
        setattr(self, self.size_name, size)
        for name in waiting:
            self._member(name).materialize(shapes[name])
        if waiting:
            self.reset_parameters()

    def _member(self, name: str):
        return self._parameters.get(name, self._buffers.get(name))

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool):
        """The full layer's entries, with each tensor still waiting for its shape given as
        itself, as PyTorch gives it."""
        super()._save_to_state_dict(destination, prefix, keep_vars)
        for name, tensor in (*self._parameters.items(), *self._buffers.items()):
            if is_lazy(tensor) and prefix + name in destination:
                destination[prefix + name] = tensor

    def _size_of(self, input) -> int:  # noqa: A002
        raise NotImplementedError

    def _shapes(self, size: int) -> dict:
        raise NotImplementedError

    def _loaded_size(self) -> int:
        raise NotImplementedError


def _infer_from_input(module, args):
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"{type(module).__name__}.initialize_parameters() left parameters or buffers "
                           "uninitialized; it must materialize every one of them")
    _become_full(module)


def _shape_from_state_dict(module, state_dict, prefix, *args):
    """Shape each waiting tensor as the checkpoint's entry for it; once none waits, a
    lazy layer of this module is the full one, its size read from those tensors."""
    shaped = False
    for name, tensor in (*module._parameters.items(), *module._buffers.items()):
        entry = state_dict.get(prefix + name)
        if is_lazy(tensor) and entry is not None and not is_lazy(entry):
            tensor.materialize(tuple(entry.shape))
            shaped = True
    if shaped and module.size_name and not module.has_uninitialized_params():
        setattr(module, module.size_name, module._loaded_size())
        _become_full(module)


def _become_full(module):
    """Take the lazy hooks off this module's own hook tables and become ``cls_to_become``."""
    forward_id, load_id = module.__dict__.pop("_lazy_hooks")
    module._hook_tables["forward_pre"].pop(forward_id)
    state_dicts.hooks(module, "load_pre").pop(load_id)
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """:class:`Linear` whose ``in_features`` is the last size of its first input.

    ``weight`` and ``bias`` start as :class:`UninitializedParameter`; the first forward
    shapes them, draws PyTorch's initial values and turns the layer into a ``Linear``.
    A state dict loaded before that shapes them from its tensors instead.
    """

    cls_to_become = Linear
    size_name = "in_features"

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(1, out_features, bias, device, dtype)
        self._make_lazy()

    def _size_of(self, input) -> int:  # noqa: A002
        if input.ndim < 1:
            raise ValueError(f"LazyLinear needs an input of at least 1 dimension, got shape {input.shape}")
        return input.shape[-1]

    def _shapes(self, size: int) -> dict:
        return {"weight": (self.out_features, size), "bias": (self.out_features,)}

    def _loaded_size(self) -> int:
        return self.weight.shape[1]


class _LazyChannelsMixin(LazyModuleMixin):
    """A (transposed) convolution whose ``in_channels`` is its first input's channel
    count: axis 1 of a batch, axis 0 of one sample."""

    size_name = "in_channels"

    def _size_of(self, input) -> int:  # noqa: A002
        if input.ndim not in (self.axes + 1, self.axes + 2):
            raise ShapeError(f"Expected {self.axes + 1}D (unbatched) or {self.axes + 2}D (batched) input to "
                             f"{type(self).__name__}, but got input of size: {input.shape}")
        channels = input.shape[input.ndim - self.axes - 1]
        if channels < 1 or channels % self.groups:
            raise ValueError(f"{type(self).__name__}: the input's {channels} channels must be a positive multiple "
                             f"of groups ({self.groups}), got input of size {input.shape}")
        return channels


class _LazyConvMixin(_LazyChannelsMixin):
    """A lazy convolution: weight (C_out, C_in/groups, *kernel_size)."""

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(groups, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                         device, dtype)
        self._make_lazy()

    def _shapes(self, size: int) -> dict:
        return {"weight": (self.out_channels, size // self.groups, *self.kernel_size), "bias": (self.out_channels,)}

    def _loaded_size(self) -> int:
        return self.weight.shape[1] * self.groups


class _LazyConvTransposeMixin(_LazyChannelsMixin):
    """A lazy transposed convolution: weight (C_in, C_out/groups, *kernel_size)."""

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0, groups: int = 1,
                 bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__(groups, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation,
                         padding_mode, device, dtype)
        self._make_lazy()

    def _shapes(self, size: int) -> dict:
        return {"weight": (size, self.out_channels // self.groups, *self.kernel_size), "bias": (self.out_channels,)}

    def _loaded_size(self) -> int:
        return self.weight.shape[0]


class _LazyNormMixin(LazyModuleMixin):
    """A BatchNorm or InstanceNorm whose ``num_features`` is its first input's channel
    count; γ, β and the running statistics wait for it. As PyTorch's, ``affine`` and
    ``track_running_stats`` default to True (also for InstanceNorm)."""

    size_name = "num_features"
    lazy_buffers = ("running_mean", "running_var")

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None,
                 **keywords):
        super().__init__(1, eps, momentum, affine, track_running_stats, device, dtype, **keywords)
        self._make_lazy()

    def _channel_axis(self, input) -> int:  # noqa: A002
        return 1

    def _size_of(self, input) -> int:  # noqa: A002
        if input.ndim <= self._channel_axis(input):
            raise ShapeError(f"{type(self).__name__} expects input of shape (N, C, ...), got {input.shape}")
        return input.shape[self._channel_axis(input)]

    def _shapes(self, size: int) -> dict:
        return dict.fromkeys(NORM_TENSORS, (size,))

    def _loaded_size(self) -> int:
        return next(t.shape[0] for t in map(self._member, NORM_TENSORS) if t is not None)


class _LazyInstanceNormMixin(_LazyNormMixin):
    """Channels on axis 1 of a batch, axis 0 of one sample (where PyTorch's lazy
    InstanceNorm reads axis 1 of a sample too, and fails)."""

    def _channel_axis(self, input) -> int:  # noqa: A002
        return 0 if input.ndim == len(self.spatial_axes) + 1 else 1


class LazyConv1d(_LazyConvMixin, Conv1d):
    """:class:`~tinygrad_bn.nn.layers.Conv1d` whose ``in_channels`` is read from its first input.

    >>> from tinygrad_bn import ones
    >>> conv = LazyConv1d(8, kernel_size=3)
    >>> conv
    LazyConv1d(0, 8, kernel_size=(3,), stride=(1,))
    >>> conv(ones(2, 5, 10)).shape, conv
    ((2, 8, 8), Conv1d(5, 8, kernel_size=(3,), stride=(1,)))
    """

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvMixin, Conv2d):
    """:class:`~tinygrad_bn.nn.layers.Conv2d` whose ``in_channels`` is read from its first input."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConvMixin, Conv3d):
    """:class:`~tinygrad_bn.nn.conv3d.Conv3d` whose ``in_channels`` is read from its first input."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTransposeMixin, ConvTranspose1d):
    """:class:`~tinygrad_bn.nn.conv_transpose.ConvTranspose1d` whose ``in_channels`` is read
    from its first input."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTransposeMixin, ConvTranspose2d):
    """:class:`~tinygrad_bn.nn.conv_transpose.ConvTranspose2d` whose ``in_channels`` is read
    from its first input.

    >>> from tinygrad_bn import ones
    >>> up = LazyConvTranspose2d(2, kernel_size=2, stride=2)
    >>> up(ones(1, 4, 3, 3)).shape, up.weight.shape
    ((1, 2, 6, 6), (4, 2, 2, 2))
    """

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTransposeMixin, ConvTranspose3d):
    """:class:`~tinygrad_bn.nn.conv_transpose.ConvTranspose3d` whose ``in_channels`` is read
    from its first input."""

    cls_to_become = ConvTranspose3d


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """:class:`~tinygrad_bn.nn.batchnorm.BatchNorm1d` whose ``num_features`` is read from its
    first input; until then γ, β are :class:`UninitializedParameter`\\ s and the running
    statistics :class:`UninitializedBuffer`\\ s.

    >>> from tinygrad_bn import randn
    >>> bn = LazyBatchNorm1d()
    >>> bn
    LazyBatchNorm1d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    >>> bn(randn(8, 3)).shape, bn.running_mean.shape, type(bn).__name__
    ((8, 3), (3,), 'BatchNorm1d')
    """

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """:class:`~tinygrad_bn.nn.batchnorm.BatchNorm2d` whose ``num_features`` is read from its first input."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormMixin, BatchNorm3d):
    """:class:`~tinygrad_bn.nn.batchnorm.BatchNorm3d` whose ``num_features`` is read from its first input."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyInstanceNormMixin, InstanceNorm1d):
    """:class:`~tinygrad_bn.nn.instance_norm.InstanceNorm1d` whose ``num_features`` is read
    from its first input (``affine`` and ``track_running_stats`` default to True).

    >>> from tinygrad_bn import randn
    >>> norm = LazyInstanceNorm1d()
    >>> norm(randn(3, 10)).shape, norm
    ((3, 10), InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True))
    """

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNormMixin, InstanceNorm2d):
    """:class:`~tinygrad_bn.nn.instance_norm.InstanceNorm2d` whose ``num_features`` is read from its first input."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNormMixin, InstanceNorm3d):
    """:class:`~tinygrad_bn.nn.instance_norm.InstanceNorm3d` whose ``num_features`` is read from its first input."""

    cls_to_become = InstanceNorm3d
