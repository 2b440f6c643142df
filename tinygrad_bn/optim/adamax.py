"""Adamax (Kingma & Ba, section 7.1): Adam with the infinity norm of the gradients in
place of their root mean square."""

from __future__ import annotations

from tinygrad_bn.optim.optimizer import Optimizer, check_betas, check_non_negative, lerp_, next_step, scalar


class Adamax(Optimizer):
    """PyTorch's Adamax. For each parameter θ with gradient ∇, at step t:

        g ← ∇ + λ·θ                          (weight_decay λ)
        m ← β₁·m + (1 − β₁)·g                (exp_avg)
        u ← max(β₂·u, |g| + ε)               (exp_inf)
        θ ← θ − η/(1 − β₁ᵗ) · m/u

    >>> from tinygrad_bn import nn, ones
    >>> model = nn.Linear(2, 1)
    >>> optimizer = Adamax(model.parameters(), lr=0.01)
    >>> model(ones(4, 2)).sum().backward()
    >>> optimizer.step()
    >>> sorted(optimizer.state[model.bias])
    ['exp_avg', 'exp_inf', 'step']
    """

    scalar_state = ("step",)

    def __init__(self, params, lr: float = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, *, maximize: bool = False):
        check_non_negative(lr=lr, eps=eps)
        betas = check_betas(betas)
        check_non_negative(weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults, maximize=maximize)

    def update(self, param, grad, group, state):
        xp = param.xp
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = scalar(0.0)
            state["exp_avg"] = xp.zeros_like(param._data)
            state["exp_inf"] = xp.zeros_like(param._data)
        step, m, u = next_step(state), state["exp_avg"], state["exp_inf"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param._data
        # m ← β₁·m + (1 − β₁)·g
        lerp_(xp, m, grad, 1 - beta1)
        # u ← max(β₂·u, |g| + ε)
        xp.multiply(u, beta2, out=u)
        xp.maximum(u, xp.abs(grad) + group["eps"], out=u)
        # θ ← θ − η/(1 − β₁ᵗ) · m/u
        step_size = group["lr"] / (1 - beta1**step)
        xp.subtract(param._data, step_size * (m / u), out=param._data)
