"""Embedding: a lookup table of learned rows, one per integer index.

The lookup is indexing, ``W[indices]``, whose backward already adds the
gradients of repeated indices into their row (a scatter-add), so
∂L/∂W[r] = Σ of ∂L/∂out over the positions that hold index r; with
``scale_grad_by_freq`` that sum is divided by the number of those positions.
With ``max_norm``, every row looked up whose norm exceeds it is first scaled
down to it, in place (by max_norm / (‖W[r]‖ + 1e-7), as PyTorch does).

With ``sparse=True`` the gradient of W is the same dense array, but it also names
the rows looked up (all but ``padding_idx``): a
:class:`~tinygrad_bn.autograd.tensor.RowSparseGrad`, which stands in for PyTorch's
sparse gradient, so that ``optim.SparseAdam`` updates those rows only. The lookup
goes through :class:`NamingRows`, whose backward names them.

>>> from tinygrad_bn import Tensor
>>> weight = Tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> out = embedding(Tensor([[1, 2], [1, 0]]), weight, padding_idx=0)
>>> out.shape
(2, 2, 2)
>>> out.sum().backward()
>>> weight.grad.tolist()
[[0.0, 0.0], [2.0, 2.0], [1.0, 1.0]]
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.autograd import Function, Tensor, is_grad_enabled, no_grad
from tinygrad_bn.autograd.tensor import RowSparseGrad
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn import init
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import Parameter


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002 - PyTorch's name
              scale_grad_by_freq=False, sparse=False):
    """Row i of ``weight`` (num_embeddings, embedding_dim) for each integer i in
    ``input`` of any shape: (*) -> (*, embedding_dim). Lookups of ``padding_idx``
    (negative counts from the end) give its row but send it no gradient.
    ``max_norm`` renormalizes the rows looked up, in place; with ``sparse`` the gradient of
    ``weight`` names the rows looked up (see :class:`NamingRows`).

    >>> from tinygrad_bn import Tensor
    >>> embedding(Tensor([2, 0, 2]), Tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])).tolist()
    [[4.0, 5.0], [0.0, 1.0], [4.0, 5.0]]
    """
    if weight.ndim != 2:
        raise ShapeError(f"embedding expects a weight of shape (num_embeddings, embedding_dim), got {weight.shape}")
    if sparse:
        refuse_frequency_scaling("embedding", weight, scale_grad_by_freq)
    indices = _indices(input, weight)
    if padding_idx is not None:
        padding_idx = _padding_index(padding_idx, weight.shape[0], "embedding")
    if max_norm is not None:
        renormalize_rows(weight, indices, max_norm, norm_type)
    table = NamingRows.apply(weight, indices=indices._data, padding_idx=padding_idx) if sparse else weight
    looked_up = table[indices]
    if scale_grad_by_freq:
        looked_up = gradient_by_frequency(looked_up, indices, weight.shape[0])
    if padding_idx is None:
        return looked_up
    counted = (indices._data != padding_idx)[..., None]
    # the same values either way; the gradient flows through the lookups of other rows only
    return ops.where(counted, looked_up, looked_up.detach())


class NamingRows(Function):
    """``weight`` as it is (a view), whose gradient names the rows that ``indices`` (an
    array) look up, but ``padding_idx``: a :class:`RowSparseGrad`, PyTorch's sparse
    gradient in our terms. A lookup with ``sparse=True`` goes through it."""

    def forward(self, weight, indices, padding_idx):
        self.indices, self.padding_idx = indices, padding_idx
        self.output_views(weight)
        return weight._data

    def backward(self, grad):
        rows = grad.xp.unique(self.indices)
        if self.padding_idx is not None:  # PyTorch's sparse gradient leaves the padding row out
            rows = rows[rows != self.padding_idx]
        return RowSparseGrad.naming(grad, rows)


def refuse_frequency_scaling(who: str, weight: Tensor, scale_grad_by_freq: bool):
    """PyTorch's refusal of ``scale_grad_by_freq`` with ``sparse=True``, made here as soon as
    a gradient is to be recorded (PyTorch makes it in backward)."""
    if scale_grad_by_freq and weight.requires_grad and is_grad_enabled():
        raise RuntimeError(f"{who}: scale_grad_by_freq=True is not supported with sparse=True gradients, "
                           "as in PyTorch; leave one of them False")


def renormalize_rows(weight, indices: Tensor, max_norm: float, norm_type: float):
    """Each row of ``weight`` that ``indices`` look up, scaled in place to norm
    ``max_norm`` where its ``norm_type``-norm exceeds it: PyTorch's ``embedding_renorm_``."""
    rows = Tensor(weight.xp.unique(indices._data), device=weight.device)
    with no_grad():
        looked_up = weight[rows]
        norms = looked_up.norm(p=norm_type, dim=1, keepdim=True)
        scale = ops.where(norms > max_norm, max_norm / (norms + 1e-7), ops.ones_like(norms))
        weight[rows] = looked_up * scale


def gradient_by_frequency(looked_up: Tensor, indices: Tensor, rows: int) -> Tensor:
    """``looked_up`` itself, whose gradient at each lookup is divided by the number of
    lookups of its index (``scale_grad_by_freq``)."""
    counts = indices.xp.bincount(indices._data.reshape(-1), minlength=rows)[indices._data]
    scale = Tensor((1 / counts).astype(looked_up.dtype)[..., None], device=looked_up.device)
    if looked_up.requires_grad:
        looked_up.register_hook(lambda grad: grad * scale)
    return looked_up


def _indices(input, weight) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """``input`` as an integer Tensor on ``weight``'s device, each index a row of ``weight``."""
    indices = Tensor(input, device=weight.device)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding expects integer indices (int64), got dtype {indices.dtype}")
    rows = weight.shape[0]
    if indices.size:
        low, high = int(indices._data.min()), int(indices._data.max())
        if low < 0 or high >= rows:
            raise IndexError(
                f"embedding with {rows} rows expects indices in [0, {rows}), got values from {low} to {high}"
            )
    return indices


def _padding_index(padding_idx: int, rows: int, who: str) -> int:
    """``padding_idx`` in [0, rows), a negative one counted from the end."""
    if not -rows <= padding_idx < rows:
        raise ValueError(f"{who}: padding_idx must be in [-{rows}, {rows}) for {rows} rows, got {padding_idx}")
    return padding_idx % rows


class Embedding(Module):
    """A lookup table: row i of ``weight`` (num_embeddings, embedding_dim) for each
    index i of the input, of any shape. The weight starts as N(0, 1), as in PyTorch,
    with the ``padding_idx`` row zero; that row gets no gradient. ``max_norm``,
    ``norm_type``, ``scale_grad_by_freq`` and ``sparse`` (the weight's gradient names
    the rows looked up, for ``optim.SparseAdam``) as in :func:`embedding`.

    >>> from tinygrad_bn import Tensor
    >>> table = Embedding(10, 3, padding_idx=-1)
    >>> table
    Embedding(10, 3, padding_idx=9)
    >>> table(Tensor([[1, 2, 9]])).shape, table.weight.tolist()[9]
    ((1, 3, 3), [0.0, 0.0, 0.0])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.sparse = sparse
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Embedding: {name} must be a positive int, got {value!r}")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = None if padding_idx is None else _padding_index(padding_idx, num_embeddings, "Embedding")
        if _weight is None:
            self.weight = Parameter(ops.zeros(num_embeddings, embedding_dim, dtype=dtype, device=device),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:  # PyTorch's private way in: the given table as it is, no draw
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight must have shape ({num_embeddings}, {embedding_dim}), "
                                 f"got {tuple(_weight.shape)}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """A table whose weight is ``embeddings`` (rows, dim), sharing its array as PyTorch's
        does (the ``padding_idx`` row is kept as given); frozen unless ``freeze=False``.

        >>> from tinygrad_bn import Tensor
        >>> table = Embedding.from_pretrained(Tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> table(Tensor([1])).tolist(), table.weight.requires_grad
        ([[3.0, 4.0]], False)
        """
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained expects embeddings of shape (rows, dim), "
                             f"got {embeddings.shape}")
        return cls(*embeddings.shape, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        text += "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        text += "" if self.max_norm is None else f", max_norm={self.max_norm}"
        text += "" if self.norm_type == 2 else f", norm_type={self.norm_type}"
        text += ", scale_grad_by_freq=True" if self.scale_grad_by_freq else ""
        return text + (", sparse=True" if self.sparse else "")


def one_hot(tensor, num_classes=-1):
    """Row i of the C × C identity for each integer i in ``tensor`` of any shape:
    (*) -> (*, C) of int64, with C = ``num_classes``, or the largest class + 1 when
    it is −1. No gradient flows (the output is integer).

    >>> from tinygrad_bn import Tensor
    >>> one_hot(Tensor([2, 0]), 3).tolist()
    [[0, 0, 1], [1, 0, 0]]
    """
    classes = Tensor(tensor)
    if classes.dtype.kind not in "iu":
        raise TypeError(f"one_hot expects integer class values (int64), got dtype {classes.dtype}")
    values = classes._data
    if num_classes == -1:
        if values.size == 0:
            raise RuntimeError("one_hot: can not infer the number of classes from an empty tensor; "
                               "give num_classes")
        num_classes = int(values.max()) + 1
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 0:
        raise RuntimeError(f"one_hot: num_classes must be a natural int or -1, got {num_classes!r}")
    if values.size:
        low, high = int(values.min()), int(values.max())
        if low < 0:
            raise RuntimeError(f"one_hot: class values must be non-negative, got {low}")
        if high >= num_classes:
            raise RuntimeError(f"one_hot: class values must be smaller than num_classes={num_classes}, got {high}")
    xp = classes.xp
    encoded = (values[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return Tensor(encoded, device=classes.device)
