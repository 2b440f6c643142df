"""parameters_to_vector and vector_to_parameters: PyTorch's vector, its round trip,
the gradient through it, and PyTorch's errors."""

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn import nn
from tinygrad_bn.nn.utils import parameters_to_vector, vector_to_parameters


def model(device="cpu", dtype="float64"):
    return nn.Sequential(nn.Conv2d(2, 3, 2, device=device, dtype=dtype), nn.Flatten(),
                         nn.Linear(12, 2, device=device, dtype=dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_vector_is_pytorch_s(torch, dtype):
    ours = model(dtype=dtype)
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 2), torch.nn.Flatten(), torch.nn.Linear(12, 2))
    theirs.to(getattr(torch, dtype))
    theirs.load_state_dict({key: torch.from_numpy(value.numpy()) for key, value in ours.state_dict().items()})
    vector = parameters_to_vector(ours.parameters())
    assert vector.dtype == dtype
    numpy.testing.assert_array_equal(vector.numpy(), torch.nn.utils.parameters_to_vector(theirs.parameters())
                                      .detach().numpy())


def test_round_trip_keeps_the_parameter_objects():
    source, target = model(), model()
    kept = list(target.parameters())
    vector_to_parameters(parameters_to_vector(source.parameters()), target.parameters())
    assert list(target.parameters()) == kept
    for mine, other in zip(target.parameters(), source.parameters(), strict=True):
        numpy.testing.assert_array_equal(mine.numpy(), other.numpy())
        assert mine.requires_grad


def test_the_gradient_reaches_each_parameter():
    layer = nn.Linear(3, 2, dtype="float64")
    weights = tb.arange(8.0, dtype="float64")
    (parameters_to_vector(layer.parameters()) * weights).sum().backward()
    assert layer.weight.grad.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert layer.bias.grad.tolist() == [6.0, 7.0]


def test_vector_to_parameters_is_outside_the_graph():
    layer = nn.Linear(2, 1)
    vector = tb.ones(3, requires_grad=True)
    vector_to_parameters(vector * 2, layer.parameters())
    assert layer.weight.is_leaf and layer.weight.grad_fn is None
    assert layer.bias.tolist() == [2.0]


def test_errors_as_in_pytorch(torch, strict_cuda):
    layer = nn.Linear(2, 1)
    with pytest.raises(TypeError, match="expects vec to be a Tensor, got list"):
        vector_to_parameters([1.0, 2.0, 3.0], layer.parameters())
    with pytest.raises(RuntimeError, match="at least 3 values.*got shape \\(2,\\)"):
        vector_to_parameters(tb.zeros(2), layer.parameters())
    with pytest.raises(TypeError):
        torch.nn.utils.parameters_to_vector(5)
    with pytest.raises(TypeError):
        parameters_to_vector(5)
    on_two_devices = [tb.zeros(2), tb.zeros(2, device="cuda")]
    with pytest.raises(TypeError, match="one device, found parameters on cpu, cuda"):
        parameters_to_vector(on_two_devices)
    with pytest.raises(TypeError, match="one device"):
        vector_to_parameters(tb.zeros(4), on_two_devices)


def test_it_runs_on_the_device(strict_cuda):
    on_device, on_host = model(device="cuda"), model()
    on_host.load_state_dict({key: value.numpy() for key, value in on_device.state_dict().items()})
    vector = parameters_to_vector(on_device.parameters())
    assert vector.device == "cuda"
    numpy.testing.assert_array_equal(vector.numpy(), parameters_to_vector(on_host.parameters()).numpy())
    vector_to_parameters(vector * 2, on_device.parameters())
    assert next(on_device.parameters()).device == "cuda"
