"""The toy models: their layers, their size known before they are built, and the
refusal of a model too large for the machine."""

import numpy
import pytest

from tinygrad_bn import Tensor, models, nn
from tinygrad_bn.models import build_model, check_fits_in_memory, model_size, training_bytes


def kinds(model, cls):
    return [module for module in model.modules() if isinstance(module, cls)]


@pytest.mark.parametrize("norm", ["fused", "composite"])
@pytest.mark.parametrize(
    "model_kind, shape, cls", [("mlp", (64,), nn.BatchNorm1d), ("cnn", (1, 8, 8), nn.BatchNorm2d)]
)
def test_hidden_layers_have_batch_norm_of_the_chosen_impl_and_no_bias(model_kind, shape, cls, norm):
    model = build_model(model_kind, norm, shape, num_classes=10, hidden=32)
    norms = kinds(model, cls)
    assert len(norms) == 2 and all(bn.impl == norm for bn in norms)
    weighted = kinds(model, (nn.Linear, nn.Conv2d))
    assert [layer.bias is None for layer in weighted] == [True, True, False]  # the classifier keeps its bias
    assert model.eval()(Tensor(numpy.ones((3, *shape), numpy.float32))).shape == (3, 10)


@pytest.mark.parametrize("model_kind, shape", [("mlp", (2,)), ("cnn", (3, 8, 8))])
def test_without_norm_every_layer_has_a_bias(model_kind, shape):
    model = build_model(model_kind, "none", shape, num_classes=4, hidden=8)
    assert not kinds(model, nn.BatchNorm1d) and not kinds(model, nn.BatchNorm2d)
    assert all(layer.bias is not None for layer in kinds(model, (nn.Linear, nn.Conv2d)))


def test_cnn_needs_images():
    with pytest.raises(ValueError, match=r"needs images of shape \(C, H, W\), got samples of shape \(2,\)"):
        build_model("cnn", "fused", (2,), num_classes=3)


@pytest.mark.parametrize(
    "model_kind, shape, classes, hidden", [("mlp", (64,), 10, 32), ("mlp", (3, 5), 4, 7), ("cnn", (1, 8, 8), 10, 0),
                                          ("cnn", (3, 12, 8), 5, 0)]
)
def test_model_size_counts_the_weights_of_the_built_model(model_kind, shape, classes, hidden):
    model = build_model(model_kind, "fused", shape, classes, hidden)
    weights = sum(layer.weight.numel() for layer in kinds(model, (nn.Linear, nn.Conv2d)))
    assert model_size(model_kind, shape, classes, hidden)[0] == weights


def test_a_model_larger_than_the_memory_is_refused_with_its_size(monkeypatch):
    needed = training_bytes("mlp", (64,), 10, 128, 64)
    monkeypatch.setattr(models, "machine_memory", lambda: needed)
    check_fits_in_memory("mlp", (64,), 10, 128, 64)  # just fits
    monkeypatch.setattr(models, "machine_memory", lambda: 2**18)
    # 4 bytes × (3 × 25,856 weights + 4 × 64 samples × 266 outputs) = 582,656 bytes
    with pytest.raises(ValueError, match=r"the mlp with hidden=128 and batch_size=64 needs about 569 KiB to train "
                       r"\(2.59e\+04 weights\), more than this machine's 256 KiB of memory"):
        check_fits_in_memory("mlp", (64,), 10, 128, 64)
    monkeypatch.setattr(models, "machine_memory", lambda: None)  # a system that does not say
    check_fits_in_memory("mlp", (64,), 10, 10**6, 64)
