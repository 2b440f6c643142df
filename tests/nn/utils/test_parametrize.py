"""register_parametrization and friends: PyTorch's class swap, state-dict keys,
values, gradients and errors, checked against torch.nn.utils.parametrize."""

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn import nn
from tinygrad_bn.nn.utils import parametrize

DTYPES = ["float32", "float64"]
TOLERANCE = {"float32": 1e-6, "float64": 1e-14}


def symmetric_class(base):
    """A parametrization to symmetric matrices, with a right inverse, on ``base``
    (our Module or PyTorch's): X ↦ triu(X) + triu(X, 1)ᵀ."""

    class Symmetric(base):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()

    return Symmetric


def scaled_class(base, factor):
    """X ↦ factor · X, without a right inverse."""

    class Scaled(base):
        def forward(self, X):
            return factor * X

    return Scaled


def halves_class(base):
    """(A, B) ↦ A + B, whose right inverse splits X into two halves: two originals."""

    class Halves(base):
        def forward(self, A, B):
            return A + B

        def right_inverse(self, X):
            return X / 2, X / 2

    return Halves


def twin_linears(torch, dtype, size=3):
    """Our Linear and PyTorch's, holding the same random weights."""
    theirs = torch.nn.Linear(size, size, dtype=getattr(torch, dtype))
    ours = nn.Linear(size, size, dtype=dtype)
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    return ours, theirs


def assert_same_state(ours, theirs, dtype):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        numpy.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=TOLERANCE[dtype])


def run_both(torch, ours, theirs, dtype):
    """Forward and backward through both layers with one input; the originals' gradients must agree."""
    x = numpy.random.default_rng(1).standard_normal((4, ours.in_features)).astype(dtype)
    ours_out, theirs_out = ours(tb.Tensor(x)), theirs(torch.from_numpy(x))
    (ours_out * ours_out).sum().backward()
    (theirs_out * theirs_out).sum().backward()
    numpy.testing.assert_allclose(ours_out.numpy(), theirs_out.detach().numpy(), rtol=TOLERANCE[dtype] * 10)
    their_parameters = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(their_parameters)
    for name, parameter in ours.named_parameters():
        numpy.testing.assert_allclose(parameter.grad.numpy(), their_parameters[name].grad.numpy(),
                                      rtol=TOLERANCE[dtype] * 100, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_symmetric_parametrization_matches_pytorch(torch, dtype):
    ours, theirs = twin_linears(torch, dtype)
    original = ours.weight
    assert parametrize.register_parametrization(ours, "weight", symmetric_class(nn.Module)()) is ours
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", symmetric_class(torch.nn.Module)())
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    assert isinstance(ours, nn.Linear)
    assert ours.parametrizations.weight.original is original  # right_inverse stored in place: triu(W)
    assert_same_state(ours, theirs, dtype)
    numpy.testing.assert_array_equal(ours.weight.numpy(), ours.weight.numpy().T)
    run_both(torch, ours, theirs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_assignment_goes_through_right_inverse_as_in_pytorch(torch, dtype):
    ours, theirs = twin_linears(torch, dtype)
    parametrize.register_parametrization(ours, "weight", symmetric_class(nn.Module)())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", symmetric_class(torch.nn.Module)())
    value = numpy.random.default_rng(2).standard_normal((3, 3)).astype(dtype)
    ours.weight = tb.Tensor(value)
    theirs.weight = torch.from_numpy(value.copy())
    assert_same_state(ours, theirs, dtype)
    numpy.testing.assert_array_equal(ours.parametrizations.weight.original.numpy(), numpy.triu(value))


@pytest.mark.parametrize("dtype", DTYPES)
def test_chained_parametrizations_match_pytorch(torch, dtype):
    ours, theirs = twin_linears(torch, dtype)
    for layer, base, utils in ((ours, nn.Module, nn.utils), (theirs, torch.nn.Module, torch.nn.utils)):
        utils.parametrize.register_parametrization(layer, "weight", symmetric_class(base)())
        utils.parametrize.register_parametrization(layer, "weight", scaled_class(base, 3.0)())
    assert len(ours.parametrizations.weight) == 2
    numpy.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=TOLERANCE[dtype])
    assert_same_state(ours, theirs, dtype)
    run_both(torch, ours, theirs, dtype)
    with pytest.raises(RuntimeError, match="parametrized by Scaled: it has no right_inverse"):
        ours.weight = tb.zeros(3, 3, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_tuple_right_inverse_gives_one_original_each_as_in_pytorch(torch, dtype):
    ours, theirs = twin_linears(torch, dtype)
    parametrize.register_parametrization(ours, "weight", halves_class(nn.Module)())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", halves_class(torch.nn.Module)())
    assert list(ours.state_dict()) == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert_same_state(ours, theirs, dtype)
    run_both(torch, ours, theirs, dtype)
    ours.weight = tb.ones(3, 3, dtype=dtype)
    assert ours.parametrizations.weight.original1.tolist() == [[0.5] * 3] * 3


@pytest.mark.parametrize("leave_parametrized", [True, False])
def test_remove_parametrizations_leaves_pytorch_parameter(torch, leave_parametrized):
    ours, theirs = twin_linears(torch, "float64")
    original = ours.weight
    for layer, base, utils in ((ours, nn.Module, nn.utils), (theirs, torch.nn.Module, torch.nn.utils)):
        utils.parametrize.register_parametrization(layer, "weight", scaled_class(base, 2.0)())
        utils.parametrize.remove_parametrizations(layer, "weight", leave_parametrized=leave_parametrized)
    assert type(ours) is nn.Linear
    assert not hasattr(ours, "parametrizations")
    assert ours.weight is original  # the same Parameter object, for an optimizer that holds it
    assert_same_state(ours, theirs, "float64")


def test_removing_a_tuple_parametrization_as_in_pytorch(torch):
    ours, theirs = twin_linears(torch, "float64")
    for layer, base, utils in ((ours, nn.Module, nn.utils), (theirs, torch.nn.Module, torch.nn.utils)):
        utils.parametrize.register_parametrization(layer, "weight", halves_class(base)())
    with pytest.raises(ValueError, match="leave_parametrized=False cannot restore 'weight'.*by 2 tensors"):
        parametrize.remove_parametrizations(ours, "weight", leave_parametrized=False)
    parametrize.remove_parametrizations(ours, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight")
    assert isinstance(ours.weight, nn.Parameter) and ours.weight.requires_grad
    assert_same_state(ours, theirs, "float64")


def test_removing_one_of_two_parametrized_tensors_keeps_the_other():
    layer = nn.Linear(2, 2)
    parametrize.register_parametrization(layer, "weight", scaled_class(nn.Module, 2.0)())
    parametrize.register_parametrization(layer, "bias", scaled_class(nn.Module, 2.0)())
    parametrize.remove_parametrizations(layer, "weight")
    assert parametrize.is_parametrized(layer) and not parametrize.is_parametrized(layer, "weight")
    assert parametrize.type_before_parametrizations(layer) is nn.Linear
    assert list(layer.state_dict()) == ["weight", "parametrizations.bias.original"]


@pytest.mark.parametrize("strict_from", ["pytorch", "ours"])
def test_state_dicts_move_between_the_frameworks(torch, strict_from):
    ours, theirs = twin_linears(torch, "float32")
    parametrize.register_parametrization(ours, "weight", symmetric_class(nn.Module)())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", symmetric_class(torch.nn.Module)())
    value = numpy.random.default_rng(5).standard_normal((3, 3)).astype("float32")
    if strict_from == "pytorch":
        theirs.weight = torch.from_numpy(value)
        ours.load_state_dict({key: tensor.numpy() for key, tensor in theirs.state_dict().items()})
    else:
        ours.weight = tb.Tensor(value)
        theirs.load_state_dict({key: torch.from_numpy(tensor.numpy()) for key, tensor in ours.state_dict().items()})
    numpy.testing.assert_array_equal(ours.weight.numpy(), theirs.weight.detach().numpy())


def test_a_buffer_is_parametrized_into_a_buffer(torch):
    def with_buffer(base, ones):
        module = base()
        module.register_buffer("scale", ones(2))
        return module

    ours, theirs = with_buffer(nn.Module, tb.ones), with_buffer(torch.nn.Module, torch.ones)
    parametrize.register_parametrization(ours, "scale", scaled_class(nn.Module, 2.0)())
    torch.nn.utils.parametrize.register_parametrization(theirs, "scale", scaled_class(torch.nn.Module, 2.0)())
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["parametrizations.scale.original"]
    assert list(ours.parameters()) == []
    assert ours.scale.tolist() == [2.0, 2.0]


def test_cached_computes_each_tensor_once():
    calls = []

    class Counted(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X + 1

    layer = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Counted())
    calls.clear()
    with parametrize.cached():
        with parametrize.cached():
            first = layer.weight
        assert layer.weight is first
    assert len(calls) == 1
    assert layer.weight is not first


def test_training_mode_reaches_the_parametrizations():
    layer = nn.Linear(2, 2).eval()
    parametrization = scaled_class(nn.Module, 2.0)()
    parametrize.register_parametrization(layer, "weight", parametrization)
    assert parametrization.training is False
    layer.train()
    assert parametrization.training is True


def test_the_shape_and_dtype_are_kept_unless_unsafe(torch):
    class Crop(nn.Module):
        def forward(self, X):
            return X[:2]

    with pytest.raises(ValueError, match=r"keep the tensor's dtype and shape \(float32, \(3, 3\)\).*\(2, 3\)"):
        parametrize.register_parametrization(nn.Linear(3, 3), "weight", Crop())
    layer = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Crop(), unsafe=True)
    assert layer.weight.shape == (2, 3)


def test_errors_are_pytorch_s_kinds():
    layer = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="a parameter, a buffer or a parametrized tensor of Linear, got 'kernel'"):
        parametrize.register_parametrization(layer, "kernel", scaled_class(nn.Module, 2.0)())
    with pytest.raises(ValueError, match="Linear has no parametrization on 'weight'"):
        parametrize.remove_parametrizations(layer, "weight")
    parametrize.register_parametrization(layer, "weight", scaled_class(nn.Module, 2.0)())
    with pytest.raises(KeyError, match="already has an attribute"):  # as PyTorch: a Parameter is not assigned
        layer.weight = nn.Parameter(tb.zeros(2, 2))
    with pytest.raises(ValueError, match="one or more parametrization modules, got none"):
        parametrize.ParametrizationList([], nn.Parameter(tb.zeros(2)))
