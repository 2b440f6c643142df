"""Adagrad (Duchi et al.): each step divided by the root of the sum of all squared gradients so far."""

from __future__ import annotations

from tinygrad_bn.optim.optimizer import Optimizer, check_non_negative, next_step, scalar


class Adagrad(Optimizer):
    """PyTorch's Adagrad. For each parameter θ with gradient ∇, at step t:

        g ← ∇ + λ·θ                           (weight_decay λ)
        η_t ← η / (1 + (t − 1)·δ)             (lr_decay δ)
        s ← s + g²                            (sum, starting at initial_accumulator_value)
        θ ← θ − η_t·g/(√s + ε)

    >>> from tinygrad_bn import nn, ones
    >>> model = nn.Linear(2, 1)
    >>> optimizer = Adagrad(model.parameters(), lr=0.1)
    >>> model(ones(4, 2)).sum().backward()
    >>> optimizer.step()
    >>> sorted(optimizer.state[model.bias])
    ['step', 'sum']
    """

    scalar_state = ("step",)

    sparse_gradients = True

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *, maximize: bool = False):
        check_non_negative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "eps": eps}
        super().__init__(params, defaults, maximize=maximize)

    def update(self, param, grad, group, state):
        xp = param.xp
        if not state:
            state["step"] = scalar(0.0)
            state["sum"] = xp.full_like(param._data, group["initial_accumulator_value"])
        step = next_step(state)
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param._data
        lr_t = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        # s ← s + g²
        s = state["sum"]
        xp.add(s, grad * grad, out=s)
        # θ ← θ − η_t·g/(√s + ε)
        xp.subtract(param._data, lr_t * (grad / (xp.sqrt(s) + group["eps"])), out=param._data)
