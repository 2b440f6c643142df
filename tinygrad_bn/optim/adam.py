"""Adam (Kingma & Ba) and AdamW (Loshchilov & Hutter: weight decay decoupled)."""

from __future__ import annotations

import math

from tinygrad_bn.optim.optimizer import Optimizer, check_at_least


class Adam(Optimizer):
    """PyTorch's Adam. For each parameter θ with gradient ∇, at step t:

        g ← ∇ + λ·θ                        (weight_decay λ; AdamW instead: θ ← θ·(1 − η·λ))
        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
        v̂ ← max(v̂, v)                      (amsgrad only; then v̂ stands for v below)
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
    """

    decoupled_weight_decay = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False):
        name = type(self).__name__
        for label, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            check_at_least(label, value, 0.0, name)
        if len(betas) != 2 or not all(0.0 <= beta < 1.0 for beta in betas):
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas}")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": bool(amsgrad)}
        super().__init__(params, defaults)

    def update(self, param, grad, group, state):
        xp = param.xp
        lr, (beta1, beta2), decay = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param._data)
            state["exp_avg_sq"] = xp.zeros_like(param._data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(param._data)
        state["step"] += 1
        step, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if decay != 0 and self.decoupled_weight_decay:
            xp.multiply(param._data, 1 - lr * decay, out=param._data)
        elif decay != 0:
            grad = grad + decay * param._data
        # m ← β₁·m + (1 − β₁)·g, written m + (1 − β₁)·(g − m) as PyTorch does
        xp.add(m, (1 - beta1) * (grad - m), out=m)
        # v ← β₂·v + (1 − β₂)·g²
        xp.multiply(v, beta2, out=v)
        xp.add(v, (1 - beta2) * (grad * grad), out=v)
        if group["amsgrad"]:  # the largest v so far: the step size never grows back
            v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        step_size = lr / (1 - beta1**step)
        denominator = xp.sqrt(v) / math.sqrt(1 - beta2**step) + group["eps"]
        xp.subtract(param._data, step_size * (m / denominator), out=param._data)


class AdamW(Adam):
    """Adam with decoupled weight decay: θ ← θ·(1 − η·λ) before the Adam step,
    instead of adding λ·θ to the gradient. PyTorch's default λ = 0.01."""

    decoupled_weight_decay = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
