"""NAdam (Dozat, "Incorporating Nesterov momentum into Adam"): Adam whose step looks
one momentum step ahead, with a momentum that warms up over the first steps."""

from __future__ import annotations

from tinygrad_bn.optim.optimizer import (
    Optimizer,
    check_betas,
    check_non_negative,
    next_step,
    scalar,
    update_moments,
    weight_decayed,
)


class NAdam(Optimizer):
    """PyTorch's NAdam. For each parameter θ with gradient ∇, at step t:

        g ← ∇ + λ·θ                          (weight_decay λ; decoupled: θ ← θ·(1 − η·λ) instead)
        μₜ = β₁·(1 − ½·0.96^(t·ψ))           (momentum_decay ψ)
        Πₜ = μ₁·μ₂·…·μₜ                       (mu_product)
        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
        d = √(v/(1 − β₂ᵗ)) + ε
        θ ← θ − η·(1 − μₜ)/(1 − Πₜ) · g/d − η·μₜ₊₁/(1 − Πₜ·μₜ₊₁) · m/d

    As in PyTorch, Πₜ is a float32 counter of the state (float64 under a float64
    default dtype), so its rounding is PyTorch's.

    >>> from tinygrad_bn import nn, ones
    >>> model = nn.Linear(2, 1)
    >>> optimizer = NAdam(model.parameters(), lr=0.01)
    >>> model(ones(4, 2)).sum().backward()
    >>> optimizer.step()
    >>> sorted(optimizer.state[model.bias]), round(optimizer.state[model.bias]["mu_product"].item(), 4)
    (['exp_avg', 'exp_avg_sq', 'mu_product', 'step'], 0.4501)
    """

    scalar_state = ("step", "mu_product")

    def __init__(self, params, lr: float = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False):
        check_non_negative(lr=lr, eps=eps)
        betas = check_betas(betas)
        check_non_negative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": bool(decoupled_weight_decay)}
        super().__init__(params, defaults, maximize=maximize)

    def update(self, param, grad, group, state):
        xp = param.xp
        lr, (beta1, beta2) = group["lr"], group["betas"]
        if not state:
            state["step"] = scalar(0.0)
            state["mu_product"] = scalar(1.0)
            state["exp_avg"] = xp.zeros_like(param._data)
            state["exp_avg_sq"] = xp.zeros_like(param._data)
        step = next_step(state)
        grad = weight_decayed(xp, param, grad, group)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        # Πₜ ← Πₜ₋₁·μₜ, in the counter's own dtype
        state["mu_product"].mul_(mu)
        mu_product = state["mu_product"].item()
        m, v = update_moments(xp, state, grad, group["betas"])  # m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²
        # d = √(v/(1 − β₂ᵗ)) + ε
        denominator = xp.sqrt(v / (1 - beta2**step)) + group["eps"]
        # θ ← θ − η·(1 − μₜ)/(1 − Πₜ) · g/d − η·μₜ₊₁/(1 − Πₜ·μₜ₊₁) · m/d
        xp.subtract(param._data, lr * (1.0 - mu) / (1.0 - mu_product) * (grad / denominator), out=param._data)
        xp.subtract(param._data, lr * mu_next / (1.0 - mu_product * mu_next) * (m / denominator), out=param._data)
