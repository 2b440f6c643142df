"""Rprop (Riedmiller & Braun): each weight moves by a step size of its own, by the sign
of its gradient alone; the step grows while the sign holds and shrinks when it flips."""

from __future__ import annotations

from tinygrad_bn.optim.optimizer import Optimizer, check_non_negative, next_step, scalar


class Rprop(Optimizer):
    """PyTorch's Rprop (the variant that skips a step after a sign change). For each
    parameter θ with gradient g, and g' the gradient kept from the step before:

        f = η₊ where g·g' > 0,  η₋ where g·g' < 0,  1 where g·g' = 0     (etas (η₋, η₊))
        Δ ← clip(Δ·f, Δ_min, Δ_max)          (step_size, Δ = lr at first; step_sizes (Δ_min, Δ_max))
        g ← 0 where g·g' < 0                 (no move, and no sign to compare, after a flip)
        θ ← θ − sign(g)·Δ
        g' ← g                               (prev)

    >>> from tinygrad_bn import nn, ones
    >>> model = nn.Linear(2, 1)
    >>> optimizer = Rprop(model.parameters(), lr=0.5)
    >>> model(ones(4, 2)).sum().backward()
    >>> optimizer.step()
    >>> model.bias.grad.item(), optimizer.state[model.bias]["step_size"].tolist()  # Δ = lr·1 at first
    (4.0, [0.5])
    """

    scalar_state = ("step",)

    def __init__(self, params, lr: float = 1e-2, etas: tuple = (0.5, 1.2), step_sizes: tuple = (1e-6, 50), *,
                 maximize: bool = False):
        check_non_negative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, {"lr": lr, "etas": tuple(etas), "step_sizes": tuple(step_sizes)}, maximize=maximize)

    def update(self, param, grad, group, state):
        xp = param.xp
        (eta_minus, eta_plus), (smallest, largest) = group["etas"], group["step_sizes"]
        if not state:
            state["step"] = scalar(0.0)
            state["prev"] = xp.zeros_like(param._data)
            state["step_size"] = xp.full_like(grad, group["lr"])
        next_step(state)
        previous, step_size = state["prev"], state["step_size"]
        agreement = grad * previous
        flipped = agreement < 0
        # Δ ← clip(Δ·f, Δ_min, Δ_max)
        factor = xp.where(agreement > 0, eta_plus, xp.where(flipped, eta_minus, 1.0)).astype(step_size.dtype)
        xp.clip(step_size * factor, smallest, largest, out=step_size)
        # g ← 0 where the sign flipped;  θ ← θ − sign(g)·Δ;  g' ← g
        grad = xp.where(flipped, 0, grad)
        xp.subtract(param._data, xp.sign(grad) * step_size, out=param._data)
        previous[...] = grad
