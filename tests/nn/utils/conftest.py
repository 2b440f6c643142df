"""What the weight-norm and spectral-norm tests share: a layer of ours and PyTorch's
holding the same weights, run side by side on one input and upstream gradient."""

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn import nn

TOLERANCE = {"float32": 1e-5, "float64": 1e-12}

# (our layer, PyTorch's layer name, its arguments, an input shape)
LAYERS = {
    "linear": (nn.Linear, "Linear", (4, 3), (5, 4)),
    "conv2d": (nn.Conv2d, "Conv2d", (2, 3, 3), (2, 2, 5, 5)),
    "conv_transpose2d": (nn.ConvTranspose2d, "ConvTranspose2d", (3, 2, 3), (2, 3, 4, 4)),
}


class Twins:
    """Our layers beside PyTorch's (``torch`` is PyTorch)."""

    def __init__(self, torch):
        self.torch = torch

    def layers(self, kind: str, dtype: str):
        """Our layer and PyTorch's, holding the same random weights, and an input shape for them."""
        ours_class, theirs_name, args, input_shape = LAYERS[kind]
        ours = ours_class(*args, dtype=dtype)
        theirs = getattr(self.torch.nn, theirs_name)(*args, dtype=getattr(self.torch, dtype))
        ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
        return ours, theirs, input_shape

    def forward_and_backward(self, ours, theirs, input_shape, dtype: str):
        """Both layers' outputs for one input, after a backward of one upstream gradient through each."""
        rng = numpy.random.default_rng(3)
        x = rng.standard_normal(input_shape).astype(dtype)
        ours_out, theirs_out = ours(tb.Tensor(x)), theirs(self.torch.from_numpy(x))
        upstream = rng.standard_normal(ours_out.shape).astype(dtype)
        (ours_out * tb.Tensor(upstream)).sum().backward()
        (theirs_out * self.torch.from_numpy(upstream)).sum().backward()
        return ours_out, theirs_out

    def run_both(self, ours, theirs, input_shape, dtype: str):
        """One forward and backward through each layer; outputs and gradients must agree."""
        self.assert_close(*self.forward_and_backward(ours, theirs, input_shape, dtype), dtype)
        self.assert_gradients_match(ours, theirs, dtype)

    @staticmethod
    def assert_close(ours, theirs, dtype: str):
        numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=TOLERANCE[dtype],
                                      atol=TOLERANCE[dtype])

    def assert_gradients_match(self, ours, theirs, dtype: str):
        their_parameters = dict(theirs.named_parameters())
        assert [name for name, _ in ours.named_parameters()] == list(their_parameters)
        for name, parameter in ours.named_parameters():
            self.assert_close(parameter.grad, their_parameters[name].grad, dtype)

    def assert_same_state(self, ours, theirs, dtype: str):
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for key, value in theirs.state_dict().items():
            self.assert_close(ours.state_dict()[key], value, dtype)


@pytest.fixture
def twins(torch):
    return Twins(torch)
