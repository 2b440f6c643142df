"""RAdam (Liu et al., "On the variance of the adaptive learning rate and beyond"): Adam
whose adaptive step is rectified, and left out while the second moment's estimate is
too young to trust."""

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


class RAdam(Optimizer):
    """PyTorch's RAdam. For each parameter θ with gradient ∇, at step t:

        g ← ∇ + λ·θ                          (weight_decay λ; decoupled: θ ← θ·(1 − η·λ) instead)
        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
        m̂ = m/(1 − β₁ᵗ)
        ρ∞ = 2/(1 − β₂) − 1,   ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
        when ρₜ > 5:  r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ)),  l = √(1 − β₂ᵗ)/(√v + ε)
                      θ ← θ − η·m̂·l·r
        otherwise:    θ ← θ − η·m̂          (plain momentum SGD)

    >>> from tinygrad_bn import nn, ones
    >>> model = nn.Linear(2, 1)
    >>> optimizer = RAdam(model.parameters(), lr=0.01, decoupled_weight_decay=True, weight_decay=0.1)
    >>> model(ones(4, 2)).sum().backward()
    >>> optimizer.step()
    >>> sorted(optimizer.state[model.bias])
    ['exp_avg', 'exp_avg_sq', 'step']
    """

    scalar_state = ("step",)

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *, maximize: bool = False):
        check_non_negative(lr=lr, eps=eps)
        betas = check_betas(betas)
        check_non_negative(weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "decoupled_weight_decay": bool(decoupled_weight_decay)}
        super().__init__(params, defaults, maximize=maximize)

    def update(self, param, grad, group, state):
        xp = param.xp
        lr, (beta1, beta2) = group["lr"], group["betas"]
        if not state:
            state["step"] = scalar(0.0)
            state["exp_avg"] = xp.zeros_like(param._data)
            state["exp_avg_sq"] = xp.zeros_like(param._data)
        step = next_step(state)
        grad = weight_decayed(xp, param, grad, group)
        m, v = update_moments(xp, state, grad, group["betas"])  # m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²
        bias_correction2 = 1 - beta2**step
        m_hat = m / (1 - beta1**step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
        if rho_t > 5.0:
            rectification = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(bias_correction2) / (xp.sqrt(v) + group["eps"])
            # θ ← θ − η·m̂·l·r
            xp.subtract(param._data, m_hat * lr * adaptive * rectification, out=param._data)
        else:
            # θ ← θ − η·m̂
            xp.subtract(param._data, m_hat * lr, out=param._data)
