"""Adadelta (Zeiler): steps sized by the ratio of running root mean squares of past
steps and of past gradients, so that no learning rate needs tuning."""

from __future__ import annotations

from tinygrad_bn.optim.optimizer import Optimizer, check_non_negative, next_step, scalar


class Adadelta(Optimizer):
    """PyTorch's Adadelta. For each parameter θ with gradient ∇:

        g ← ∇ + λ·θ                          (weight_decay λ)
        v ← ρ·v + (1 − ρ)·g²                 (square_avg)
        δ = √(u + ε)/√(v + ε) · g
        u ← ρ·u + (1 − ρ)·δ²                 (acc_delta)
        θ ← θ − η·δ                          (lr η, 1 by default)

    >>> from tinygrad_bn import nn, ones
    >>> model = nn.Linear(2, 1)
    >>> optimizer = Adadelta(model.parameters())
    >>> model(ones(4, 2)).sum().backward()
    >>> optimizer.step()
    >>> sorted(optimizer.state[model.bias])
    ['acc_delta', 'square_avg', 'step']
    """

    scalar_state = ("step",)

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False):
        check_non_negative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_non_negative(eps=eps, weight_decay=weight_decay)
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}, maximize=maximize)

    def update(self, param, grad, group, state):
        xp = param.xp
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = scalar(0.0)
            state["square_avg"] = xp.zeros_like(param._data)
            state["acc_delta"] = xp.zeros_like(param._data)
        next_step(state)
        v, u = state["square_avg"], state["acc_delta"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param._data
        # v ← ρ·v + (1 − ρ)·g²
        xp.multiply(v, rho, out=v)
        xp.add(v, (1 - rho) * (grad * grad), out=v)
        # δ = √(u + ε)/√(v + ε) · g
        delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * grad
        # u ← ρ·u + (1 − ρ)·δ²
        xp.multiply(u, rho, out=u)
        xp.add(u, (1 - rho) * (delta * delta), out=u)
        # θ ← θ − η·δ
        xp.subtract(param._data, group["lr"] * delta, out=param._data)
