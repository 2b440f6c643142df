"""Weight norm and spectral norm as parametrizations: PyTorch's state-dict keys,
and the same weights, outputs and gradients as torch.nn.utils.parametrizations
once both hold the same state."""

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn import nn
from tinygrad_bn.nn.utils import parametrize
from tinygrad_bn.nn.utils.parametrizations import spectral_norm, weight_norm

DTYPES = ["float32", "float64"]


def copy_state(torch, source, target_is_torch, target):
    """Load ``source``'s state dict (either framework's) into ``target``, strictly."""
    arrays = {key: value.detach().numpy().copy() for key, value in source.state_dict().items()}
    if target_is_torch:
        return target.load_state_dict({key: torch.from_numpy(array) for key, array in arrays.items()})
    return target.load_state_dict(arrays)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, None, -2])
@pytest.mark.parametrize("kind", ["linear", "conv2d"])
def test_weight_norm_matches_pytorch(twins, torch, kind, dim, dtype):
    ours, theirs, input_shape = twins.layers(kind, dtype)
    weight_norm(ours, dim=dim)
    torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():  # g = ‖v‖ over every axis but dim, from the same weight
        twins.assert_close(ours.state_dict()[key], value, dtype)
    ours_out, theirs_out = twins.forward_and_backward(ours, theirs, input_shape, dtype)
    twins.assert_close(ours_out, theirs_out, dtype)
    twins.assert_gradients_match(ours, theirs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_weight_norm_loads_pytorch_state_and_pytorch_loads_ours(twins, torch, dtype):
    ours, theirs, input_shape = twins.layers("conv2d", dtype)
    weight_norm(ours)
    torch.nn.utils.parametrizations.weight_norm(theirs)
    with torch.no_grad():  # g away from ‖v‖, so that both factors count
        theirs.parametrizations.weight.original0.mul_(1.5)
    copy_state(torch, theirs, False, ours)
    twins.assert_close(ours.weight, theirs.weight, dtype)
    with torch.no_grad():
        theirs.parametrizations.weight.original1.mul_(-2.0)
    copy_state(torch, ours, True, theirs)  # back again: PyTorch's module now holds our state
    twins.assert_close(ours.weight, theirs.weight, dtype)


def test_weight_norm_is_removed_as_in_pytorch(twins, torch):
    ours, theirs, _ = twins.layers("linear", "float64")
    for layer, utils in ((ours, nn.utils), (theirs, torch.nn.utils)):
        utils.parametrizations.weight_norm(layer)
        layer.parametrizations.weight.original0.data.mul_(0.5)
        utils.parametrize.remove_parametrizations(layer, "weight")
    assert type(ours) is nn.Linear
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    twins.assert_close(ours.weight, theirs.weight, "float64")


def test_weight_norm_gives_g_times_the_direction_of_v():
    layer = weight_norm(nn.Linear(3, 2, dtype="float64"))
    layer.parametrizations.weight.original0.data = tb.tensor([[2.0], [0.5]], dtype="float64")
    norms = numpy.linalg.norm(layer.weight.numpy(), axis=1)
    numpy.testing.assert_allclose(norms, [2.0, 0.5], rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["linear", "conv2d", "conv_transpose2d"])
def test_spectral_norm_matches_pytorch_from_the_same_state(twins, torch, kind, dtype):
    ours, theirs, input_shape = twins.layers(kind, dtype)
    spectral_norm(ours)
    torch.nn.utils.parametrizations.spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.parametrizations.weight[0]._u.shape == tuple(theirs.parametrizations.weight[0]._u.shape)
    copy_state(torch, theirs, False, ours)  # PyTorch's u and v: ours start elsewhere, at random
    ours_out, theirs_out = twins.forward_and_backward(ours, theirs, input_shape, dtype)  # one power step
    twins.assert_close(ours_out, theirs_out, dtype)
    twins.assert_gradients_match(ours, theirs, dtype)
    for key, value in theirs.state_dict().items():  # u and v moved alike
        twins.assert_close(ours.state_dict()[key], value, dtype)
    ours.eval()
    theirs.eval()
    twins.assert_close(ours.weight, theirs.weight, dtype)


def test_spectral_norm_moves_u_and_v_in_training_mode_only():
    layer = spectral_norm(nn.Linear(4, 3, dtype="float64"))
    chain = layer.parametrizations.weight
    before = chain[0]._u.numpy().copy()
    layer.eval()
    _ = layer.weight
    numpy.testing.assert_array_equal(chain[0]._u.numpy(), before)
    layer.train()
    chain.original.data = tb.randn(3, 4, dtype="float64")  # a new weight: u has somewhere to go
    _ = layer.weight
    assert not numpy.array_equal(chain[0]._u.numpy(), before)


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_spectral_norm_converges_to_unit_largest_singular_value(dim):
    layer = spectral_norm(nn.Conv2d(3, 4, 2, dtype="float64"), n_power_iterations=5, dim=dim)
    for _ in range(20):
        weight = layer.weight  # each training-mode read takes 5 steps
    matrix = numpy.moveaxis(weight.numpy(), dim, 0).reshape(weight.shape[dim], -1)
    assert numpy.linalg.svd(matrix, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-6)


def test_spectral_norm_of_a_vector_normalizes_it():
    module = nn.Module()
    module.weight = nn.Parameter(tb.tensor([3.0, 4.0], dtype="float64"))
    spectral_norm(module)
    assert module.weight.tolist() == pytest.approx([0.6, 0.8])


def test_spectral_norm_errors_say_what_was_expected():
    with pytest.raises(IndexError, match=r"dim in \[-2, 1\].*got 2"):
        spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="positive n_power_iterations, got 0"):
        spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="parameter or buffer of Linear, got 'kernel'"):
        spectral_norm(nn.Linear(2, 2), name="kernel")


def test_spectral_norm_runs_on_the_device(strict_cuda):
    layer = spectral_norm(nn.Linear(3, 2, device="cuda"))
    out = layer(tb.ones(4, 3, device="cuda"))
    out.sum().backward()
    assert layer.parametrizations.weight.original.grad.device == "cuda"


def test_weight_norm_runs_on_the_device(strict_cuda):
    layer = weight_norm(nn.Conv2d(2, 3, 3, device="cuda"), dim=None)
    layer(tb.ones(1, 2, 4, 4, device="cuda")).sum().backward()
    assert parametrize.is_parametrized(layer, "weight")
    assert layer.parametrizations.weight.original1.grad.device == "cuda"
