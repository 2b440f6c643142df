"""``nn.SyncBatchNorm`` in one process: BatchNorm's numbers in training and eval mode, as
PyTorch's on CPU without a process group; ``convert_sync_batchnorm`` as PyTorch's."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn


def sample(shape, seed=0):
    return numpy.random.default_rng(seed).normal(3.0, 2.0, shape).astype("float32")


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4), (2, 3, 2, 3, 3), (2, 3, 2, 2, 2, 2)])
@pytest.mark.parametrize("options", [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False},
                                     {"eps": 1e-2, "momentum": 0.3}])
def test_forward_backward_and_running_statistics_are_pytorchs(torch, shape, options):
    ours, theirs = nn.SyncBatchNorm(3, **options), torch.nn.SyncBatchNorm(3, **options)
    assert repr(ours) == repr(theirs)
    for step, mode in enumerate(["train", "train", "eval", "train"]):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        x = sample(shape, seed=step)
        ours_x, theirs_x = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = ours(ours_x), theirs(theirs_x)
        numpy.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5)
        weights = numpy.linspace(-1, 1, out.size).reshape(out.shape).astype("float32")
        (out * tg.tensor(weights)).sum().backward()
        (expected * torch.from_numpy(weights)).sum().backward()
        numpy.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-4, atol=1e-5)
        for key, value in theirs.state_dict().items():
            numpy.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-6,
                                          err_msg=key)


def test_it_computes_what_batchnorm_computes():
    x = tg.tensor(sample((4, 3, 5, 5)))
    sync, plain = nn.SyncBatchNorm(3, process_group="group"), nn.BatchNorm2d(3)
    numpy.testing.assert_array_equal(sync(x).numpy(), plain(x).numpy())
    numpy.testing.assert_array_equal(sync.running_var.numpy(), plain.running_var.numpy())
    assert sync.process_group == "group"


@pytest.mark.parametrize(("shape", "words"), [((3,), "expects input of shape"), ((4, 5, 2), "expects input of shape")])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_an_input_it_cannot_take_is_refused_as_in_pytorch(torch, raises_like_torch, shape, words, mode):
    ours, theirs = getattr(nn.SyncBatchNorm(3), mode)(), getattr(torch.nn.SyncBatchNorm(3), mode)()
    raises_like_torch(lambda: ours(tg.zeros(*shape)), lambda: theirs(torch.zeros(shape)), words)


def model(lib):
    """Nested BatchNorms of every kind and setting, one frozen, one in eval mode."""
    lib.manual_seed(0)
    net = lib.nn.Sequential(
        lib.nn.Conv2d(3, 4, 3), lib.nn.BatchNorm2d(4),
        lib.nn.Sequential(lib.nn.BatchNorm2d(4, affine=False, momentum=None), lib.nn.InstanceNorm2d(4),
                          lib.nn.Sequential(lib.nn.BatchNorm2d(4, bias=False))),
        lib.nn.BatchNorm2d(4, track_running_stats=False, eps=1e-3),
    )
    net[1].weight.requires_grad_(False)
    net[3].eval()
    x = lib.tensor(sample((2, 3, 6, 6)))
    net(x)
    net(x * 2)
    return net


def test_convert_sync_batchnorm_converts_every_batchnorm_as_pytorch_does(torch):
    ours, theirs = model(tg), model(torch)
    ours_bns = [m for m in ours.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    ours_tensors = [(m._parameters["weight"], m._buffers["running_mean"]) for m in ours_bns]
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(ours, process_group="group")
    expected = torch.nn.SyncBatchNorm.convert_sync_batchnorm(theirs, process_group="group")
    assert converted is ours
    assert repr(converted) == repr(expected)
    ours_syncs = [m for m in converted.modules() if isinstance(m, nn.SyncBatchNorm)]
    theirs_syncs = [m for m in expected.modules() if isinstance(m, torch.nn.SyncBatchNorm)]
    assert len(ours_syncs) == len(theirs_syncs) == 4
    for sync, bn_tensors, theirs_sync in zip(ours_syncs, ours_tensors, theirs_syncs, strict=True):
        assert (sync._parameters["weight"], sync._buffers["running_mean"]) == bn_tensors  # the same objects
        assert sync.training == theirs_sync.training and sync.process_group == "group"
        assert [p.requires_grad for p in sync.parameters()] == [p.requires_grad for p in theirs_sync.parameters()]
    ours_state, theirs_state = converted.state_dict(), expected.state_dict()
    assert list(ours_state) == list(theirs_state)
    for key, value in theirs_state.items():
        numpy.testing.assert_allclose(ours_state[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)
    x = sample((2, 3, 6, 6), seed=1)
    numpy.testing.assert_allclose(converted(tg.tensor(x)).numpy(), expected(torch.from_numpy(x)).detach().numpy(),
                                  rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("training", [True, False])
def test_a_batchnorm_itself_is_converted_to_a_new_layer(torch, training):
    with pytest.warns(UserWarning, match="momentum=0.7"):
        bn = nn.BatchNorm1d(3, momentum=0.7).train(training)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the momentum was warned about when bn was built
        sync = nn.SyncBatchNorm.convert_sync_batchnorm(bn)
    theirs = torch.nn.SyncBatchNorm.convert_sync_batchnorm(torch.nn.BatchNorm1d(3, momentum=0.7).train(training))
    assert type(sync) is nn.SyncBatchNorm and sync is not bn and sync.training == theirs.training == training
    assert repr(sync) == repr(theirs) and sync.process_group is None
    assert nn.SyncBatchNorm.convert_sync_batchnorm(nn.ReLU()).__class__ is nn.ReLU
    layers = nn.SyncBatchNorm.convert_sync_batchnorm(nn.ModuleList([nn.ReLU(), nn.BatchNorm3d(2)]))
    assert [type(layer).__name__ for layer in layers] == ["ReLU", "SyncBatchNorm"]


def test_the_implementation_is_kept():
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm2d(3, impl="composite"))
    assert sync.impl == "composite"


def test_a_lazy_batchnorm_must_see_an_input_first():
    with pytest.raises(ValueError, match="LazyBatchNorm2d has not seen an input yet"):
        nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.LazyBatchNorm2d()))
    lazy = nn.Sequential(nn.LazyBatchNorm2d())
    lazy(tg.randn(2, 3, 2, 2))
    assert nn.SyncBatchNorm.convert_sync_batchnorm(lazy)[0].num_features == 3
