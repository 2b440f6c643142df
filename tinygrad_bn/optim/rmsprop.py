"""RMSprop (Hinton): each step divided by a running root mean square of the gradients."""

from __future__ import annotations

from tinygrad_bn.optim.optimizer import Optimizer, check_non_negative, next_step, scalar


class RMSprop(Optimizer):
    """PyTorch's RMSprop. For each parameter θ with gradient ∇:

        g ← ∇ + λ·θ                           (weight_decay λ)
        v ← α·v + (1 − α)·g²                  (square_avg)
        ḡ ← α·ḡ + (1 − α)·g                   (grad_avg, centered only)
        d ← √(v − ḡ²) + ε if centered else √v + ε
        b ← μ·b + g/d,  θ ← θ − η·b           (momentum_buffer, when μ > 0)
        θ ← θ − η·g/d                         (otherwise)

    >>> from tinygrad_bn import nn, ones
    >>> model = nn.Linear(2, 1)
    >>> optimizer = RMSprop(model.parameters(), lr=0.01, momentum=0.9, centered=True)
    >>> model(ones(4, 2)).sum().backward()
    >>> optimizer.step()
    >>> sorted(optimizer.state[model.bias])
    ['grad_avg', 'momentum_buffer', 'square_avg', 'step']
    """

    scalar_state = ("step",)

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False, *, maximize: bool = False):
        check_non_negative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay, "momentum": momentum,
                    "centered": bool(centered)}
        super().__init__(params, defaults, maximize=maximize)

    def update(self, param, grad, group, state):
        xp = param.xp
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = scalar(0.0)
            state["square_avg"] = xp.zeros_like(param._data)
            if momentum > 0:
                state["momentum_buffer"] = xp.zeros_like(param._data)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param._data)
        next_step(state)
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param._data
        # v ← α·v + (1 − α)·g²
        v = state["square_avg"]
        xp.multiply(v, alpha, out=v)
        xp.add(v, (1 - alpha) * (grad * grad), out=v)
        if group["centered"]:
            # ḡ ← α·ḡ + (1 − α)·g, written ḡ + (1 − α)·(g − ḡ) as PyTorch does
            g_avg = state["grad_avg"]
            xp.add(g_avg, (1 - alpha) * (grad - g_avg), out=g_avg)
            denominator = xp.sqrt(v - g_avg * g_avg) + group["eps"]
        else:
            denominator = xp.sqrt(v) + group["eps"]
        direction = grad / denominator
        if momentum > 0:
            # b ← μ·b + g/d
            b = state["momentum_buffer"]
            xp.multiply(b, momentum, out=b)
            direction = xp.add(b, direction, out=b)
        # θ ← θ − η·b  or  θ ← θ − η·g/d
        xp.subtract(param._data, group["lr"] * direction, out=param._data)
