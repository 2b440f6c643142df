"""Weight normalization, spectral normalization and orthogonal matrices as
parametrizations (see :mod:`.parametrize`), as PyTorch's ``torch.nn.utils.parametrizations``.

- weight norm: w = g · v / ‖v‖, the norm over every axis but ``dim``, so that the
  length g and the direction v of each slice along ``dim`` are learned apart
  (Salimans & Kingma, 2016);
- spectral norm: w = W / σ(W), σ the largest singular value of W seen as a matrix
  (its axis ``dim`` first, the others flattened), estimated by power iteration with
  vectors u, v kept from call to call and moved one step per training-mode call
  (Miyato et al., 2018);
- orthogonal: Q with QᵀQ = I (or QQᵀ = I for a wide Q), the image of an
  unconstrained X under a map onto the orthogonal matrices: exp(A) or the Cayley
  transform (I − A/2)⁻¹(I + A/2) of a skew-symmetric A built from X's lower
  triangle, or the product of Householder reflectors stored below X's diagonal.
  With ``use_trivialization`` (the default) the map is taken around a fixed
  orthogonal ``base``, Q = base · map(X), and X starts where map(X) = I
  (Lezcano-Casado & Martínez-Rubio, 2019).
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.linalg.exponential import matrix_exp
from tinygrad_bn.linalg.householder import geqrf, householder_product
from tinygrad_bn.linalg.inverse import solve
from tinygrad_bn.nn.conv_transpose import ConvTranspose1d, ConvTranspose2d
from tinygrad_bn.nn.functional import normalize
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.utils.parametrize import register_parametrization
from tinygrad_bn.ops import allclose, cat, eye, randn, zeros
from tinygrad_bn.ops.type_info import finfo

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


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


ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


def _tall(X: Tensor):
    """``X`` as a tall matrix (n ≥ k: its last two axes swapped when it is wide), and whether it was wide."""
    wide = X.shape[-2] < X.shape[-1]
    return (X.mT if wide else X), wide


def _is_orthogonal(Q: Tensor) -> bool:
    """Whether QᵀQ = I for the tall Q (n × k), up to PyTorch's tolerance: an absolute
    10·n·ε, and the relative 10⁻⁵ of ``allclose``."""
    n, k = Q.shape[-2:]
    return allclose(Q.mT @ Q, eye(k, dtype=Q.dtype, device=Q.device), atol=10.0 * n * finfo(Q.dtype).eps)


def _make_orthogonal(A: Tensor) -> Tensor:
    """The Q of A = QR with R's diagonal made positive: Q's columns times sign(diag R)."""
    a, tau = geqrf(A)
    return householder_product(a, tau) * a.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


def _skew_symmetric_map(X: Tensor, orthogonal_map: str) -> Tensor:
    """The first k columns of exp(A) (``matrix_exp``) or of (I − A/2)⁻¹(I + A/2)
    (``cayley``), orthogonal n × n matrices for the skew-symmetric A = L − Lᵀ, L the
    lower triangle of the tall X (n × k) with n − k zero columns after it."""
    n, k = X.shape[-2:]
    L = X.tril()
    if n != k:
        L = cat([L, zeros(*X.shape[:-2], n, n - k, dtype=X.dtype, device=X.device)], dim=-1)
    A = L - L.mT
    if orthogonal_map == "matrix_exp":
        Q = matrix_exp(A)
    else:
        identity = eye(n, dtype=X.dtype, device=X.device)
        Q = solve(identity - 0.5 * A, identity + 0.5 * A)
    return Q[..., :k]


def _householder_map(X: Tensor) -> Tensor:
    """H₁ ⋯ H_k of the reflectors vᵢ stored below the tall X's diagonal, τᵢ = 2 / ‖vᵢ‖²
    (each Hᵢ a reflection), its columns times the integer parts of X's diagonal: the
    signs that :meth:`_Orthogonal.right_inverse` leaves there (no gradient goes to them)."""
    A = X.tril(-1)
    tau = 2.0 / (1.0 + (A * A).sum(dim=-2))  # ‖vᵢ‖² = 1 + the squares below the implicit 1
    signs = X.diagonal(dim1=-2, dim2=-1).detach().trunc()
    return householder_product(A, tau) * signs.unsqueeze(-2)


class _Orthogonal(Module):
    """The orthogonal parametrization X ↦ Q of a weight of ``shape`` (see :func:`orthogonal`);
    with ``use_trivialization``, Q = base · map(X), ``base`` a buffer set by :meth:`right_inverse`."""

    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization: bool = True):
        super().__init__()
        self.shape, self.orthogonal_map = weight.shape, orthogonal_map
        self.use_trivialization = use_trivialization
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        X, wide = _tall(X)
        if self.orthogonal_map == "householder":
            Q = _householder_map(X)
        else:
            Q = _skew_symmetric_map(X, self.orthogonal_map)
        if self.use_trivialization:
            Q = self.base @ Q
        return Q.mT if wide else Q

    def right_inverse(self, Q):
        """An X that the forward maps to ``Q`` (made orthogonal first when it is not).
        With ``use_trivialization``: ``base`` becomes Q (completed to a square orthogonal
        matrix with normal draws when Q is not square, as PyTorch draws them) and X the
        −I of the shape, which every map takes to the identity's columns. Without it,
        only the Householder map has an inverse: the reflectors of Q's QR decomposition,
        the signs of R's diagonal on X's diagonal (negated where τ = 0)."""
        if Q.shape != self.shape:
            raise ValueError(f"orthogonal expects a matrix or batch of matrices of shape {tuple(self.shape)}, "
                             f"got a tensor of shape {tuple(Q.shape)}")
        given, (Q, wide) = Q, _tall(Q)
        n, k = Q.shape[-2:]
        if not self.use_trivialization:
            if self.orthogonal_map != "householder":
                raise NotImplementedError(f"orthogonal: the {self.orthogonal_map} map with use_trivialization=False "
                                          "has no right inverse, so a matrix cannot be assigned to it")
            return self._householder_inverse(Q, wide)
        if n == k:
            self.base = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            completion = randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)
            self.base = _make_orthogonal(cat([Q, completion], dim=-1))
        return -eye(*given.shape[-2:], dtype=given.dtype, device=given.device).expand(given.shape).clone()

    @staticmethod
    def _householder_inverse(Q, wide: bool):
        """The reflectors of the tall Q's QR below the diagonal; on it, sign(Rᵢᵢ), negated where τᵢ = 0."""
        a, tau = geqrf(Q)
        signs = a.diagonal(dim1=-2, dim2=-1).sign()
        signs = signs * (1.0 - 2.0 * (tau == 0).to(dtype=signs.dtype))
        diagonal = eye(*Q.shape[-2:], dtype=Q.dtype, device=Q.device)
        X = a * (1.0 - diagonal) + diagonal * signs.unsqueeze(-2)
        return X.mT if wide else X


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Parametrize ``module.<name>`` (a matrix, or a batch of them along the leading axes)
    as an orthogonal matrix: QᵀQ = I when it is tall or square, QQᵀ = I when it is wide;
    return ``module``. ``orthogonal_map`` is ``"matrix_exp"``, ``"cayley"`` or
    ``"householder"``; by default ``"matrix_exp"`` for square matrices and
    ``"householder"`` otherwise, as PyTorch chooses for real dtypes. At registration
    the tensor becomes the orthogonal Q of its QR decomposition (R's diagonal positive),
    or stays itself when it is square and already orthogonal; assigning a matrix to it
    later does the same. See the module docstring for ``use_trivialization``; a
    non-square tensor then draws normal numbers (PyTorch's, after the same seed, when
    fewer than 16) to complete its ``base``.

    >>> from tinygrad_bn import nn
    >>> layer = orthogonal(nn.Linear(3, 5))
    >>> W = layer.weight
    >>> (W.T @ W - eye(3)).abs().max().item() < 1e-6, list(layer.state_dict())
    (True, ['bias', 'parametrizations.weight.original', 'parametrizations.weight.0.base'])
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"orthogonal expects the name of a parameter or buffer of {type(module).__name__}, "
                         f"got {name!r}")
    if weight.ndim < 2:
        raise ValueError(f"orthogonal expects a matrix or a batch of matrices, got a tensor of shape "
                         f"{tuple(weight.shape)}")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in ORTHOGONAL_MAPS:
        raise ValueError(f"orthogonal_map must be one of {', '.join(ORTHOGONAL_MAPS)}, got {orthogonal_map!r}")
    parametrization = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    return register_parametrization(module, name, parametrization, unsafe=True)
