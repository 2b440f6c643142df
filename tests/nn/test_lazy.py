"""LazyLinear: shaped by its first input or a state dict, PyTorch's weights after the
same seed, the same parameter objects an optimizer already holds."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 6), (7,)])
def test_first_forward_draws_pytorchs_weights(torch, shape, bias):
    tg.manual_seed(3)
    torch.manual_seed(3)
    ours, theirs = nn.LazyLinear(4, bias=bias), torch.nn.LazyLinear(4, bias=bias)
    x = numpy.random.default_rng(0).standard_normal(shape).astype("float32")
    out = ours(tg.tensor(x))
    expected = theirs(torch.from_numpy(x))
    numpy.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert type(ours) is nn.Linear and type(theirs) is torch.nn.Linear
    assert repr(ours) == repr(theirs)
    numpy.testing.assert_array_equal(ours.weight.numpy(), theirs.weight.detach().numpy())
    assert type(ours.weight) is nn.Parameter
    # later draws go on from where PyTorch's do
    numpy.testing.assert_array_equal(tg.rand(3).numpy(), torch.rand(3).numpy())


def test_repr_before_the_first_forward_is_pytorchs(torch):
    assert repr(nn.LazyLinear(3)) == repr(torch.nn.LazyLinear(3))
    assert repr(nn.LazyLinear(3, bias=False)) == repr(torch.nn.LazyLinear(3, bias=False))


def test_an_optimizer_made_before_the_first_forward_trains_it_as_in_pytorch(torch):
    def train(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.LazyLinear(5), lib.nn.ReLU(), lib.nn.Linear(5, 1))
        optimizer = lib.optim.Adam(model.parameters(), lr=0.05)
        x = lib.tensor(numpy.linspace(-1, 1, 24, dtype="float32").reshape(8, 3))
        for _ in range(4):
            optimizer.zero_grad()
            loss = model(x).pow(2).mean()
            loss.backward()
            optimizer.step()
        return loss.item(), model[0].weight.detach().numpy()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PyTorch's note that lazy modules are new
        theirs = train(torch)
    ours = train(tg)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-5)
    numpy.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)


def test_a_state_dict_shapes_it_before_any_forward(torch):
    source = nn.Linear(6, 2)
    lazy = nn.LazyLinear(2)
    lazy.load_state_dict(source.state_dict())
    assert type(lazy) is nn.Linear and lazy.in_features == 6
    numpy.testing.assert_array_equal(lazy.weight.numpy(), source.weight.numpy())
    numpy.testing.assert_array_equal(lazy(tg.ones(1, 6)).numpy(), source(tg.ones(1, 6)).numpy())
    theirs = torch.nn.LazyLinear(2)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in source.state_dict().items()})
    numpy.testing.assert_array_equal(lazy(tg.ones(1, 6)).numpy(), theirs(torch.ones(1, 6)).detach().numpy())


def test_uninitialized_parameter_materializes_in_place():
    p = nn.UninitializedParameter(dtype=tg.float64)
    assert isinstance(p, nn.Parameter) and p.requires_grad and repr(p) == "<UninitializedParameter>"
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.dtype == tg.float64
    assert not p.numpy().any()


def test_a_0d_input_is_reported():
    with pytest.raises(ValueError, match=r"at least 1 dimension, got shape \(\)"):
        nn.LazyLinear(2)(tg.tensor(1.0))
