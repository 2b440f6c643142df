"""The Optimizer base: parameter groups, zero_grad, gradients left untouched, argument
errors, and updates that run on the parameters' device."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn, optim

OPTIMIZERS = {
    "SGD momentum": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "SGD nesterov": lambda params: optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    "Adam": lambda params: optim.Adam(params, lr=0.1, weight_decay=0.1),
    "AdamW": lambda params: optim.AdamW(params, lr=0.1),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_never_writes_into_gradients(name):
    first, second = nn.Parameter(tg.ones(3)), nn.Parameter(tg.full((3,), 2.0))
    shared = Tensor(numpy.array([1.0, -2.0, 3.0], dtype="float32"))
    first.grad = second.grad = shared  # one gradient array behind two parameters
    optimizer = OPTIMIZERS[name]([first, second])
    for _ in range(3):
        optimizer.step()
    numpy.testing.assert_array_equal(shared.numpy(), [1.0, -2.0, 3.0])
    assert not numpy.allclose(first.numpy(), 1.0)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_parameters_without_gradient_are_left_alone(name):
    used, unused = nn.Parameter(tg.ones(2)), nn.Parameter(tg.ones(2))
    optimizer = OPTIMIZERS[name]([used, unused])
    (used * used).sum().backward()
    optimizer.step()
    assert unused.numpy().tolist() == [1.0, 1.0] and unused not in optimizer.state
    assert used.numpy()[0] < 1.0 and used in optimizer.state


def test_zero_grad_forgets_every_gradient():
    model = nn.Linear(3, 2)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    model(tg.ones(1, 3)).sum().backward()
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_groups_take_the_defaults_they_do_not_override():
    model = nn.Linear(3, 2)
    groups = [{"params": [model.weight]}, {"params": model.bias, "lr": 0.5}]
    optimizer = optim.SGD(groups, lr=0.1, momentum=0.9)
    assert [group["lr"] for group in optimizer.param_groups] == [0.1, 0.5]
    assert all(group["momentum"] == 0.9 for group in optimizer.param_groups)
    assert "Parameter Group 1\n    dampening: 0.0\n    lr: 0.5" in repr(optimizer)


@pytest.mark.parametrize(
    "params, error, words",
    [
        ([], ValueError, "empty parameter list"),
        ([numpy.zeros(2)], TypeError, "can only optimize Tensors, got ndarray"),
        ([tg.ones(2, requires_grad=True) * 2], ValueError, "non-leaf"),
        ([{"params": [tg.ones(1)]}, {"params": []}, {"params": "x"}], TypeError, "got str"),
        ([{"params": [None]}], TypeError, "got NoneType"),
        ([{"params": [], "momentum": 0.5}], TypeError, r"no hyper-parameter\(s\) \['momentum'\]"),
    ],
)
def test_bad_parameters_are_reported(params, error, words):
    with pytest.raises(error, match=words):
        optim.Adam(params)


def test_a_parameter_in_two_groups_is_reported():
    weight = nn.Parameter(tg.ones(2))
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [weight]}, {"params": [weight]}], lr=0.1)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_updates_run_on_the_device(strict_cuda, name):
    host = nn.Linear(4, 3)
    device = nn.Linear(4, 3, device="cuda")
    device.load_state_dict(host.state_dict())
    optimizers = [OPTIMIZERS[name](model.parameters()) for model in (host, device)]
    x = numpy.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    for _ in range(3):
        for model, optimizer, where in zip((host, device), optimizers, ("cpu", "cuda"), strict=True):
            optimizer.zero_grad()
            (model(Tensor(x, device=where)) ** 2).mean().backward()
            optimizer.step()
    for mine, theirs in zip(device.parameters(), host.parameters(), strict=True):
        assert mine.device == "cuda"
        numpy.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
