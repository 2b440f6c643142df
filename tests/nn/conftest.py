"""Fixtures the nn tests share with the op tests."""

import pytest

from tests.ops.conftest import _raises_like_torch


@pytest.fixture
def raises_like_torch():
    """``raises_like_torch(ours, theirs, words)``: our error is of PyTorch's builtin class and says ``words``."""
    return _raises_like_torch
