"""Adam (Kingma & Ba) and AdamW (Loshchilov & Hutter: weight decay decoupled)."""

from __future__ import annotations

import math

from tinygrad_bn.optim.optimizer import (
    Optimizer,
    check_betas,
    check_non_negative,
    next_step,
    scalar,
    update_moments,
    weight_decayed,
)


class Adam(Optimizer):
    """PyTorch's Adam. For each parameter θ with gradient ∇, at step t:

        g ← ∇ + λ·θ                        (weight_decay λ; decoupled: θ ← θ·(1 − η·λ) instead)
        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
        v̂ ← max(v̂, v)                      (amsgrad only; then v̂ stands for v below)
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    ``decoupled_weight_decay=True`` (keyword-only, as in PyTorch 2.13) makes it AdamW.
    A sparse gradient (from an embedding with ``sparse=True``) is refused, as in PyTorch:
    SparseAdam is for those.

    >>> from tinygrad_bn import nn, ones
    >>> model = nn.Linear(2, 1)
    >>> optimizer = Adam(model.parameters(), lr=0.1)
    >>> model(ones(4, 2)).sum().backward()
    >>> optimizer.step()
    >>> optimizer.state[model.bias]["step"]
    Tensor(1., dtype=float32)
    """

    scalar_state = ("step",)

    sparse_refusal = "Adam does not support sparse gradients, please consider SparseAdam instead"  # also AdamW's

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, decoupled_weight_decay: bool = False,
                 maximize: bool = False):
        check_non_negative(lr=lr, eps=eps)
        betas = check_betas(betas)
        check_non_negative(weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": bool(amsgrad),
                    "decoupled_weight_decay": bool(decoupled_weight_decay)}
        super().__init__(params, defaults, maximize=maximize)

    def update(self, param, grad, group, state):
        xp = param.xp
        lr, (beta1, beta2) = group["lr"], group["betas"]
        if not state:
            state["step"] = scalar(0.0)
            state["exp_avg"] = xp.zeros_like(param._data)
            state["exp_avg_sq"] = xp.zeros_like(param._data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(param._data)
        step = next_step(state)
        grad = weight_decayed(xp, param, grad, group)
        m, v = update_moments(xp, state, grad, group["betas"])
        if group["amsgrad"]:  # the largest v so far: the step size never grows back
            v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        step_size = lr / (1 - beta1**step)
        denominator = xp.sqrt(v) / math.sqrt(1 - beta2**step) + group["eps"]
        xp.subtract(param._data, step_size * (m / denominator), out=param._data)


class AdamW(Adam):
    """Adam with decoupled weight decay: θ ← θ·(1 − η·λ) before the Adam step,
    instead of adding λ·θ to the gradient. PyTorch's default λ = 0.01."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True, maximize=maximize)
