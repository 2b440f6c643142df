"""``einsum``: sums of products named by subscripts, as PyTorch's (``"ij,jk->ik"``).

The gradient for an operand with subscripts s is the einsum of the upstream
gradient and the other operands into s: for ``"ij,jk->ik"``, dA = einsum("ik,jk->ij",
dY, B). A subscript of s that appears nowhere else was summed away, so the gradient is
the same along it (broadcast back). Written with ``einsum`` itself, so it
differentiates again.

``...`` stands for the same broadcast axes in every operand, named by letters the
equation does not use (each operand expanded to their broadcast shape first); a
letter repeated within one operand (``"ii->i"``) takes that operand's diagonal first.
Both are done with differentiable ops before the one Einsum node.
"""

from __future__ import annotations

import string

from tinygrad_bn.autograd import Function
from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.ops.promotion import broadcast_shapes, promote


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
    left, arrow, output = equation.partition("->")
    inputs = left.split(",")
    if not arrow:
        letters = "".join(inputs)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(inputs) != count:
        raise ValueError(f"einsum: {equation!r} names {len(inputs)} operands, got {count}")
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
    if not isinstance(equation, str):  # einsum(op1, sublist1, op2, sublist2, ..., [sublist_out])
        equation, operands = _from_sublists((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    equation, operands = _without_ellipsis(equation.replace(" ", ""), list(operands))
    inputs, output = _parse(equation, len(operands))
    inputs, operands = zip(*(_diagonals_taken(subscripts, t) for subscripts, t in zip(inputs, operands)))
    sizes = {}
    for subscripts, t in zip(inputs, operands):
        if len(subscripts) != t.ndim:
            raise ShapeError(f"einsum: subscripts {subscripts!r} for an operand of shape {t.shape}")
        for c, n in zip(subscripts, t.shape):
            if sizes.setdefault(c, n) != n:
                raise ShapeError(f"einsum: subscript {c!r} has sizes {sizes[c]} and {n} in {equation!r}")
    return _einsum(inputs, output, list(operands))


_LETTERS = string.ascii_lowercase + string.ascii_uppercase


def _from_sublists(arguments: tuple) -> tuple:
    """(equation, operands) of PyTorch's sublist form: operands each followed by a list of
    ints in [0, 52) (and ``...``), then optionally the output's list."""
    def letters(sublist):
        if not isinstance(sublist, (list, tuple)):
            raise TypeError(f"einsum(): expected a list of subscripts after each operand, got {type(sublist).__name__}")
        out = []
        for s in sublist:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and not isinstance(s, bool) and 0 <= s < len(_LETTERS):
                out.append(_LETTERS[s])
            else:
                raise ArgumentError(f"einsum(): subscript in subscript list is not within the valid range [0, 52), "
                                    f"got {s!r}")
        return "".join(out)

    operands, inputs = list(arguments[0::2]), [letters(s) for s in arguments[1::2]]
    output = None
    if len(operands) > len(inputs):  # the last item is the output's sublist
        output = letters(operands.pop())
    equation = ",".join(inputs) + ("" if output is None else "->" + output)
    return equation, tuple(operands)


def _without_ellipsis(equation: str, operands: list) -> tuple:
    """``equation`` with each ``...`` spelled out in letters it does not use, and the
    operands expanded so that those axes agree (broadcast, right-aligned); an implicit
    output starts with them, as NumPy's and PyTorch's do."""
    if "..." not in equation:
        return equation, operands
    left, arrow, output = equation.partition("->")
    inputs = left.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"einsum: {equation!r} names {len(inputs)} operands, got {len(operands)}")
    counts = [t.ndim - len(s.replace("...", "")) if "..." in s else 0 for s, t in zip(inputs, operands)]
    shapes = [tuple(t.shape[s.index("..."): s.index("...") + n]) if "..." in s else ()
              for s, t, n in zip(inputs, operands, counts)]
    broadcast = ()
    for shape in shapes:
        broadcast = None if broadcast is None else broadcast_shapes(broadcast, shape)
    if broadcast is None:
        raise ShapeError(f"einsum: the axes of '...' do not broadcast together: {shapes} in {equation!r}")
    free = [c for c in string.ascii_letters if c not in equation][: len(broadcast)]
    for k, (subscripts, n) in enumerate(zip(inputs, counts)):
        if "..." in subscripts:
            at = subscripts.index("...")
            named = "".join(free[len(free) - n:])
            inputs[k] = subscripts.replace("...", named)
            full = operands[k].shape[:at] + broadcast[len(broadcast) - n:] + operands[k].shape[at + n:]
            operands[k] = operands[k].expand(*full)
    ellipsis = "".join(free)
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        letters = "".join(inputs)
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in free))
    return ",".join(inputs) + "->" + output, operands


def _diagonals_taken(subscripts: str, operand) -> tuple:
    """For a letter repeated in one operand's subscripts, that operand's diagonal over
    the two axes (the letter then named once, last), until no letter repeats."""
    while len(set(subscripts)) != len(subscripts):
        letter = next(c for c in subscripts if subscripts.count(c) > 1)
        first, second = subscripts.index(letter), subscripts.index(letter, subscripts.index(letter) + 1)
        if operand.shape[first] != operand.shape[second]:
            raise ShapeError(f"einsum: subscript {letter!r} has sizes {operand.shape[first]} and "
                             f"{operand.shape[second]} in one operand")
        operand = operand.diagonal(0, first, second)
        subscripts = "".join(c for i, c in enumerate(subscripts) if i not in (first, second)) + letter
    return subscripts, operand
