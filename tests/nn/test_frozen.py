"""Frozen BatchNorm: torchvision's layer (its formula reproduced here), eval-mode
PyTorch BatchNorm's numbers, and freezing a model that is then put in training mode."""

from __future__ import annotations

import copy

import numpy
import pytest

from tinygrad_bn import Tensor, nn, optim
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn.utils import freeze_batch_norm

# (frozen class, PyTorch's BatchNorm class name, input shape)
LAYERS = [
    (nn.FrozenBatchNorm1d, "BatchNorm1d", (5, 4)),
    (nn.FrozenBatchNorm1d, "BatchNorm1d", (5, 4, 3)),
    (nn.FrozenBatchNorm2d, "BatchNorm2d", (2, 4, 3, 3)),
    (nn.FrozenBatchNorm3d, "BatchNorm3d", (2, 4, 2, 3, 2)),
]


def random_state(rng, channels=4):
    """γ, β and running statistics as after training (mean far from 0, variance from 1)."""
    return {
        "weight": rng.standard_normal(channels),
        "bias": rng.standard_normal(channels),
        "running_mean": 3 * rng.standard_normal(channels) + 2,
        "running_var": rng.uniform(0.1, 5.0, channels),
    }


def torchvision_frozen_bn2d(torch, x, state, eps):
    """torchvision's FrozenBatchNorm2d.forward, from its formula: scale = w·rsqrt(rv + eps),
    bias = b − rm·scale, y = x·scale + bias, all reshaped to (1, C, 1, 1)."""
    w, b, rm, rv = (torch.from_numpy(state[k]).reshape(1, -1, 1, 1)
                    for k in ("weight", "bias", "running_mean", "running_var"))
    scale = w * (rv + eps).rsqrt()
    return x * scale + (b - rm * scale)


@pytest.mark.parametrize("eps", [1e-5, 1e-3, 0.0])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-13), ("float32", 1e-5)])
def test_frozen_bn2d_is_torchvisions_formula(dtype, tol, eps):
    torch = pytest.importorskip("torch")
    rng = numpy.random.default_rng(0)
    state = random_state(rng)
    x = (4 * rng.standard_normal((3, 4, 5, 5)) + 1).astype(dtype)
    frozen = nn.FrozenBatchNorm2d(4, eps=eps, dtype=dtype)
    frozen.load_state_dict(state)
    expected = torchvision_frozen_bn2d(torch, torch.from_numpy(x).double(), state, eps).numpy()
    numpy.testing.assert_allclose(frozen(Tensor(x)).numpy(), expected, rtol=tol, atol=tol)
    assert frozen(Tensor(x)).dtype == numpy.dtype(dtype)


@pytest.mark.parametrize("frozen_class, torch_name, shape", LAYERS)
def test_frozen_layers_compute_pytorchs_eval_mode_batch_norm(frozen_class, torch_name, shape):
    torch = pytest.importorskip("torch")
    rng = numpy.random.default_rng(1)
    state = random_state(rng)
    theirs = getattr(torch.nn, torch_name)(4, eps=1e-4).double().eval()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    ours = frozen_class(4, eps=1e-4, dtype="float64")
    ours.load_state_dict(theirs.state_dict())  # num_batches_tracked dropped, as torchvision drops it
    x = 3 * rng.standard_normal(shape) + 1
    dy = rng.standard_normal(shape)
    tx = torch.from_numpy(x).requires_grad_()
    theirs(tx).backward(torch.from_numpy(dy))
    x_ours = Tensor(x, requires_grad=True)
    y = ours.train()(x_ours)  # training mode changes nothing
    y.backward(Tensor(dy))
    numpy.testing.assert_allclose(y.numpy(), theirs(tx).detach().numpy(), rtol=1e-13, atol=1e-13)
    numpy.testing.assert_allclose(x_ours.grad.numpy(), tx.grad.numpy(), rtol=1e-13, atol=1e-13)


def test_state_dict_keys_buffers_and_defaults_are_torchvisions():
    frozen = nn.FrozenBatchNorm2d(3)
    assert list(frozen.state_dict()) == ["weight", "bias", "running_mean", "running_var"]
    assert list(frozen.parameters()) == [] and len(list(frozen.buffers())) == 4
    assert frozen.eps == 1e-5 and repr(frozen) == "FrozenBatchNorm2d(3, eps=1e-05)"
    numpy.testing.assert_array_equal(frozen.weight.numpy(), numpy.ones(3))
    numpy.testing.assert_array_equal(frozen.running_var.numpy(), numpy.ones(3))
    assert not numpy.any(frozen.bias.numpy()) and not numpy.any(frozen.running_mean.numpy())


def test_gradient_with_respect_to_the_input_passes_gradcheck():
    rng = numpy.random.default_rng(2)
    frozen = nn.FrozenBatchNorm2d(4, dtype="float64")
    frozen.load_state_dict(random_state(rng))
    assert gradcheck(frozen, Tensor(rng.standard_normal((2, 4, 3, 3)), requires_grad=True))


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (2, 4, 4)])
def test_wrong_input_shape_is_named(shape):
    with pytest.raises(ValueError, match=r"FrozenBatchNorm2d\(4\) expects input of shape \(N, 4, H, W\), got"):
        nn.FrozenBatchNorm2d(4)(Tensor(numpy.zeros(shape)))


def small_cnn(nn_namespace):
    return nn_namespace.Sequential(
        nn_namespace.Conv2d(2, 4, 3, bias=False), nn_namespace.BatchNorm2d(4), nn_namespace.ReLU(),
        nn_namespace.Flatten(), nn_namespace.Linear(4 * 3 * 3, 5), nn_namespace.BatchNorm1d(5),
    )


def pretrained(rng):
    """A small CNN whose BatchNorms saw a few batches, so their statistics are not (0, 1)."""
    model = small_cnn(nn).to(dtype="float64")
    for _ in range(3):
        model(Tensor(2 * rng.standard_normal((8, 2, 5, 5)) + 1))
    return model


def test_frozen_model_after_train_matches_pytorch_in_eval_mode():
    torch = pytest.importorskip("torch")
    rng = numpy.random.default_rng(3)
    model = pretrained(rng)
    theirs = small_cnn(torch.nn).double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()})
    theirs.eval()
    frozen = freeze_batch_norm(model).train()  # the fine-tuning trap: train() after freezing
    x, dy = 2 * rng.standard_normal((2, 2, 5, 5)) + 1, rng.standard_normal((2, 5))
    y = frozen(Tensor(x))
    y.backward(Tensor(dy))
    expected = theirs(torch.from_numpy(x))
    expected.backward(torch.from_numpy(dy))
    numpy.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    numpy.testing.assert_allclose(frozen[0].weight.grad.numpy(), theirs[0].weight.grad.numpy(), rtol=1e-12)
    numpy.testing.assert_allclose(frozen[4].weight.grad.numpy(), theirs[4].weight.grad.numpy(), rtol=1e-12)


def test_frozen_layers_take_no_gradient_and_keep_their_statistics_through_training():
    rng = numpy.random.default_rng(4)
    model = pretrained(rng)
    unfrozen = copy.deepcopy(model)
    frozen = freeze_batch_norm(model)
    assert [type(m).__name__ for m in frozen] == ["Conv2d", "FrozenBatchNorm2d", "ReLU", "Flatten", "Linear",
                                                  "FrozenBatchNorm1d"]
    assert [name for name, _ in frozen.named_parameters()] == ["0.weight", "4.weight", "4.bias"]
    before = {k: v.numpy().copy() for k, v in frozen.state_dict().items()}
    optimizer = optim.SGD(frozen.parameters(), lr=0.1)
    frozen.train()
    for _ in range(3):
        optimizer.zero_grad()
        loss = (frozen(Tensor(rng.standard_normal((4, 2, 5, 5)))) ** 2).mean()
        loss.backward()
        optimizer.step()
    after = frozen.state_dict()
    for key in ("1.weight", "1.bias", "1.running_mean", "1.running_var", "5.running_mean"):
        numpy.testing.assert_array_equal(after[key].numpy(), before[key], err_msg=key)
    assert not numpy.array_equal(after["0.weight"].numpy(), before["0.weight"])  # the rest did learn
    # the trap it avoids: an unfrozen model in training mode moves its statistics on every forward
    statistics = unfrozen[1].running_mean.numpy().copy()
    unfrozen.train()(Tensor(rng.standard_normal((4, 2, 5, 5))))
    assert not numpy.allclose(unfrozen[1].running_mean.numpy(), statistics)


def test_freezing_keeps_eps_and_fills_in_a_missing_affine():
    bn = nn.BatchNorm2d(3, eps=1e-3, affine=False).eval()
    bn.running_mean._data[...] = [1.0, 2.0, 3.0]
    frozen = freeze_batch_norm(bn)
    assert isinstance(frozen, nn.FrozenBatchNorm2d) and frozen.eps == 1e-3
    numpy.testing.assert_array_equal(frozen.weight.numpy(), numpy.ones(3))
    numpy.testing.assert_array_equal(frozen.running_mean.numpy(), [1.0, 2.0, 3.0])
    x = Tensor(numpy.random.default_rng(5).standard_normal((2, 3, 2, 2)).astype(numpy.float32))
    numpy.testing.assert_allclose(frozen(x).numpy(), bn(x).numpy(), rtol=1e-6, atol=1e-6)


def test_a_batch_norm_without_running_statistics_cannot_be_frozen():
    with pytest.raises(ValueError, match="track_running_stats=False it has no running statistics"):
        freeze_batch_norm(nn.Sequential(nn.BatchNorm1d(3, track_running_stats=False)))


def test_runs_on_a_device_without_handing_arrays_to_numpy(strict_cuda):
    rng = numpy.random.default_rng(6)
    state, x = random_state(rng), rng.standard_normal((2, 4, 3, 3))
    results = {}
    for device in ("cpu", "cuda"):
        frozen = nn.FrozenBatchNorm2d(4, device=device, dtype="float64")
        frozen.load_state_dict(state)
        inputs = Tensor(x, device=device, requires_grad=True)
        frozen(inputs).sum().backward()
        results[device] = [frozen(inputs).numpy(), inputs.grad.numpy()]
    for ours, reference in zip(results["cuda"], results["cpu"]):
        numpy.testing.assert_allclose(ours, reference, rtol=1e-14)
