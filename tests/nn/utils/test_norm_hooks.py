"""The older hook-based weight_norm and spectral_norm: PyTorch's parameters, buffers
and keys (weight_g, weight_v; weight_orig, weight_u, weight_v), and the same outputs
and gradients as torch.nn.utils.weight_norm and spectral_norm from the same state."""

import warnings

import pytest

import tinygrad_bn as tb
from tinygrad_bn import nn
from tinygrad_bn.nn.utils import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm

DTYPES = ["float32", "float64"]


def quietly(function, *args, **kwargs):
    """``function(*args, **kwargs)`` with its deprecation warning silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return function(*args, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, None])
@pytest.mark.parametrize("kind", ["linear", "conv2d"])
def test_weight_norm_matches_pytorch(twins, torch, kind, dim, dtype):
    ours, theirs, input_shape = twins.layers(kind, dtype)
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        weight_norm(ours, dim=dim)
    quietly(torch.nn.utils.weight_norm, theirs, dim=dim)
    twins.assert_same_state(ours, theirs, dtype)
    assert not isinstance(ours.weight, nn.Parameter)
    with torch.no_grad():  # g away from ‖v‖, then both ways through the state dict
        theirs.weight_g.mul_(1.5)
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    theirs.load_state_dict({key: torch.from_numpy(value.numpy()) for key, value in ours.state_dict().items()})
    twins.run_both(ours, theirs, input_shape, dtype)


def test_remove_weight_norm_leaves_pytorch_parameter(twins, torch):
    ours, theirs, _ = twins.layers("conv2d", "float64")
    quietly(weight_norm, ours)
    quietly(torch.nn.utils.weight_norm, theirs)
    ours.weight_g.data.mul_(0.5)
    theirs.weight_g.data.mul_(0.5)
    remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert isinstance(ours.weight, nn.Parameter)
    twins.assert_same_state(ours, theirs, "float64")
    assert ours._hook_tables["forward_pre"] == {}


def test_weight_norm_errors_as_in_pytorch():
    layer = quietly(weight_norm, nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="weight_norm is already applied to 'weight' of Linear"):
        quietly(weight_norm, layer)
    with pytest.raises(ValueError, match="weight_norm of 'bias' not found in Linear"):
        remove_weight_norm(layer, "bias")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["linear", "conv2d"])
def test_spectral_norm_matches_pytorch_from_the_same_state(twins, torch, kind, dtype):
    ours, theirs, input_shape = twins.layers(kind, dtype)
    spectral_norm(ours)
    torch.nn.utils.spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})  # PyTorch's u and v
    twins.run_both(ours, theirs, input_shape, dtype)  # one power step in training mode
    twins.assert_same_state(ours, theirs, dtype)
    ours.eval()
    theirs.eval()
    twins.run_both(ours, theirs, input_shape, dtype)  # none in eval mode
    twins.assert_same_state(ours, theirs, dtype)
    remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    twins.assert_same_state(ours, theirs, dtype)


def test_spectral_norm_errors_as_in_pytorch():
    with pytest.raises(ValueError, match="positive n_power_iterations, got 0"):
        spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    layer = spectral_norm(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="spectral_norm is already applied to 'weight'"):
        spectral_norm(layer)
    with pytest.raises(ValueError, match="spectral_norm of 'bias' not found in Linear"):
        remove_spectral_norm(layer, "bias")


def test_hook_forms_run_on_the_device(strict_cuda):
    layer = spectral_norm(quietly(weight_norm, nn.Linear(3, 2, device="cuda"), name="bias"))
    layer(tb.ones(4, 3, device="cuda")).sum().backward()
    assert layer.weight_orig.grad.device == layer.bias_v.grad.device == "cuda"
