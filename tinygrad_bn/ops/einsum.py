"""``einsum``: sums of products named by subscripts, as PyTorch's (``"ij,jk->ik"``).

The gradient for an operand with subscripts s is the einsum of the upstream
gradient and the other operands into s: for ``"ij,jk->ik"``, dA = einsum("ik,jk->ij",
dY, B). A subscript of s that appears nowhere else was summed away, so the gradient is
the same along it (broadcast back). Written with ``einsum`` itself, so it
differentiates again. Subscripts repeated within one operand (diagonals) and ``...``
are not supported.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Function
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.ops.promotion import promote


class Einsum(Function):
    def forward(self, *operands, inputs, output):
        self.inputs, self.output = inputs, output
        self.save_for_backward(*operands)
        equation = f"{','.join(inputs)}->{output}"
        return operands[0].xp.einsum(equation, *(t._data for t in operands))

    def backward(self, grad):
        operands = self.saved_tensors
        grads = []
        for k, (subscripts, need) in enumerate(zip(self.inputs, self.needs_input_grad)):
            if not need:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(self.inputs) if j != k]
            elsewhere = set(self.output).union(*others)
            kept = "".join(c for c in subscripts if c in elsewhere)
            # d/dX_k: einsum(dY, X_j for j ≠ k) into the subscripts of X_k that appear elsewhere
            g = _einsum([self.output, *others], kept, [grad, *(t for j, t in enumerate(operands) if j != k)])
            spread = tuple(n if c in elsewhere else 1 for c, n in zip(subscripts, operands[k].shape))
            grads.append(g.reshape(spread).expand(*operands[k].shape))
        return tuple(grads)


def _einsum(inputs: list, output: str, operands: list):
    return Einsum.apply(*promote(*operands), inputs=tuple(inputs), output=output)


def _parse(equation: str, count: int) -> tuple:
    """The subscripts of each operand and of the output (implicit: the letters seen once, sorted)."""
    equation = equation.replace(" ", "")
    if "." in equation:
        raise NotImplementedError(f"einsum: '...' is not supported, got {equation!r}")
    left, arrow, output = equation.partition("->")
    inputs = left.split(",")
    if not arrow:
        letters = "".join(inputs)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(inputs) != count:
        raise ValueError(f"einsum: {equation!r} names {len(inputs)} operands, got {count}")
    for subscripts in inputs:
        if len(set(subscripts)) != len(subscripts):
            raise NotImplementedError(f"einsum: a subscript repeated in one operand is not supported: {subscripts!r}")
    if not set(output) <= set("".join(inputs)) or len(set(output)) != len(output):
        raise ValueError(f"einsum: output subscripts {output!r} must be distinct letters of the inputs in {equation!r}")
    return inputs, output


def einsum(equation: str, *operands):
    """PyTorch's ``einsum``: ``einsum("ij,jk->ik", a, b)`` is a @ b, ``einsum("bi,bi->b",
    x, y)`` rowwise dot products; the operands may also come as one list.

    >>> from tinygrad_bn import tensor
    >>> einsum("ij,j->i", tensor([[1.0, 2.0], [3.0, 4.0]]), tensor([1.0, 1.0])).tolist()
    [3.0, 7.0]
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs, output = _parse(equation, len(operands))
    sizes = {}
    for subscripts, t in zip(inputs, operands):
        if len(subscripts) != t.ndim:
            raise ShapeError(f"einsum: subscripts {subscripts!r} for an operand of shape {t.shape}")
        for c, n in zip(subscripts, t.shape):
            if sizes.setdefault(c, n) != n:
                raise ShapeError(f"einsum: subscript {c!r} has sizes {sizes[c]} and {n} in {equation!r}")
    return _einsum(inputs, output, list(operands))
