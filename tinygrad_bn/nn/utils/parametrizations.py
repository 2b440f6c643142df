"""Weight normalization and spectral normalization as parametrizations (see
:mod:`.parametrize`), as PyTorch's ``torch.nn.utils.parametrizations``.

- weight norm: w = g · v / ‖v‖, the norm over every axis but ``dim``, so that the
  length g and the direction v of each slice along ``dim`` are learned apart
  (Salimans & Kingma, 2016);
- spectral norm: w = W / σ(W), σ the largest singular value of W seen as a matrix
  (its axis ``dim`` first, the others flattened), estimated by power iteration with
  vectors u, v kept from call to call and moved one step per training-mode call
  (Miyato et al., 2018).
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.nn.conv_transpose import ConvTranspose1d, ConvTranspose2d
from tinygrad_bn.nn.functional import normalize
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.utils.parametrize import register_parametrization
from tinygrad_bn.ops import randn

__all__ = ["spectral_norm", "weight_norm"]


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """‖v‖₂ over every axis but ``dim``, shaped to broadcast against v (size 1 on the
    other axes); dim −1 means the norm of the whole of v, a 0-d tensor, as PyTorch's
    ``norm_except_dim``.

    >>> from tinygrad_bn import tensor
    >>> norm_except_dim(tensor([[3.0, 4.0], [0.0, 1.0]]), 0).tolist()
    [[5.0], [1.0]]
    """
    if dim == -1:
        return v.norm()
    dim = dim % v.ndim
    shape = [1] * v.ndim
    shape[dim] = v.shape[dim]
    return v.movedim(dim, 0).reshape(v.shape[dim], -1).norm(dim=1).reshape(shape)


def weight_from_norm(g: Tensor, v: Tensor, dim: int) -> Tensor:
    """w = g · v / ‖v‖, the norm as :func:`norm_except_dim`."""
    return v * (g / norm_except_dim(v, dim))


class _WeightNorm(Module):
    """The weight-norm parametrization: (g, v) ↦ g · v / ‖v‖."""

    def __init__(self, dim: int | None = 0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_from_norm(weight_g, weight_v, self.dim)

    def right_inverse(self, weight):
        # g = ‖w‖, v = w
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Parametrize ``module.<name>`` as g · v / ‖v‖ (the norm over every axis but
    ``dim``; over all of them for ``dim=None``); return ``module``. g and v are
    learned, under PyTorch's keys ``parametrizations.<name>.original0`` (g) and
    ``original1`` (v). A checkpoint of the older, hook-based weight norm, with
    ``<name>_g`` and ``<name>_v``, loads into it: its keys are renamed on the way in.

    >>> from tinygrad_bn import nn
    >>> layer = weight_norm(nn.Linear(3, 2))
    >>> {key: value.shape for key, value in layer.state_dict().items()}
    {'bias': (2,), 'parametrizations.weight.original0': (2, 1), 'parametrizations.weight.original1': (2, 3)}
    """
    register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def rename_older_keys(state_dict, prefix, *_):
        g, v = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g in state_dict and v in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v)

    module._register_load_state_dict_pre_hook(rename_older_keys)
    return module


def weight_matrix(weight: Tensor, dim: int) -> Tensor:
    """``weight`` as the matrix spectral norm is taken of: axis ``dim`` as its rows,
    the other axes flattened into its columns."""
    return weight.movedim(dim, 0).reshape(weight.shape[dim], -1)


def random_unit_vector(length: int, like: Tensor, eps: float) -> Tensor:
    """A random direction in ℝ^length, on ``like``'s device and of its dtype."""
    return normalize(randn(length, dtype=like.dtype, device=like.device), dim=0, eps=eps)


def largest_singular_value(W: Tensor, u: Tensor, v: Tensor) -> Tensor:
    """σ ≈ uᵀ W v, for u and v the power-iteration estimates of W's top singular vectors."""
    return u.dot(W.mv(v))


class _SpectralNorm(Module):
    """The spectral-norm parametrization W ↦ W / σ(W), with the power-iteration
    vectors as buffers ``_u`` (rows) and ``_v`` (columns); a 1-d W is normalized."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12):
        super().__init__()
        ndim = weight.ndim
        if not -ndim <= dim < ndim:
            raise IndexError(f"spectral_norm expects dim in [{-ndim}, {ndim - 1}] for a weight of shape "
                             f"{tuple(weight.shape)}, got {dim}")
        if n_power_iterations <= 0:
            raise ValueError(f"spectral_norm expects a positive n_power_iterations, got {n_power_iterations}")
        self.dim, self.eps, self.n_power_iterations = dim % ndim, eps, n_power_iterations
        if ndim > 1:
            W = weight_matrix(weight, self.dim)
            self.register_buffer("_u", random_unit_vector(W.shape[0], W, eps))
            self.register_buffer("_v", random_unit_vector(W.shape[1], W, eps))
            self._power_method(W, 15)

    def _power_method(self, W: Tensor, steps: int):
        """Move u and v, in place, ``steps`` steps towards W's top singular vectors."""
        with no_grad():
            for _ in range(steps):
                # u ← W v / ‖W v‖,  v ← Wᵀ u / ‖Wᵀ u‖
                self._u.copy_(normalize(W.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(W.T.mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        W = weight_matrix(weight, self.dim)
        if self.training:
            self._power_method(W, self.n_power_iterations)
        # σ ≈ uᵀ W v, with u and v constants of the graph
        return weight / largest_singular_value(W, self._u.clone(), self._v.clone())

    def right_inverse(self, value):
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Parametrize ``module.<name>`` as W / σ(W), σ its largest singular value
    estimated by power iteration (``n_power_iterations`` steps per forward in
    training mode, none in eval mode); return ``module``. ``dim`` (by default 1
    for transposed convolutions, 0 otherwise) is the axis that becomes W's rows.
    The keys are PyTorch's: ``parametrizations.<name>.original`` and the buffers
    ``parametrizations.<name>.0._u``, ``._v``.

    >>> from tinygrad_bn import nn
    >>> layer = spectral_norm(nn.Linear(4, 3))
    >>> list(layer.state_dict())
    ['bias', 'parametrizations.weight.original', 'parametrizations.weight.0._u', 'parametrizations.weight.0._v']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"spectral_norm expects the name of a parameter or buffer of {type(module).__name__}, "
                         f"got {name!r}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    return register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
