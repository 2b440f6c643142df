"""``pdist``: the p-norm distance between every two rows of a matrix, as PyTorch's
``F.pdist`` and ``torch.pdist``.

For an (N, M) input the result holds ‖x_i − x_j‖_p for i < j, in the order of the
strict upper triangle read row by row: (0, 1), (0, 2), …, (0, N − 1), (1, 2), …,
N·(N − 1)/2 distances. The differences x_i − x_j are taken directly (not from
‖x_i‖² + ‖x_j‖² − 2·x_i·x_j), so the distances are exact, and the gradient of two
equal rows is 0, as in PyTorch, rather than ∞·0.

>>> from tinygrad_bn import tensor
>>> pdist(tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])).tolist()  # (0, 1), (0, 2), (1, 2)
[5.0, 1.0, 4.242640495300293]
"""

from __future__ import annotations

import numpy

from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.nn.distance import p_norm


def pdist(input, p=2.0):  # noqa: A002 - PyTorch's argument name
    """The distances ‖x_i − x_j‖_p of the rows i < j of an (N, M) floating tensor, as a
    tensor of N·(N − 1)/2; p ≥ 0 or ``math.inf`` (p = 0 counts the entries that differ,
    p = ∞ takes the largest difference).

    >>> from tinygrad_bn import tensor
    >>> pdist(tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 1.0]]), p=1).tolist()
    [3.0, 4.0, 3.0]
    """
    if input.ndim != 2:
        raise ShapeError(f"pdist expects a 2-D tensor (N, M) of N rows, got shape {input.shape}")
    if input.dtype.kind != "f":
        raise DtypeError(f"pdist expects a floating-point tensor, got dtype {input.dtype}")
    if not p >= 0:
        raise ArgumentError(f"pdist expects p >= 0 (or math.inf), got p={p!r}")
    first, second = numpy.triu_indices(input.shape[0], k=1)  # the pairs i < j, row by row
    differences = input.index_select(0, first) - input.index_select(0, second)  # (N·(N − 1)/2, M)
    if differences.shape[1] == 0:  # rows without entries are 0 apart
        return differences.sum(1)
    return p_norm(differences, p, dim=1)
