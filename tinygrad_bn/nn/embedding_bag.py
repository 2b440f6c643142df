"""EmbeddingBag: the sum, mean or maximum of the embedding rows of each bag of indices,
without the (bag, index, dim) array in between.

Bags are the rows of a 2-d input, or the runs of a 1-d input that ``offsets`` start.
The rows are looked up (indexing, whose gradient adds back into them) and reduced per
bag by ``index_add`` or ``scatter_reduce``, so the engine derives every gradient.
Indices equal to ``padding_idx`` belong to no bag; an empty bag gives zeros. With
``sparse=True`` the weight's gradient names the rows the bags look up, as Embedding's.

>>> from tinygrad_bn import Tensor
>>> weight = Tensor([[1.0, 1.0], [2.0, 4.0], [6.0, 0.0]])
>>> embedding_bag(Tensor([0, 1, 2, 2]), weight, Tensor([0, 2]), mode="mean").tolist()  # (rows 0, 1), (2, 2)
[[1.5, 2.5], [6.0, 0.0]]
"""

from __future__ import annotations

from tinygrad_bn import ops
from tinygrad_bn.autograd import Tensor
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn import init
from tinygrad_bn.nn.embedding import (
    NamingRows,
    _indices,
    _padding_index,
    gradient_by_frequency,
    refuse_frequency_scaling,
    renormalize_rows,
)
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import Parameter

MODES = ("sum", "mean", "max")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,  # noqa: A002
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """PyTorch's ``embedding_bag``: (bags, embedding_dim), each bag's rows of ``weight``
    summed (times ``per_sample_weights`` with mode "sum"), averaged or maximized; with
    ``sparse`` (modes "sum" and "mean", as in PyTorch) the gradient of ``weight`` names
    the rows the bags look up."""
    if mode not in MODES:
        raise ValueError(f"embedding_bag: mode must be one of {MODES}, got {mode!r}")
    if sparse:
        _refuse_for_sparse(mode, weight, scale_grad_by_freq)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights is only supported for mode='sum', got {mode!r}")
    indices = _indices(input, weight)
    if max_norm is not None:
        renormalize_rows(weight, indices, max_norm, norm_type)
    bag_of, bags = _bags(indices, offsets, include_last_offset)
    indices = indices.reshape(-1)
    counted = bag_of >= 0
    if padding_idx is not None:
        counted = counted & (indices._data != _padding_index(padding_idx, weight.shape[0], "embedding_bag"))
    places = Tensor(weight.xp.nonzero(counted)[0], device=weight.device)
    looked_up = indices[places]
    table = NamingRows.apply(weight, indices=looked_up._data, padding_idx=None) if sparse else weight
    rows, bag_of = table[looked_up], Tensor(bag_of[places._data], device=weight.device)
    if scale_grad_by_freq:
        rows = gradient_by_frequency(rows, looked_up, weight.shape[0])
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1)[places].reshape(-1, 1)
    totals = ops.zeros(bags, weight.shape[1], dtype=weight.dtype, device=weight.device)
    if mode == "max":
        spread = bag_of.reshape(-1, 1).expand(*rows.shape)
        return totals.scatter_reduce(0, spread, rows, "amax", include_self=False)
    totals = totals.index_add(0, bag_of, rows)
    if mode == "sum":
        return totals
    sizes = weight.xp.bincount(bag_of._data, minlength=bags).clip(1, None).astype(weight.dtype)
    return totals / Tensor(sizes.reshape(-1, 1), device=weight.device)


def _refuse_for_sparse(mode: str, weight: Tensor, scale_grad_by_freq: bool):
    """What PyTorch refuses with ``sparse=True``: mode "max", and ``scale_grad_by_freq``."""
    if mode == "max":
        raise ValueError("embedding_bag: mode='max' does not support sparse=True, as in PyTorch; "
                         "use mode='sum' or 'mean', or sparse=False")
    refuse_frequency_scaling("embedding_bag", weight, scale_grad_by_freq)


def _bags(indices: Tensor, offsets, include_last_offset: bool) -> tuple:
    """The bag of each index of the flattened input (−1 for none) and the number of bags."""
    xp = indices.xp
    if indices.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: offsets must be None for a 2-d input, whose rows are the bags")
        bags, length = indices.shape
        return xp.repeat(xp.arange(bags), length), bags
    if indices.ndim != 1:
        raise ShapeError(f"embedding_bag expects a 1-d input with offsets or a 2-d input of bags, got {indices.shape}")
    if offsets is None:
        raise ValueError("embedding_bag: a 1-d input needs offsets, a 1-d tensor of where each bag starts")
    starts = Tensor(offsets, device=indices.device)._data
    if starts.ndim != 1 or (starts.size and int(starts[0]) != 0) or bool((starts[1:] < starts[:-1]).any()):
        raise ValueError(f"embedding_bag expects offsets as a 1-d, non-decreasing tensor from 0, got {starts.tolist()}")
    bags = starts.shape[0] - int(include_last_offset)
    # each index belongs to the last bag that starts at or before it; past an included last offset, to none
    bag_of = xp.searchsorted(starts, xp.arange(indices.shape[0]), side="right") - 1
    return xp.where(bag_of < bags, bag_of, -1), bags


class EmbeddingBag(Module):
    """PyTorch's ``nn.EmbeddingBag``: a lookup table whose rows are reduced per bag (see
    :func:`embedding_bag`); the weight starts as N(0, 1), the ``padding_idx`` row zero.

    >>> from tinygrad_bn import Tensor
    >>> bag = EmbeddingBag(10, 3, mode="sum")
    >>> bag, bag(Tensor([[1, 2], [3, 4]])).shape
    (EmbeddingBag(10, 3, mode='sum'), (2, 3))
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, mode="mean", sparse=False, _weight=None, include_last_offset=False,
                 padding_idx=None, device=None, dtype=None):
        super().__init__()
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.sparse = sparse
        if mode not in MODES:
            raise ValueError(f"EmbeddingBag: mode must be one of {MODES}, got {mode!r}")
        self.num_embeddings, self.embedding_dim, self.mode = num_embeddings, embedding_dim, mode
        self.include_last_offset = include_last_offset
        self.padding_idx = None if padding_idx is None else _padding_index(padding_idx, num_embeddings, "EmbeddingBag")
        if _weight is None:
            self.weight = Parameter(ops.zeros(num_embeddings, embedding_dim, dtype=dtype, device=device))
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        """A bag over ``embeddings`` (rows, dim), sharing its array; frozen unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise ValueError(f"EmbeddingBag.from_pretrained expects embeddings of shape (rows, dim), "
                             f"got {embeddings.shape}")
        bag = cls(*embeddings.shape, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings,
                  include_last_offset, padding_idx)
        bag.weight.requires_grad_(not freeze)
        return bag

    def forward(self, input, offsets=None, per_sample_weights=None):  # noqa: A002 - PyTorch's argument name
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                             self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        text += "" if self.max_norm is None else f", max_norm={self.max_norm}"
        text += "" if self.norm_type == 2 else f", norm_type={self.norm_type}"
        text += ", scale_grad_by_freq=True" if self.scale_grad_by_freq else ""
        text += f", mode={self.mode!r}"
        return text if self.padding_idx is None else f"{text}, padding_idx={self.padding_idx}"
