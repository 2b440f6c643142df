"""What the linalg ops share: the checks of their input, the transpose of the last
two axes, the quotient whose 0/0 is 0, the error for a failed matrix of a batch, and
:class:`Factorization`, the op with several outputs (a decomposition's factors)."""

from __future__ import annotations

import math

from numpy.linalg import LinAlgError as _LapackError  # raised by NumPy's and CuPy's linalg alike

from tinygrad_bn.autograd import Function
from tinygrad_bn.errors import DtypeError, ShapeError
from tinygrad_bn.ops import where


class LinAlgError(ValueError, RuntimeError):
    """A matrix the factorization cannot take, as a Cholesky factor of a matrix that is
    not positive-definite (PyTorch's ``torch.linalg.LinAlgError``, a ``RuntimeError``)."""


def check_matrices(A, name: str, square: bool = True):
    """Refuse what PyTorch refuses: fewer than 2 dimensions, non-square matrices where
    square ones are needed, and dtypes other than float32 and float64."""
    if square and (A.ndim < 2 or A.shape[-1] != A.shape[-2]):
        raise ShapeError(f"linalg.{name} expects square matrices (..., n, n), got shape {A.shape}")
    if A.ndim < 2:
        raise ShapeError(f"linalg.{name} expects matrices (..., m, n) of at least 2 dimensions, got shape {A.shape}")
    if A.dtype not in ("float32", "float64"):  # nor does PyTorch's CPU take float16 here
        raise DtypeError(f"linalg.{name} expects float32 or float64 matrices, got dtype {A.dtype}")


def transposed(matrices):
    """Aᵀ of each matrix over the last two axes."""
    return matrices.swapaxes(-1, -2)


def ratio(numerator, denominator):
    """numerator / denominator with 0/0 read as 0. A backward term fed by an output that
    got no gradient has a zero numerator; PyTorch skips such terms, so they stay finite
    where the denominator vanishes (repeated eigenvalues, zero singular values)."""
    return numerator / where(numerator == 0, 1.0, denominator)


def lapack(name: str, expected: str, call, *arrays, **options):
    """``call(*arrays, **options)``; a LAPACK failure becomes a :class:`LinAlgError` that
    says what ``name`` expected."""
    try:
        return call(*arrays, **options)
    except _LapackError as error:
        raise LinAlgError(f"linalg.{name} expects {expected}, got a matrix it could not factor ({error})") from None


def raise_for(info, name: str, message: str, error=LinAlgError):
    """Raise ``error`` for the first matrix with ``info`` > 0, as PyTorch words it:
    ``name: (Batch element k): message``, the message formatted with that info."""
    failed = info.xp.nonzero(info._data.reshape(-1) > 0)[0]
    if len(failed) == 0:
        return
    k = int(failed[0])
    batch_element = f"(Batch element {k}): " if info.ndim else ""
    raise error(f"{name}: {batch_element}{message.format(int(info._data.reshape(-1)[k]))}")


class Factorization(Function):
    """An op with several outputs: the factors of a decomposition.

    A node of the graph has one output, so ``forward`` joins the factors of each matrix,
    flattened, along one last axis, and :meth:`factors` cuts that joined tensor back into
    them (slices, so a gradient through any factor reaches this node, zero in the places
    of the factors not used). A subclass writes ``factor(A, **options)`` (arrays),
    ``shapes_for(m, n, **options)`` (the factors' shapes for one m × n matrix) and
    ``gradient(A, factors, grads)`` (Tensors, cut from the output and from its gradient).
    """

    def forward(self, A, **options):
        factors = self.factor(A, **options)
        self.shapes = self.shapes_for(*A.shape[-2:], **options)
        batch = A.shape[:-2]
        flat = [f.reshape(*batch, math.prod(shape)) for f, shape in zip(factors, self.shapes, strict=True)]
        joined = A.xp.concatenate(flat, axis=-1)
        self.save_for_backward(A)
        self.save_output(joined)
        return joined

    def backward(self, grad):
        (A,) = self.saved_tensors
        return self.gradient(A, cut(self.saved_output(), self.shapes), cut(grad, self.shapes))

    @classmethod
    def factors(cls, A, **options) -> list:
        """The factors of each matrix of ``A``, as Tensors in the graph."""
        return cut(cls.apply(A, **options), cls.shapes_for(*A.shape[-2:], **options))


def cut(joined, shapes) -> list:
    """The pieces of shapes ``shapes`` (per matrix) that :class:`Factorization` joined."""
    batch, start, pieces = joined.shape[:-1], 0, []
    for shape in shapes:
        size = math.prod(shape)
        pieces.append(joined[..., start:start + size].reshape(batch + tuple(shape)))
        start += size
    return pieces
