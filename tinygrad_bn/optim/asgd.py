"""ASGD (Polyak & Juditsky): stochastic gradient descent with a decaying step, and a
running average of the iterates (``ax``) to use as the solution."""

from __future__ import annotations

from tinygrad_bn.optim.optimizer import Optimizer, check_non_negative, next_step, scalar


class ASGD(Optimizer):
    """PyTorch's ASGD. For each parameter θ with gradient ∇, at step t:

        g ← ∇ + λ·θ                          (weight_decay λ)
        θ ← θ·(1 − λ_d·ηₜ) − ηₜ·g             (lambd λ_d; eta ηₜ, η₁ = lr)
        θ̄ ← θ̄ + μₜ·(θ − θ̄)                   (ax, the average; θ̄ ← θ while μₜ = 1)
        ηₜ₊₁ = lr/(1 + λ_d·lr·t)^α            (alpha α)
        μₜ₊₁ = 1/max(1, t − t₀)               (averaging starts after t₀ steps)

    As in PyTorch, ηₜ and μₜ are float32 counters of the state (float64 under a
    float64 default dtype), so the first step takes lr rounded to float32.
    Read the average from ``optimizer.state[p]["ax"]``.

    >>> from tinygrad_bn import nn, ones
    >>> model = nn.Linear(2, 1)
    >>> optimizer = ASGD(model.parameters(), lr=0.5, t0=0)
    >>> model(ones(4, 2)).sum().backward()
    >>> optimizer.step()
    >>> sorted(optimizer.state[model.bias]), optimizer.state[model.bias]["mu"].item()
    (['ax', 'eta', 'mu', 'step'], 1.0)
    """

    scalar_state = ("step", "eta", "mu")

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0.0, *, maximize: bool = False):
        check_non_negative(lr=lr, weight_decay=weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay}
        super().__init__(params, defaults, maximize=maximize)

    def update(self, param, grad, group, state):
        xp = param.xp
        lr, lambd = group["lr"], group["lambd"]
        if not state:
            state["step"] = scalar(0.0)
            state["eta"] = scalar(lr)
            state["mu"] = scalar(1.0)
            state["ax"] = xp.zeros_like(param._data)
        step, eta, mu, average = next_step(state), state["eta"].item(), state["mu"].item(), state["ax"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param._data
        # θ ← θ·(1 − λ_d·ηₜ) − ηₜ·g
        xp.multiply(param._data, 1 - lambd * eta, out=param._data)
        xp.subtract(param._data, eta * grad, out=param._data)
        # θ̄ ← θ̄ + μₜ·(θ − θ̄)
        if mu != 1:
            xp.add(average, (param._data - average) * mu, out=average)
        else:
            average[...] = param._data
        # ηₜ₊₁ = lr/(1 + λ_d·lr·t)^α,  μₜ₊₁ = 1/max(1, t − t₀)
        state["eta"].fill_(lr / (1 + lambd * lr * step) ** group["alpha"])
        state["mu"].fill_(1 / max(1, step - group["t0"]))
