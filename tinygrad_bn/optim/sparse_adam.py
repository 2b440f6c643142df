"""SparseAdam: Adam for the gradients of embeddings with ``sparse=True``, which moves only
the rows each gradient names.

There are no sparse tensors here: such a gradient is a dense
:class:`~tinygrad_bn.autograd.tensor.RowSparseGrad` that also names the rows looked up
(``grad.rows``), and this optimizer reads and writes the parameter and its moments at
those rows only, as PyTorch's does at the indices of its sparse gradient.
"""

from __future__ import annotations

import math

from tinygrad_bn.optim.optimizer import Optimizer, check_betas, check_non_negative


class SparseAdam(Optimizer):
    """PyTorch's SparseAdam. For each parameter θ whose gradient ∇ names the rows R, at
    step t (counted over every step of this parameter, whatever rows it named):

        m[R] ← m[R] + (1 − β₁)·(∇[R] − m[R]),   v[R] ← v[R] + (1 − β₂)·(∇[R]² − v[R])
        θ[R] ← θ[R] − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m[R] / (√v[R] + ε)

    Rows outside R keep θ, m and v as they are: a row looked up rarely is not pulled
    towards zero between its lookups, as Adam on a dense gradient would. The gradient
    must come from an ``Embedding``/``EmbeddingBag`` with ``sparse=True``; a dense one
    is refused, as in PyTorch (use Adam for those parameters, in an optimizer of its own).
    ``state["step"]`` is a Python int, as PyTorch keeps it.

    >>> from tinygrad_bn import nn, tensor
    >>> table = nn.Embedding(4, 2, sparse=True)
    >>> optimizer = SparseAdam(table.parameters(), lr=0.1)
    >>> before = table.weight.tolist()
    >>> table(tensor([2])).sum().backward()
    >>> optimizer.step()
    >>> [row_after == row for row_after, row in zip(table.weight.tolist(), before)]
    [True, True, False, True]
    >>> optimizer.state[table.weight]["step"]
    1
    """

    sparse_gradients = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 maximize: bool = False):
        check_non_negative(lr=lr, eps=eps)
        betas = check_betas(betas)
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps}, maximize=maximize)

    def zero_grad(self, set_to_none: bool = True):
        """As :meth:`Optimizer.zero_grad`; a gradient zeroed in place (``set_to_none=False``)
        names no rows any more, as PyTorch's sparse gradient keeps no entries then."""
        super().zero_grad(set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and p.grad.is_sparse:
                    p.grad.rows = p.grad.rows[:0]

    def update(self, param, grad, group, state):
        if not param.grad.is_sparse:
            raise RuntimeError(
                "SparseAdam does not support dense gradients, please consider Adam instead: the gradient "
                f"of the parameter of shape {tuple(param.shape)} is dense; only the weight of an Embedding "
                "or EmbeddingBag with sparse=True gets a sparse one"
            )
        xp = param.xp
        (beta1, beta2), rows = group["betas"], param.grad.rows
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param._data)
            state["exp_avg_sq"] = xp.zeros_like(param._data)
        state["step"] += 1
        step = state["step"]
        g, m, v = grad[rows], state["exp_avg"][rows], state["exp_avg_sq"][rows]
        # m ← m + (1 − β₁)·(g − m),  v ← v + (1 − β₂)·(g² − v), at the rows named
        m = m + (g - m) * (1 - beta1)
        v = v + (g * g - v) * (1 - beta2)
        state["exp_avg"][rows], state["exp_avg_sq"][rows] = m, v
        # θ ← θ − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m/(√v + ε)
        step_size = group["lr"] * math.sqrt(1 - beta2**step) / (1 - beta1**step)
        param._data[rows] = param._data[rows] + -step_size * (m / (xp.sqrt(v) + group["eps"]))
