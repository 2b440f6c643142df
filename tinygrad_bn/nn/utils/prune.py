"""Unstructured and structured pruning, as PyTorch's ``torch.nn.utils.prune``.

Pruning a module's tensor ``name`` moves the parameter to ``name + "_orig"``, adds a
buffer ``name + "_mask"`` of ones and zeros, and makes ``name`` the plain tensor
``orig * mask``, recomputed by a forward pre-hook before each call, so gradients
reach ``orig`` only where the mask keeps it. Pruning the same tensor again prunes
among the entries still kept (the new ``amount`` counts those), or, for a
structured method, among the channels still keeping an entry; the scores are then
the pruned tensor ``name`` itself, as in PyTorch. :func:`remove` makes ``name`` a
parameter holding ``orig * mask`` again.

>>> from tinygrad_bn import nn, no_grad, tensor
>>> layer = nn.Linear(2, 2)
>>> with no_grad():
...     _ = layer.weight.copy_(tensor([[0.1, -2.0], [0.3, 0.05]]))
>>> _ = l1_unstructured(layer, "weight", amount=0.5)
>>> layer.weight.tolist(), sorted(name for name, _ in layer.named_buffers())
([[0.0, -2.0], [0.30000001192092896, 0.0]], ['weight_mask'])
>>> _ = remove(layer, "weight")
>>> sorted(name for name, _ in layer.named_parameters())
['bias', 'weight']

Structured pruning zeroes whole channels: the slices along one ``dim`` of least
n-norm (``ln_structured``) or chosen at random (``random_structured``).

The amount is a fraction in [0, 1] (rounded to a count as PyTorch rounds it) or a
count. Which of several equal magnitudes (or channel norms) ``l1_unstructured``
(``ln_structured``) prunes may differ from PyTorch's choice; ``random_unstructured``
and ``random_structured`` draw PyTorch's numbers after the same seed.
"""

from __future__ import annotations

import numbers

from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.autograd.version import bump
from tinygrad_bn.ops import cat, kthvalue, norm, ones_like, rand, rand_like, zeros_like


def _check_amount(amount):
    """``amount`` if it is a fraction in [0, 1] or a non-negative count, as PyTorch checks it."""
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (amount < 0 if isinstance(amount, numbers.Integral) else not 0.0 <= amount <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")
    return amount


def _count(amount, size: int) -> int:
    """How many of ``size`` entries ``amount`` prunes."""
    _check_amount(amount)
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={size}")
        return int(amount)
    return round(amount * size)


class BasePruningMethod:
    """A way of choosing a mask: subclasses write :meth:`compute_mask`."""

    PRUNING_TYPE = "unstructured"
    _tensor_name: str

    def compute_mask(self, t, default_mask):
        raise NotImplementedError(f"{type(self).__name__} does not define compute_mask()")

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    def apply_mask(self, module):
        """``orig * mask`` of the pruned tensor."""
        orig = getattr(module, self._tensor_name + "_orig")
        return orig * getattr(module, self._tensor_name + "_mask")

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` with this method's mask applied (a new tensor)."""
        scores = t if importance_scores is None else importance_scores
        mask = ones_like(t) if default_mask is None else default_mask
        return t * self.compute_mask(scores, default_mask=mask)

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module``'s tensor ``name`` with ``cls(*args, **kwargs)``."""
        method = cls(*args, **kwargs)
        method._tensor_name = name
        previous = _pruning_hook(module, name)
        if previous is not None:
            key, previous = previous
            orig = module._parameters[name + "_orig"]
            current = getattr(module, name)  # orig * mask: what PyTorch scores when pruning again
            default_mask = getattr(module, name + "_mask").detach().clone()
        else:
            orig = getattr(module, name)
            if not isinstance(orig, Tensor):
                raise AttributeError(f"{type(module).__name__} has no tensor named {name!r} to prune")
            current, default_mask = orig, ones_like(orig)
        scores = current if importance_scores is None else importance_scores
        if scores.shape != orig.shape:
            raise ValueError(f"importance_scores should have the shape of parameter {name}, "
                             f"{tuple(orig.shape)}, got {tuple(scores.shape)}")
        with no_grad():
            mask = _combined_mask(method, scores.detach(), default_mask)
        if previous is None:
            del module._parameters[name]
            module.register_parameter(name + "_orig", orig)
        else:
            _pre_hooks(module).pop(key)  # the new method replaces the old hook
        module.register_buffer(name + "_mask", mask)
        handle = module.register_forward_pre_hook(method)
        method._handle = handle
        setattr(module, name, method.apply_mask(module))
        return method

    def remove(self, module):
        """Make the pruned tensor a parameter holding ``orig * mask`` again."""
        name = self._tensor_name
        with no_grad():
            weight = self.apply_mask(module)
        orig = module._parameters[name + "_orig"]
        orig._data = weight._data.copy()
        bump(orig)
        if name in module.__dict__:
            object.__delattr__(module, name)
        del module._parameters[name + "_orig"]
        del module._buffers[name + "_mask"]
        module.register_parameter(name, orig)
        self._handle.remove()


def _combined_mask(method, scores, default_mask):
    """The method's mask over the part of the tensor ``default_mask`` still keeps, the
    rest staying 0, as PyTorch combines iterative pruning: an unstructured method
    chooses among the entries still kept, a structured one among the channels (along
    its ``dim``) that still keep an entry; a "global" method such as
    :class:`CustomFromMask` sees the whole tensor and mask."""
    if method.PRUNING_TYPE == "global" or default_mask.numpy().all():
        return method.compute_mask(scores, default_mask=default_mask)
    if method.PRUNING_TYPE == "structured":
        axis = _channel_axis(scores, method.dim)
        channel_sums = default_mask.sum(tuple(a for a in range(scores.ndim) if a != axis))
        kept = (slice(None),) * axis + (channel_sums != 0,)
    else:
        kept = default_mask == 1
    mask = default_mask.clone()
    mask[kept] = method.compute_mask(scores[kept], default_mask=default_mask[kept])
    return mask


def _pre_hooks(module) -> dict:
    """``module``'s forward pre-hooks by key (registered hooks wrap the function in ``.hook``)."""
    tables = module.__dict__.get("_hook_tables")
    return {} if tables is None else tables["forward_pre"]


def _pruning_methods(module):
    """(key, method) of each pruning hook on ``module``."""
    for key, hook in _pre_hooks(module).items():
        method = getattr(hook, "hook", hook)
        if isinstance(method, BasePruningMethod):
            yield key, method


def _pruning_hook(module, name):
    """(key, method) of the hook pruning ``module``'s ``name``, or None."""
    return next(((key, method) for key, method in _pruning_methods(module) if method._tensor_name == name), None)


def _zeroed(mask, flat_indices):
    """A copy of ``mask`` with zeros at ``flat_indices`` (None: none)."""
    flat = mask.reshape(-1).clone()
    if flat_indices is not None:
        flat[flat_indices] = 0
    return flat.reshape(mask.shape)


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones."""

    def compute_mask(self, t, default_mask):
        return default_mask.clone()

    @classmethod
    def apply(cls, module, name):  # noqa: D102 - the base's
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prunes ``amount`` entries chosen at random: the largest of uniform draws, as PyTorch."""

    def __init__(self, amount):
        self.amount = _check_amount(amount)

    def compute_mask(self, t, default_mask):
        k = _count(self.amount, t.numel())
        return _zeroed(default_mask, rand_like(t).reshape(-1).topk(k).indices if k else None)

    @classmethod
    def apply(cls, module, name, amount):  # noqa: D102 - the base's
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes the ``amount`` entries of least magnitude."""

    def __init__(self, amount):
        self.amount = _check_amount(amount)

    def compute_mask(self, t, default_mask):
        k = _count(self.amount, t.numel())
        return _zeroed(default_mask, t.abs().reshape(-1).topk(k, largest=False).indices if k else None)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):  # noqa: D102 - the base's
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where the given ``mask`` is 0."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if self.mask.shape != default_mask.shape:
            raise ValueError(f"the mask's shape {tuple(self.mask.shape)} differs from the tensor's "
                             f"{tuple(default_mask.shape)}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):  # noqa: D102 - the base's
        return super().apply(module, name, mask=mask)


def _channel_axis(t, dim) -> int:
    """``dim`` as a non-negative axis of ``t``, which must have channels to prune (2 axes or more)."""
    if t.ndim < 2:
        raise ValueError(f"structured pruning prunes slices of a tensor of 2 or more dimensions, "
                         f"got a tensor of shape {tuple(t.shape)}")
    if not -t.ndim <= dim < t.ndim:
        raise IndexError(f"structured pruning: dim {dim} is out of range for a tensor of shape {tuple(t.shape)}")
    return dim % t.ndim


class _StructuredPruning(BasePruningMethod):
    """Prunes ``amount`` channels, the slices of a tensor along ``dim``: the mask is
    ``default_mask`` times one that is 1 on the channels :meth:`kept` picks (indices or
    a bool tensor along that axis) and 0 elsewhere."""

    PRUNING_TYPE = "structured"

    def compute_mask(self, t, default_mask):
        axis = _channel_axis(t, self.dim)
        pruned = _count(self.amount, t.shape[axis])
        if pruned == 0:
            return default_mask.clone()
        mask = zeros_like(t)
        mask[(slice(None),) * axis + (self.kept(t, axis, pruned),)] = 1
        return mask * default_mask.to(dtype=mask.dtype)


class LnStructured(_StructuredPruning):
    """Prunes the ``amount`` channels (slices along ``dim``) of least ``n``-norm, the norm
    taken over every other axis (``n`` a number, inf, -inf or "fro", the 2-norm; PyTorch
    takes "fro" over two axes at most); the channels of largest norm are kept, as
    PyTorch keeps its ``topk`` (of tied norms, which are kept may differ).

    >>> from tinygrad_bn import tensor
    >>> t = tensor([[1.0, -3.0], [0.5, 0.5], [2.0, 0.0]])
    >>> LnStructured(amount=1, n=1, dim=0).compute_mask(t, default_mask=tensor([[1.0, 1.0]] * 3)).tolist()
    [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]
    """

    def __init__(self, amount, n, dim=-1):
        self.amount = _check_amount(amount)
        self.n, self.dim = n, dim

    def kept(self, t, axis: int, pruned: int):
        # ‖channel‖ₙ over every axis but ``axis``
        norms = norm(t, p=self.n, dim=tuple(a for a in range(t.ndim) if a != axis))
        return norms.topk(t.shape[axis] - pruned).indices

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):  # noqa: D102 - the base's
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class RandomStructured(_StructuredPruning):
    """Prunes ``amount`` channels (slices along ``dim``) at random: one uniform draw per
    channel, and the channels drawing more than the ``amount``-th smallest draw are
    kept, PyTorch's rule and numbers after the same seed.

    >>> from tinygrad_bn import manual_seed, ones
    >>> _ = manual_seed(0)
    >>> RandomStructured(amount=2, dim=1).compute_mask(ones(2, 4), default_mask=ones(2, 4)).tolist()
    [[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]]
    """

    def __init__(self, amount, dim=-1):
        self.amount = _check_amount(amount)
        self.dim = dim

    def kept(self, t, axis: int, pruned: int):
        draws = rand(t.shape[axis], device=t.device)
        return draws > kthvalue(draws, pruned).values

    @classmethod
    def apply(cls, module, name, amount, dim=-1):  # noqa: D102 - the base's
        return super().apply(module, name, amount=amount, dim=dim)


def identity(module, name):
    """Prune nothing, but give ``name`` the ``_orig`` and ``_mask`` of a pruned tensor."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` random entries of ``module``'s ``name``."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` entries of ``module``'s ``name`` of least magnitude (of
    ``importance_scores`` when given)."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the ``amount`` channels along ``dim`` of ``module``'s ``name`` of least
    ``n``-norm (of ``importance_scores`` when given).

    >>> from tinygrad_bn import nn, no_grad, tensor
    >>> layer = nn.Linear(2, 3)
    >>> with no_grad():
    ...     _ = layer.weight.copy_(tensor([[1.0, -3.0], [0.5, 0.5], [2.0, 0.0]]))
    >>> ln_structured(layer, "weight", amount=1, n=2, dim=0).weight_mask.tolist()
    [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]
    """
    LnStructured.apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` random channels along ``dim`` of ``module``'s ``name``.

    >>> from tinygrad_bn import manual_seed, nn
    >>> _ = manual_seed(0)
    >>> random_structured(nn.Linear(3, 4), "weight", amount=0.5, dim=0).weight_mask[:, 0].tolist()
    [1.0, 1.0, 0.0, 0.0]
    """
    RandomStructured.apply(module, name, amount=amount, dim=dim)
    return module


def custom_from_mask(module, name, mask):
    """Prune ``module``'s ``name`` where ``mask`` is 0."""
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the (module, name) pairs of ``parameters`` together: ``pruning_method``
    (``L1Unstructured`` or ``RandomUnstructured``, with its ``amount``) chooses among all
    their entries at once, each tensor then masked with its share."""
    parameters = list(parameters)
    if not parameters:
        raise ValueError("global_unstructured needs at least one (module, name) pair")
    importance_scores = importance_scores or {}
    scores, masks = [], []
    for module, name in parameters:
        tensor = getattr(module, name)
        scores.append(importance_scores.get((module, name), tensor).detach().reshape(-1))
        mask = getattr(module, name + "_mask", None)
        masks.append(ones_like(tensor).reshape(-1) if mask is None else mask.reshape(-1))
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f"global_unstructured needs an unstructured pruning method, got {pruning_method.__name__} "
                        f"of type {method.PRUNING_TYPE}")
    with no_grad():
        flat = _combined_mask(method, cat(scores), cat(masks))
    start = 0
    for module, name in parameters:
        size = getattr(module, name).numel()
        custom_from_mask(module, name, flat[start:start + size].reshape(getattr(module, name).shape))
        start += size


def remove(module, name):
    """Make ``module``'s pruned ``name`` a parameter holding its pruned values, dropping
    ``name + "_orig"``, ``name + "_mask"`` and the hook."""
    found = _pruning_hook(module, name)
    if found is None:
        raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")
    found[1].remove(module)
    return module


def is_pruned(module) -> bool:
    """Whether a pruning hook is on ``module`` or any module inside it."""
    return any(True for m in module.modules() for _ in _pruning_methods(m))


__all__ = [
    "BasePruningMethod", "CustomFromMask", "Identity", "L1Unstructured", "LnStructured", "RandomStructured",
    "RandomUnstructured", "custom_from_mask", "global_unstructured", "identity", "is_pruned", "l1_unstructured",
    "ln_structured", "random_structured", "random_unstructured", "remove",
]
