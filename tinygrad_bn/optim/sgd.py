"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from tinygrad_bn.optim.optimizer import Optimizer, check_non_negative


class SGD(Optimizer):
    """PyTorch's SGD. For each parameter θ with gradient ∇:

        g ← ∇ + λ·θ                                  (weight_decay λ)
        b ← g at the first step, then μ·b + (1 − τ)·g  (momentum μ, dampening τ)
        g ← g + μ·b if nesterov else b               (when μ ≠ 0)
        θ ← θ − η·g                                  (lr η)

    A sparse gradient (from an embedding with ``sparse=True``) is taken as it is, with
    momentum too, but not with weight decay, as in PyTorch (λ·θ is dense); the momentum
    buffer is then dense, PyTorch's sparse, with the same numbers.
    """

    sparse_gradients = True

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False):
        check_non_negative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov}
        super().__init__(params, defaults, maximize=maximize)

    def update(self, param, grad, group, state):
        xp = param.xp
        momentum = group["momentum"]
        if group["weight_decay"] != 0:
            if param.grad.is_sparse:  # λ·θ is dense
                raise RuntimeError(
                    f"SGD: weight_decay={group['weight_decay']} does not work with a sparse gradient, as in "
                    f"PyTorch: the parameter of shape {tuple(param.shape)} gets its gradient from an embedding "
                    "with sparse=True; put it in a parameter group with weight_decay=0, or use sparse=False"
                )
            grad = grad + group["weight_decay"] * param._data
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.copy()
            else:
                # b ← μ·b + (1 − τ)·g
                dampening = group["dampening"]
                xp.multiply(buffer, momentum, out=buffer)
                xp.add(buffer, grad if dampening == 0 else (1 - dampening) * grad, out=buffer)
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        # θ ← θ − η·g
        xp.subtract(param._data, group["lr"] * grad, out=param._data)
