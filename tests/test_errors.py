"""Shape errors and bad argument values are RuntimeError, as PyTorch raises them, and
ValueError, as Python's convention has them: a ported script's ``except RuntimeError``
catches them."""

import pytest

import tinygrad_bn as torch
import tinygrad_bn.nn.functional as F
from tinygrad_bn import nn

WRONG_SHAPES = {
    "broadcast": lambda: torch.ones(3) + torch.ones(4),
    "where": lambda: torch.where(torch.ones(2) > 0, torch.ones(3), torch.ones(4)),
    "cat": lambda: torch.cat([torch.ones(2, 3), torch.ones(3, 2)]),
    "stack": lambda: torch.stack([torch.ones(2), torch.ones(3)]),
    "expand": lambda: torch.ones(2, 3).expand(3, 3),
    "permute": lambda: torch.ones(2, 3).permute(0, 0),
    "matmul batch": lambda: torch.ones(2, 3, 4) @ torch.ones(3, 4, 5),
    "masked_fill": lambda: torch.ones(2, 3).masked_fill(torch.ones(4) > 0, 0.0),
    "conv2d weight": lambda: F.conv2d(torch.ones(1, 3, 5, 5), torch.ones(2, 4, 3, 3)),
    "conv2d bias": lambda: F.conv2d(torch.ones(1, 1, 3, 3), torch.ones(2, 1, 2, 2), torch.tensor([10.0])),
    "conv1d bias": lambda: F.conv1d(torch.ones(1, 1, 3), torch.ones(2, 1, 2), torch.ones(2, 1)),
    "conv2d window": lambda: F.conv2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 3, 3)),
    "Conv2d input": lambda: nn.Conv2d(3, 2, 3)(torch.ones(1, 4, 5, 5)),
    "max_pool2d input": lambda: F.max_pool2d(torch.ones(4, 4), 2),
    "adaptive_avg_pool2d input": lambda: F.adaptive_avg_pool2d(torch.ones(4, 4), 2),
    "unfold input": lambda: F.unfold(torch.ones(4, 4), 2),
    "batch_norm weight": lambda: F.batch_norm(torch.ones(4, 3), None, None, torch.ones(2), training=True),
    "BatchNorm2d input": lambda: nn.BatchNorm2d(3)(torch.ones(4, 2, 3, 3)),
    "group_norm groups": lambda: F.group_norm(torch.ones(2, 5, 3), 2),
    "group_norm one value": lambda: F.group_norm(torch.ones(1, 4), 4),
    "layer_norm shape": lambda: F.layer_norm(torch.ones(2, 5), (4,)),
    "embedding weight": lambda: F.embedding(torch.tensor([0]), torch.ones(3)),
    "mse_loss target": lambda: F.mse_loss(torch.ones(3), torch.ones(4)),
    "cross_entropy target": lambda: F.cross_entropy(torch.ones(3, 4), torch.tensor([0, 1])),
    "dropout2d input": lambda: F.dropout2d(torch.ones(3, 4)),
}


@pytest.mark.parametrize("name", WRONG_SHAPES)
def test_a_wrong_shape_is_both_a_runtime_error_and_a_value_error(name):
    with pytest.raises(RuntimeError) as caught:
        WRONG_SHAPES[name]()
    assert isinstance(caught.value, ValueError)


BAD_ARGUMENTS = {
    "conv2d stride 0": lambda: F.conv2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2), stride=0),
    "conv2d negative padding": lambda: F.conv2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2), padding=-1),
    "conv2d groups 0": lambda: F.conv2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2), groups=0),
    "conv1d same with stride 2": lambda: F.conv1d(torch.ones(1, 1, 4), torch.ones(1, 1, 2), stride=2, padding="same"),
    "conv2d padding word": lambda: F.conv2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2), padding="full"),
    "max_pool2d dilation 0": lambda: F.max_pool2d(torch.ones(1, 1, 4, 4), 2, dilation=0),
    "avg_pool2d divisor_override 0": lambda: F.avg_pool2d(torch.ones(1, 1, 4, 4), 2, divisor_override=0),
    "adaptive_avg_pool2d output -1": lambda: F.adaptive_avg_pool2d(torch.ones(1, 1, 4, 4), -1),
    "unfold stride 0": lambda: F.unfold(torch.ones(1, 1, 4, 4), 2, stride=0),
}


@pytest.mark.parametrize("name", BAD_ARGUMENTS)
def test_a_bad_argument_value_is_both_a_runtime_error_and_a_value_error(name):
    with pytest.raises(RuntimeError) as caught:
        BAD_ARGUMENTS[name]()
    assert isinstance(caught.value, ValueError)
