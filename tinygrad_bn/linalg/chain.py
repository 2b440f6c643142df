"""The product of a chain of matrices, A₁ A₂ ⋯ Aₙ, multiplied in the order that costs the
fewest scalar multiplications (the textbook dynamic program over split points).

The first factor may be a vector (a row, 1 × n) and the last one too (a column, n × 1);
the dimensions they stand for are dropped from the result, as in PyTorch.

>>> import tinygrad_bn as torch
>>> A, B = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.0, 1.0], [1.0, 0.0]])
>>> torch.linalg.multi_dot([A, B, torch.tensor([1.0, 0.0])]).tolist()  # A·B·e₁ = A's second column
[2.0, 4.0]
"""

from __future__ import annotations

from tinygrad_bn.errors import DtypeError, ShapeError


def _check(tensors):
    if len(tensors) < 2:
        raise ShapeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    if first.ndim not in (1, 2):
        raise ShapeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.ndim}D")
    if last.ndim not in (1, 2):
        raise ShapeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.ndim}D")
    for i, t in enumerate(tensors[1:-1], start=1):
        if t.ndim != 2:
            raise ShapeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    for i, t in enumerate(tensors):
        if t.dtype != first.dtype:
            raise DtypeError(f"multi_dot(): all tensors must have the same dtype, but tensor 0 is {first.dtype} "
                             f"and tensor {i} is {t.dtype}")


def _split_points(dims):
    """split[i][j]: where the cheapest product of matrices i..j splits, for matrix k of shape
    dims[k] × dims[k + 1]; cost[i][j] = min over s of cost[i][s] + cost[s+1][j] + dᵢ·dₛ₊₁·dⱼ₊₁."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(2, n + 1):
        for i in range(n - length + 1):
            j = i + length - 1
            costs = {s: cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1] for s in range(i, j)}
            split[i][j] = min(costs, key=costs.get)
            cost[i][j] = costs[split[i][j]]
    return split


def multi_dot(tensors):
    """A₁ A₂ ⋯ Aₙ of two or more tensors: 2-D ones, but the first may be 1-D (a row) and the
    last may be 1-D (a column). All share a dtype."""
    tensors = list(tensors)
    _check(tensors)
    matrices = list(tensors)
    if matrices[0].ndim == 1:
        matrices[0] = matrices[0].unsqueeze(0)
    if matrices[-1].ndim == 1:
        matrices[-1] = matrices[-1].unsqueeze(-1)
    for i in range(len(matrices) - 1):
        if matrices[i].shape[1] != matrices[i + 1].shape[0]:
            raise ShapeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                             f"{list(tensors[i + 1].shape)} cannot be multiplied")
    dims = [m.shape[0] for m in matrices] + [matrices[-1].shape[1]]
    split = _split_points(dims)

    def product(i, j):
        if i == j:
            return matrices[i]
        return product(i, split[i][j]) @ product(split[i][j] + 1, j)

    result = product(0, len(matrices) - 1)
    if tensors[-1].ndim == 1:
        result = result.squeeze(-1)
    if tensors[0].ndim == 1:
        result = result.squeeze(0)
    return result
