"""The strict "cuda" stand-in with CuPy's linalg, for the linalg tests.

NumPy's ``linalg`` returns named tuples (``EighResult``...), which the stand-in of
tests/conftest.py cannot rebuild around its device arrays; CuPy's returns plain
tuples, and so does the namespace here."""

import numpy
import pytest


class _PlainTupleLinalg:
    """``numpy.linalg`` whose functions return plain tuples where NumPy's return named ones."""

    def __getattr__(self, name):
        target = getattr(numpy.linalg, name)
        if isinstance(target, type):
            return target

        def function(*args, **kwargs):
            result = target(*args, **kwargs)
            return tuple(result) if isinstance(result, tuple) else result

        return function


@pytest.fixture
def strict_linalg_cuda(strict_cuda, monkeypatch):
    """The strict ``"cuda"`` stand-in, its ``linalg`` returning plain tuples as CuPy's does."""
    monkeypatch.setattr(strict_cuda.xp, "linalg", type(strict_cuda.xp)(_PlainTupleLinalg()))
    return strict_cuda
