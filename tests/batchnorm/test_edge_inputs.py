"""Edge inputs of both BatchNorms: an empty batch in eval mode gives an empty output,
as in PyTorch; zero channels and eps <= 0 in training are refused with a ValueError."""

import numpy as np
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.batchnorm import IMPLEMENTATIONS, batch_norm


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 5), (0, 3, 4, 4), (0, 3, 200, 200)])
def test_an_empty_batch_in_eval_mode_gives_an_empty_output_and_gradients(impl, shape):
    x = Tensor(np.zeros(shape), requires_grad=True)
    weight = Tensor(np.full(3, 2.0), requires_grad=True)
    bias = Tensor(np.ones(3), requires_grad=True)
    y = batch_norm(x, Tensor(np.zeros(3)), Tensor(np.ones(3)), weight, bias, impl=impl)
    assert y.shape == shape and y.dtype == x.dtype
    y.backward(Tensor(np.zeros(shape)))
    assert x.grad.shape == shape
    assert weight.grad.tolist() == bias.grad.tolist() == [0.0, 0.0, 0.0]


def test_an_empty_batch_in_eval_mode_matches_pytorch():
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.batch_norm(torch.zeros(0, 3, 2), torch.zeros(3), torch.ones(3))
    y = batch_norm(Tensor(np.zeros((0, 3, 2))), Tensor(np.zeros(3)), Tensor(np.ones(3)))
    assert y.shape == tuple(expected.shape)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 0), (4, 0, 3)])
def test_zero_channels_are_refused(impl, training, shape):
    running = [Tensor(np.zeros(0)), Tensor(np.ones(0))]
    with pytest.raises(ValueError, match=rf"at least one channel, got input of shape \({shape[0]}, 0"):
        batch_norm(Tensor(np.ones(shape)), *running, training=training, impl=impl)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_eps_zero_in_training_is_refused(impl):
    constant_channel = np.ones((4, 2))
    with pytest.raises(ValueError, match="eps must be > 0 in training mode, got 0"):
        batch_norm(Tensor(constant_channel), None, None, training=True, eps=0.0, impl=impl)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_eps_zero_in_eval_mode_divides_by_the_running_variance(impl):
    y = batch_norm(Tensor(np.full((2, 1), 5.0)), Tensor(np.ones(1)), Tensor(np.full(1, 4.0)), eps=0.0, impl=impl)
    assert y.tolist() == [[2.0], [2.0]]
