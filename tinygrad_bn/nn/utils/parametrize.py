"""Parametrizations, as PyTorch's ``torch.nn.utils.parametrize``: a module's tensor
that is computed, each time it is read, from tensors that are the ones learned.

``register_parametrization(layer, "weight", P)`` moves the parameter ``weight`` to
``layer.parametrizations.weight.original`` (a :class:`ParametrizationList`, which
holds P) and gives ``layer`` a class of its own, a subclass of its class named
``Parametrized<Class>``, where ``weight`` is a property:

- reading ``layer.weight`` computes P(original), so the gradient reaches original;
- assigning ``layer.weight = X`` stores P.right_inverse(X) in original (in place);
- at registration original becomes P.right_inverse(weight) when P has one; a
  ``right_inverse`` returning a tuple gives one tensor per element, ``original0``,
  ``original1``, ..., which P's forward takes as its arguments.

Registering another parametrization on the same tensor chains it after the first:
the tensor is P₂(P₁(original)). The state-dict keys are PyTorch's
(``parametrizations.weight.original``), so checkpoints move between the two.
:func:`remove_parametrizations` undoes it all and :func:`cached` computes each
parametrized tensor once inside a ``with`` block.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.nn.container import ModuleDict, ModuleList
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import Parameter

__all__ = [
    "ParametrizationList", "cached", "is_parametrized", "register_parametrization", "remove_parametrizations",
    "type_before_parametrizations",
]


class _Cache:
    """The parametrized tensors computed inside open :func:`cached` blocks."""

    depth = 0  # how many cached() blocks are open
    tensors = {}  # (id(module), tensor name) -> the tensor


@contextmanager
def cached():
    """Inside this block each parametrized tensor is computed once, on first access,
    and the same tensor is returned after that (for a module that reads its weight
    several times per forward, as recurrent layers do).

    >>> from tinygrad_bn import nn
    >>> class Doubled(nn.Module):
    ...     def forward(self, X):
    ...         return 2 * X
    >>> layer = register_parametrization(nn.Linear(2, 2), "weight", Doubled())
    >>> with cached():
    ...     layer.weight is layer.weight
    True
    >>> layer.weight is layer.weight
    False
    """
    _Cache.depth += 1
    try:
        yield
    finally:
        _Cache.depth -= 1
        if _Cache.depth == 0:
            _Cache.tensors.clear()


def _describe(tensor) -> str:
    return f"a {tensor.dtype} tensor of shape {tuple(tensor.shape)}"


def _check_like(got, dtype, shape, what: str):
    """Raise unless ``got`` is a Tensor of ``dtype`` and ``shape``."""
    if not isinstance(got, Tensor):
        raise ValueError(f"{what} must return a Tensor, got {type(got).__name__}")
    if got.dtype != dtype or got.shape != shape:
        raise ValueError(
            f"{what} must keep the tensor's dtype and shape ({dtype}, {tuple(shape)}), got {_describe(got)}; "
            "register with unsafe=True to allow that"
        )


def _check_dtype(got, expected: Tensor, what: str):
    """Raise unless ``got`` is a Tensor of ``expected``'s dtype."""
    if not isinstance(got, Tensor):
        raise ValueError(f"{what} must be a Tensor, got {type(got).__name__}")
    if got.dtype != expected.dtype:
        raise ValueError(f"{what} may not change the dtype: expected {expected.dtype}, got {got.dtype}")


def _set(original: Tensor, value: Tensor):
    """Give ``original`` the value (and shape) of ``value``, in place, as PyTorch's ``set_``."""
    if value is not original:
        original.data = value


def _register(module: Module, name: str, tensor: Tensor):
    """Register ``tensor`` on ``module`` as a parameter if it is one, else as a buffer."""
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the tensors they start
    from: ``original``, or ``original0``, ``original1``, ... when the first one's
    ``right_inverse`` returns a tuple. Calling it computes the parametrized tensor.

    >>> from tinygrad_bn import nn, tensor
    >>> class Square(nn.Module):
    ...     def forward(self, X):
    ...         return X * X
    ...     def right_inverse(self, Y):
    ...         return Y.sqrt()
    >>> chain = ParametrizationList([Square()], nn.Parameter(tensor([4.0, 9.0])))
    >>> chain.original.tolist(), chain().tolist()
    ([2.0, 3.0], [4.0, 9.0])
    """

    def __init__(self, modules, original: Tensor, unsafe: bool = False):
        modules = list(modules)
        if not modules:
            raise ValueError("ParametrizationList expects one or more parametrization modules, got none")
        super().__init__(modules)
        self.unsafe = unsafe
        dtype, shape = original.dtype, original.shape  # original's own may change below
        with no_grad():
            new = original
            for module in reversed(modules):  # a parametrization without right_inverse counts as the identity
                new = _optional_right_inverse(module, new)
        if isinstance(new, Tensor):
            self._start_from_one(original, new)
        elif isinstance(new, Sequence):
            self._start_from_several(original, new)
        else:
            raise ValueError(f"right_inverse must return a Tensor or a sequence of Tensors, got {type(new).__name__}")
        if not unsafe:
            _check_like(self(), dtype, shape, "a parametrization")

    def _start_from_one(self, original: Tensor, new: Tensor):
        self.is_tensor, self.ntensors = True, 1
        _check_dtype(new, original, "right_inverse returning one tensor")
        with no_grad():
            _set(original, new)
        _register(self, "original", original)

    def _start_from_several(self, original: Tensor, new: Sequence):
        self.is_tensor, self.ntensors = False, len(new)
        for i, tensor in enumerate(new):
            if not isinstance(tensor, Tensor):
                raise ValueError(f"right_inverse must return Tensors, got {type(tensor).__name__} at position {i}")
            if isinstance(original, Parameter):
                tensor = Parameter(tensor, requires_grad=original.requires_grad)
            _register(self, f"original{i}", tensor)

    def right_inverse(self, value: Tensor):
        """Store the originals that give ``value``: each parametrization's
        ``right_inverse``, last to first, in place and outside the graph."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(
                        f"cannot assign to a tensor parametrized by {type(module).__name__}: it has no right_inverse"
                    )
                value = module.right_inverse(value)
            if self.is_tensor:
                _check_dtype(value, self.original, "right_inverse returning one tensor")
                _set(self.original, value)
                return
            if not isinstance(value, Sequence) or len(value) != self.ntensors:
                raise ValueError(f"right_inverse must return a sequence of {self.ntensors} tensors, got {value!r}")
            for i, tensor in enumerate(value):
                original = getattr(self, f"original{i}")
                _check_dtype(tensor, original, f"element {i} of right_inverse's result")
                _set(original, tensor)

    def forward(self):
        modules = list(self)
        if self.is_tensor:
            x = modules[0](self.original)
        else:
            x = modules[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in modules[1:]:
            x = module(x)
        return x


def _optional_right_inverse(module: Module, value):
    """``module.right_inverse(value)``, or ``value`` if it has none."""
    if not hasattr(module, "right_inverse"):
        return value
    try:
        return module.right_inverse(value)
    except NotImplementedError:
        return value


def _parametrized_property(tensor_name: str) -> property:
    """The property that stands for ``tensor_name`` on a parametrized module's class."""

    def get(module):
        parametrizations = module.parametrizations[tensor_name]
        if _Cache.depth == 0:
            return parametrizations()
        key = (id(module), tensor_name)
        if key not in _Cache.tensors:
            _Cache.tensors[key] = parametrizations()
        return _Cache.tensors[key]

    def set_original(module, value):
        module.parametrizations[tensor_name].right_inverse(value)

    return property(get, set_original, doc=f"{tensor_name}, computed by module.parametrizations.{tensor_name}")


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False):
    """Make ``module.<tensor_name>`` the parametrization of a tensor learned in its
    place (see the module docstring); return ``module``.

    Unless ``unsafe``, the parametrization must keep the tensor's dtype and shape.

    >>> from tinygrad_bn import nn, ones
    >>> class Symmetric(nn.Module):
    ...     def forward(self, X):
    ...         return X.triu() + X.triu(1).T
    ...     def right_inverse(self, A):
    ...         return A.triu()
    >>> layer = register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
    >>> type(layer).__name__, list(layer.state_dict())
    ('ParametrizedLinear', ['bias', 'parametrizations.weight.original'])
    >>> (layer.weight == layer.weight.T).all().item()
    True
    >>> layer.weight = ones(3, 3)          # stored as right_inverse(ones) = its upper triangle
    >>> layer.parametrizations.weight.original.tolist()
    [[1.0, 1.0, 1.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            _check_chainable(getattr(module, tensor_name), parametrization)
        parametrizations = module.parametrizations[tensor_name]
        parametrizations.append(parametrization)
        parametrizations.unsafe |= unsafe
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(
            f"register_parametrization expects the name of a parameter, a buffer or a parametrized tensor of "
            f"{type(module).__name__}, got {tensor_name!r}"
        )
    parametrizations = ParametrizationList([parametrization], getattr(module, tensor_name), unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        cls = type(module)
        module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {})
        module.parametrizations = ModuleDict()
    setattr(type(module), tensor_name, _parametrized_property(tensor_name))
    module.parametrizations[tensor_name] = parametrizations
    return module


def _check_chainable(Y: Tensor, parametrization: Module):
    """Raise unless ``parametrization`` (and its right_inverse) keep ``Y``'s dtype and shape."""
    X = parametrization(Y)
    _check_like(X, Y.dtype, Y.shape, "a parametrization")
    Z = _optional_right_inverse(parametrization, X)
    _check_like(Z, X.dtype, X.shape, "right_inverse of a chained parametrization")


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization on ``tensor_name`` (on any tensor
    when ``tensor_name`` is None).

    >>> from tinygrad_bn import nn
    >>> is_parametrized(nn.Linear(2, 2))
    False
    """
    parametrizations = getattr(module, "parametrizations", None)
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def type_before_parametrizations(module: Module) -> type:
    """The class ``module`` had before it was parametrized.

    >>> from tinygrad_bn import nn
    >>> type_before_parametrizations(nn.Linear(2, 2)).__name__
    'Linear'
    """
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True):
    """Undo :func:`register_parametrization` on ``tensor_name``: it becomes a plain
    parameter (or buffer) again, holding the parametrized value if
    ``leave_parametrized``, else the original; return ``module``.

    With ``leave_parametrized`` the tensor stays the same object as ``original``
    (its data replaced), so an optimizer that holds it keeps working.

    >>> from tinygrad_bn import nn
    >>> class Doubled(nn.Module):
    ...     def forward(self, X):
    ...         return 2 * X
    >>> layer = nn.Linear(1, 1)
    >>> _ = nn.init.ones_(layer.weight)
    >>> layer = remove_parametrizations(register_parametrization(layer, "weight", Doubled()), "weight")
    >>> type(layer).__name__, layer.weight.tolist()
    ('Linear', [[2.0]])
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"{type(module).__name__} has no parametrization on {tensor_name!r}")
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with no_grad():
                _set(original, getattr(module, tensor_name))
    elif leave_parametrized:
        value = getattr(module, tensor_name)
        original = Parameter(value.detach(), requires_grad=value.requires_grad)
    else:
        raise ValueError(
            f"remove_parametrizations with leave_parametrized=False cannot restore {tensor_name!r}: it is "
            f"parametrized by {parametrizations.ntensors} tensors, not one"
        )
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module
