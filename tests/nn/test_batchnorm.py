"""BatchNorm1d/2d/3d modules: PyTorch's state, modes and state dicts, both implementations."""

import numpy as np
import pytest

from tinygrad_bn import Tensor, no_grad
from tinygrad_bn.nn import BatchNorm1d, BatchNorm2d, BatchNorm3d

IMPLS = ["fused", "composite"]
CASES = [  # (ours, theirs, input shape)
    (BatchNorm1d, "BatchNorm1d", (8, 3)),
    (BatchNorm1d, "BatchNorm1d", (6, 3, 5)),
    (BatchNorm2d, "BatchNorm2d", (4, 3, 5, 2)),
    (BatchNorm3d, "BatchNorm3d", (2, 3, 4, 2, 3)),
]
OPTIONS = [
    dict(),
    dict(momentum=None),
    dict(affine=False),
    dict(track_running_stats=False),
    dict(momentum=0.5, eps=1e-3),
]


def _pair(torch, ours_cls, theirs_cls, impl, options, rng):
    theirs = getattr(torch.nn, theirs_cls)(3, dtype=torch.float64, **options)
    if theirs.affine:
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(rng.standard_normal(3)))
            theirs.bias.copy_(torch.tensor(rng.standard_normal(3)))
    ours = ours_cls(3, impl=impl, dtype="float64", **options)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("ours_cls, theirs_cls, shape", CASES)
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_train_then_eval_matches_pytorch(torch, impl, ours_cls, theirs_cls, shape, options):
    rng = np.random.default_rng(0)
    ours, theirs = _pair(torch, ours_cls, theirs_cls, impl, options, rng)
    for _ in range(4):
        data, dy = 4 * rng.standard_normal(shape) + 7, rng.standard_normal(shape)
        x, tx = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        y, ty = ours(x), theirs(tx)
        y.backward(Tensor(dy))
        ty.backward(torch.tensor(dy))
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-12, err_msg=key)
    ours.eval()
    theirs.eval()
    data = 4 * rng.standard_normal(shape) + 7
    np.testing.assert_allclose(ours(Tensor(data)).numpy(), theirs(torch.tensor(data)).detach().numpy(),
                               rtol=1e-10, atol=1e-10)


def test_state_dict_keys_and_defaults_are_pytorchs(torch):
    ours, theirs = BatchNorm2d(5), torch.nn.BatchNorm2d(5)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == tuple(value.shape), key
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())
    assert ours.state_dict()["num_batches_tracked"].dtype == np.int64
    assert [n for n, _ in ours.named_parameters()] == ["weight", "bias"]
    assert BatchNorm1d(4, affine=False, track_running_stats=False).state_dict() == {}


def test_pytorch_state_dict_as_numpy_loads_and_gives_the_same_outputs(torch):
    rng = np.random.default_rng(1)
    theirs = torch.nn.BatchNorm1d(4)
    theirs.train()
    for _ in range(3):
        theirs(torch.tensor(rng.standard_normal((10, 4)), dtype=torch.float32))
    theirs.eval()
    ours = BatchNorm1d(4).eval()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert ours.num_batches_tracked.item() == 3
    data = rng.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(Tensor(data)).numpy(), theirs(torch.tensor(data)).detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("impl", IMPLS)
def test_running_stats_update_under_no_grad_in_training_mode(impl):
    bn = BatchNorm1d(2, impl=impl)
    with no_grad():
        bn(Tensor(np.array([[1.0, 2.0], [3.0, 6.0]], dtype=np.float32)))
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.2, 0.4])
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 + 0.1 * 2.0, 0.9 + 0.1 * 8.0])
    assert bn.num_batches_tracked.item() == 1


@pytest.mark.parametrize("impl", IMPLS)
def test_eval_accepts_a_single_sample(impl):
    bn = BatchNorm2d(3, impl=impl).eval()
    y = bn(Tensor(np.ones((1, 3, 1, 1), dtype=np.float32)))
    np.testing.assert_allclose(y.numpy(), np.full((1, 3, 1, 1), 1 / np.sqrt(1 + 1e-5)), rtol=1e-6)


@pytest.mark.parametrize("module, shape, message", [
    (BatchNorm2d(4), (2, 3, 5, 5), r"BatchNorm2d\(4\) expects input of shape \(N, 4, H, W\), got \(2, 3, 5, 5\)"),
    (BatchNorm2d(4), (2, 4, 5), r"BatchNorm2d\(4\) expects input of shape \(N, 4, H, W\), got \(2, 4, 5\)"),
    (BatchNorm1d(3), (2, 3, 4, 4), r"BatchNorm1d\(3\) expects input of shape \(N, 3\) or \(N, 3, L\)"),
    (BatchNorm3d(2), (2, 2, 4, 4), r"BatchNorm3d\(2\) expects input of shape \(N, 2, D, H, W\), got \(2, 2, 4, 4\)"),
    (BatchNorm1d(3), (1, 3), r"Expected more than 1 value per channel when training, got input size \(1, 3\)"),
])
def test_bad_input_is_named(module, shape, message):
    with pytest.raises(ValueError, match=message):
        module(Tensor(np.ones(shape, dtype=np.float32)))


@pytest.mark.parametrize("affine", [True, False])
def test_reset_parameters_restores_pytorchs_initial_state(torch, affine):
    ours, theirs = BatchNorm2d(3, affine=affine, dtype="float64"), torch.nn.BatchNorm2d(3, affine=affine)
    fresh = {key: value.numpy() for key, value in theirs.state_dict().items()}
    rng = np.random.default_rng(3)
    ours.load_state_dict({key: rng.standard_normal(value.shape) + 2 for key, value in fresh.items()
                          if key != "num_batches_tracked"} | {"num_batches_tracked": np.array(5)})
    ours.reset_parameters()
    theirs.reset_parameters()
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy(), err_msg=key)


@pytest.mark.parametrize("kwargs, message", [
    (dict(num_features=0), "num_features must be a positive integer"),
    (dict(num_features=3, eps=-1e-5), "eps must be >= 0"),
    (dict(num_features=3, momentum=1.5), "momentum must be in"),
    (dict(num_features=3, impl="cudnn"), "impl must be one of"),
])
def test_bad_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BatchNorm1d(**kwargs)


def test_repr_names_the_implementation_when_it_is_not_the_default():
    assert repr(BatchNorm1d(3, impl="composite")) == (
        "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True, impl='composite')"
    )


@pytest.mark.parametrize("kwargs", [{}, dict(affine=False), dict(bias=False), dict(momentum=None, eps=1e-3),
                                    dict(track_running_stats=False)])
def test_repr_and_state_dict_keys_are_pytorchs(kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = BatchNorm2d(4, **kwargs), torch.nn.BatchNorm2d(4, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]


def test_bias_false_trains_gamma_alone_as_pytorch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(5).standard_normal((6, 3, 2, 2))
    ours, theirs = BatchNorm2d(3, bias=False), torch.nn.BatchNorm2d(3, bias=False).double()
    with no_grad():
        ours.weight.copy_(Tensor(np.array([0.5, 2.0, -1.0])))
    theirs.weight.data = torch.tensor([0.5, 2.0, -1.0], dtype=torch.float64)
    x, tx = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (ours.double()(x) ** 3).sum().backward()
    (theirs(tx) ** 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-12)


@pytest.mark.parametrize("impl", IMPLS)
def test_runs_on_a_device_without_handing_arrays_to_numpy(strict_cuda, impl):
    rng = np.random.default_rng(2)
    data, dy = rng.standard_normal((6, 3, 4)).astype(np.float32), rng.standard_normal((6, 3, 4)).astype(np.float32)
    results = {}
    for device in ("cpu", "cuda"):
        bn = BatchNorm1d(3, impl=impl, device=device)
        x = Tensor(data, requires_grad=True, device=device)
        y = bn(x)
        y.backward(Tensor(dy, device=device))
        bn.eval()
        z = bn(x)
        results[device] = [t.numpy() for t in (y, x.grad, bn.weight.grad, z, bn.running_var)]
    for a, b in zip(results["cpu"], results["cuda"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
