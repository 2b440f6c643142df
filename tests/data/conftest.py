"""What the data tests share: batches of either framework as plain Python values."""

import pytest


def _plain(value):
    """``value`` with every tensor made ``("tensor", dtype, values)``, lists and tuples kept
    apart, so that batches of tinygrad_bn and of PyTorch compare with ``==``."""
    if type(value).__name__ == "Tensor":
        return "tensor", str(value.dtype).removeprefix("torch."), value.tolist()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(part) for part in value)
    if isinstance(value, dict):
        return {key: _plain(part) for key, part in value.items()}
    return value


@pytest.fixture
def plain():
    """``plain(batches)``: batches of either framework as plain values, to compare with ``==``."""
    return _plain
