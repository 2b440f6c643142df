"""The math the pictures write on nodes: what each BatchNorm step computes (in
the symbols of docs/batchnorm.md) and each op's local backward formula.

``g`` is the gradient arriving at a node (the gradient of its output).
"""

from __future__ import annotations

from tinygrad_bn.annotations import of

#: role of a composite BatchNorm step -> (its value's symbol, the forward equation, its local backward)
STEPS = {
    "mean": ("μ", "(F1) μ = mean(x)", "dx += dμ/m, spread over the batch"),
    "centre": ("x − μ", "x − μ", "dx = g, dμ = −Σ g"),
    "square": ("(x − μ)²", "(x − μ)²", "d(x − μ) = g·2(x − μ)"),
    "variance": ("σ²", "(F2) σ² = mean((x − μ)²)", "d(x − μ)² = dσ²/m, spread over the batch"),
    "add eps": ("σ² + ε", "σ² + ε", "dσ² = g"),
    "sqrt": ("√(σ² + ε)", "(F3) inv_std = 1/√(σ² + ε)", "d(σ² + ε) = g/(2√(σ² + ε))"),
    "normalize": ("x̂", "(F4) x̂ = (x − μ)·inv_std",
                  "d(x − μ) = g·inv_std,  d√(σ² + ε) = −Σ g·(x − μ)·inv_std²  (B4)"),
    "scale": ("γ·x̂", "(F5) γ·x̂", "(B3) dx̂ = dy·γ,  (B2) dγ = Σ dy·x̂"),
    "shift": ("y", "(F5) y = γ·x̂ + β", "(B1) dβ = Σ dy,  d(γ·x̂) = dy"),
    "to float32": ("x (float32)", "x in float32", "dx = g in x's dtype"),
    "to input dtype": ("y", "y in the input's dtype", "g in float32"),
}

#: role of a step of the fused BatchNorm's recorded backward -> its equation
CLOSED_FORM = {
    "dβ": "(B1) dβ = Σ dy",
    "dγ": "(B2) dγ = Σ dy·x̂",
    "dx": "(B7) dx = (γ·inv_std/m)·(m·dy − dβ − x̂·dγ); in eval (E2) dy·γ·inv_std",
}

#: op name -> its local backward, for ops without a BatchNorm role
OPS = {
    "Add": "da = g,  db = g",
    "Sub": "da = g,  db = −g",
    "Mul": "da = g·b,  db = g·a",
    "Div": "da = g/b,  db = −g·a/b²",
    "Pow": "da = g·b·a^(b − 1)",
    "Neg": "dx = −g",
    "Exp": "dx = g·exp(x)",
    "Log": "dx = g/x",
    "Sqrt": "dx = g/(2√x)",
    "Abs": "dx = g·sign(x)",
    "Tanh": "dx = g·(1 − tanh²x)",
    "Sigmoid": "dx = g·σ(x)(1 − σ(x))",
    "Relu": "dx = g·[x > 0]",
    "Maximum": "g to the larger input (halved at ties)",
    "Where": "g to the input the condition chose",
    "Sum": "dx = g, spread over the summed axes",
    "Mean": "dx = g/m, spread over the averaged axes",
    "Max": "g to the largest element (shared at ties)",
    "MatMul": "dA = g·Bᵀ,  dB = Aᵀ·g",
    "Linear": "dx = g·W,  dW = gᵀ·x",
    "Convolution": "dW = g·colsᵀ,  dx = fold(Wᵀ·g)",
    "LogSoftmax": "dx = g − softmax(x)·Σg",
    "Reshape": "dx = g reshaped back",
    "Transpose": "dx = g transposed back",
    "BroadcastTo": "dx = g summed over the broadcast axes",
    "SumTo": "dx = g broadcast back",
    "GetItem": "dx = g scattered back into zeros",
    "Concatenate": "each input gets its slice of g",
    "Pad": "dx = g without the padding",
    "AsType": "dx = g in x's dtype",
    "Clone": "dx = g",
    "BatchNorm (fused)": "(B1) dβ = Σ dy,  (B2) dγ = Σ dy·x̂,  "
                         "(B7) dx = (γ·inv_std/m)·(m·dy − Σ dy − x̂·Σ dy·x̂)",
}

#: op name -> names of what its forward keeps with save_for_backward, in order
SAVED_NAMES = {
    "BatchNorm (fused)": ("x", "γ", "K", "μ − K", "inv_std"),
    "Convolution": ("x", "W", "cols"),
}

#: the ops a backward records outside any node's backward: the engine's own steps
ENGINE_STEPS = {
    "Add": ("accumulate", "the gradients of a fanned-out tensor are added"),
    "SumTo": ("undo broadcast", "g summed back to the input's shape"),
    "AsType": ("cast", "g cast to the input's dtype"),
}


def step_name(node) -> str:
    """What a node is called: its noted role (a BatchNorm step), else its op's name."""
    return of(node).role or node.name


def symbol(node) -> str:
    """What a node's output is called: its step's symbol, or '<op> output'."""
    role = of(node).role
    return STEPS[role][0] if role in STEPS else f"{step_name(node)} output"


def equation(node) -> str | None:
    """The equation of a BatchNorm step, forward or closed-form backward (None for other ops)."""
    role = of(node).role
    return STEPS[role][1] if role in STEPS else CLOSED_FORM.get(role)


def local_backward(node) -> str:
    """The node's local backward formula, in terms of the arriving gradient g."""
    role = of(node).role
    if role in STEPS:
        return STEPS[role][2]
    return OPS.get(node.name, f"{node.name}.backward(g)")


def saved_name(node, index: int) -> str | None:
    """The name of the ``index``-th tensor ``node`` saved, when its op names them."""
    names = SAVED_NAMES.get(node.name)
    return names[index] if names and index < len(names) else None
