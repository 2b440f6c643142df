"""The older, hook-based weight norm and spectral norm, as PyTorch's
``torch.nn.utils.weight_norm`` and ``torch.nn.utils.spectral_norm`` (PyTorch now
prefers the parametrizations of :mod:`.parametrizations`; these stay because
many scripts and checkpoints use them).

Each replaces the parameter ``weight`` by the parameters it is computed from
(``weight_g`` and ``weight_v``; ``weight_orig`` with the buffers ``weight_u`` and
``weight_v``) and registers a forward pre-hook that recomputes ``module.weight``, a
plain attribute, before every forward; ``remove_weight_norm`` and
``remove_spectral_norm`` put a parameter holding the computed weight back.
"""

from __future__ import annotations

import warnings

from tinygrad_bn.autograd import no_grad
from tinygrad_bn.nn.conv_transpose import ConvTranspose1d, ConvTranspose2d
from tinygrad_bn.nn.functional import normalize
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import Parameter
from tinygrad_bn.nn.utils.parametrizations import (
    largest_singular_value,
    norm_except_dim,
    random_unit_vector,
    weight_from_norm,
    weight_matrix,
)

__all__ = ["SpectralNorm", "WeightNorm", "remove_spectral_norm", "remove_weight_norm", "spectral_norm", "weight_norm"]


class WeightNorm:
    """The forward pre-hook of :func:`weight_norm`: w = g · v / ‖v‖ from the
    parameters ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name: str, dim: int):
        self.name, self.dim = name, dim

    def compute_weight(self, module: Module):
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return weight_from_norm(g, v, self.dim)

    def __call__(self, module: Module, inputs):
        setattr(module, self.name, self.compute_weight(module))

    def remove(self, module: Module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        delattr(module, self.name + "_g")
        delattr(module, self.name + "_v")
        module.register_parameter(self.name, Parameter(weight.data))


class SpectralNorm:
    """The forward pre-hook of :func:`spectral_norm`: w = W / σ(W) from the parameter
    ``<name>_orig`` and the power-iteration buffers ``<name>_u``, ``<name>_v``."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float):
        if n_power_iterations <= 0:
            raise ValueError(f"spectral_norm expects a positive n_power_iterations, got {n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def compute_weight(self, module: Module, do_power_iteration: bool):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        W = weight_matrix(weight, self.dim)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    # v ← Wᵀ u / ‖Wᵀ u‖,  u ← W v / ‖W v‖ (in place: the buffers carry them on)
                    v.copy_(normalize(W.T.mv(u), dim=0, eps=self.eps))
                    u.copy_(normalize(W.mv(v), dim=0, eps=self.eps))
            u, v = u.clone(), v.clone()
        return weight / largest_singular_value(W, u, v)

    def __call__(self, module: Module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    def remove(self, module: Module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))


def _forward_pre_hooks(module: Module):
    """(handle key, hook) of each forward pre-hook of ``module``."""
    tables = module.__dict__.get("_hook_tables") or {}
    return [(key, hook.hook) for key, hook in tables.get("forward_pre", {}).items()]


def _check_not_applied(module: Module, kind: type, name: str, function: str):
    for _, hook in _forward_pre_hooks(module):
        if isinstance(hook, kind) and hook.name == name:
            raise RuntimeError(f"{function} is already applied to {name!r} of {type(module).__name__}; "
                               f"call remove_{function} first")


def _remove(module: Module, kind: type, name: str, function: str) -> Module:
    """Undo the hook of ``kind`` on ``name``; return ``module``."""
    for key, hook in _forward_pre_hooks(module):
        if isinstance(hook, kind) and hook.name == name:
            hook.remove(module)
            del module._hook_tables["forward_pre"][key]
            return module
    raise ValueError(f"{function} of {name!r} not found in {type(module).__name__}")


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Replace the parameter ``<name>`` by ``<name>_g`` = ‖w‖ (over every axis but
    ``dim``; all of them for ``dim=None``) and ``<name>_v`` = w, with w = g · v / ‖v‖
    recomputed before each forward; return ``module``. Deprecated in PyTorch in favour
    of :func:`.parametrizations.weight_norm`, and it warns as PyTorch does.

    >>> import warnings
    >>> from tinygrad_bn import nn
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     layer = weight_norm(nn.Linear(3, 2))
    >>> list(layer.state_dict()), layer.weight_g.shape
    (['bias', 'weight_g', 'weight_v'], (2, 1))
    """
    warnings.warn("nn.utils.weight_norm is deprecated in favor of nn.utils.parametrizations.weight_norm",
                  FutureWarning, stacklevel=2)
    _check_not_applied(module, WeightNorm, name, "weight_norm")
    hook = WeightNorm(name, -1 if dim is None else dim)
    weight = getattr(module, name)
    delattr(module, name)
    module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, hook.dim).data))
    module.register_parameter(name + "_v", Parameter(weight.data))
    setattr(module, name, hook.compute_weight(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`weight_norm`: ``<name>`` is a parameter again, holding g · v / ‖v‖.

    >>> import warnings
    >>> from tinygrad_bn import nn
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     layer = remove_weight_norm(weight_norm(nn.Linear(3, 2)))
    >>> list(layer.state_dict())
    ['bias', 'weight']
    """
    return _remove(module, WeightNorm, name, "weight_norm")


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Replace the parameter ``<name>`` by ``<name>_orig``, with w = W / σ(W)
    recomputed before each forward (σ by ``n_power_iterations`` steps of power
    iteration in training mode, whose vectors are the buffers ``<name>_u`` and
    ``<name>_v``); return ``module``. ``dim`` is 1 for transposed convolutions, 0
    otherwise, by default.

    >>> from tinygrad_bn import nn
    >>> list(spectral_norm(nn.Linear(4, 3)).state_dict())
    ['bias', 'weight_orig', 'weight_u', 'weight_v']
    """
    _check_not_applied(module, SpectralNorm, name, "spectral_norm")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    hook = SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"spectral_norm expects the name of a parameter of {type(module).__name__}, got {name!r}")
    with no_grad():
        W = weight_matrix(weight, dim)
        u, v = random_unit_vector(W.shape[0], W, eps), random_unit_vector(W.shape[1], W, eps)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.data)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`spectral_norm`: ``<name>`` is a parameter again, holding W / σ(W)
    with the current u and v.

    >>> from tinygrad_bn import nn
    >>> list(remove_spectral_norm(spectral_norm(nn.Linear(4, 3))).state_dict())
    ['bias', 'weight']
    """
    return _remove(module, SpectralNorm, name, "spectral_norm")
