"""Folding BatchNorm into the layer before it: PyTorch's numbers, eval mode only, whole models."""

from __future__ import annotations

import copy

import numpy
import pytest

from tinygrad_bn import Tensor, nn
from tinygrad_bn.nn.utils import (
    fold_batch_norm,
    fold_error,
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
)

# (layer, its BatchNorm, input shape): the pairs a model folds
PAIRS = {
    "conv2d": (lambda bias: nn.Conv2d(3, 4, 3, padding=1, bias=bias), nn.BatchNorm2d, (2, 3, 5, 5)),
    "conv1d": (lambda bias: nn.Conv1d(3, 4, 3, bias=bias), nn.BatchNorm1d, (2, 3, 7)),
    "linear": (lambda bias: nn.Linear(3, 4, bias=bias), nn.BatchNorm1d, (5, 3)),
}
TORCH_LAYERS = {"conv2d": "Conv2d", "conv1d": "Conv1d", "linear": "Linear"}


def with_statistics(bn, rng, dtype="float64"):
    """Running statistics far from (0, 1) and a random γ, β, as after training."""
    state = {
        "running_mean": 3 * rng.standard_normal(bn.num_features) + 1,
        "running_var": rng.uniform(0.2, 4.0, bn.num_features),
        "num_batches_tracked": numpy.array(7),
    }
    if bn.affine:
        state |= {"weight": rng.standard_normal(bn.num_features), "bias": rng.standard_normal(bn.num_features)}
    bn.load_state_dict(state)
    return bn.to(dtype=dtype)


def pair(kind, bias, affine, dtype, seed=0):
    make_layer, bn_class, shape = PAIRS[kind]
    rng = numpy.random.default_rng(seed)
    layer = make_layer(bias).to(dtype=dtype).eval()
    bn = with_statistics(bn_class(4, affine=affine), rng, dtype).eval()
    return layer, bn, Tensor(5 * rng.standard_normal(shape) + 2, dtype=dtype)


def fuse(layer, bn):
    return fuse_linear_bn_eval(layer, bn) if isinstance(layer, nn.Linear) else fuse_conv_bn_eval(layer, bn)


def to_torch(torch, module, torch_module, dtype):
    """``torch_module`` holding ``module``'s state, in ``dtype``."""
    torch_module.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in module.state_dict().items()})
    return torch_module.to(getattr(torch, dtype))


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-13), ("float32", 1e-5)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", list(PAIRS))
def test_fused_layer_has_pytorchs_weights_and_outputs(kind, bias, affine, dtype, tol):
    torch = pytest.importorskip("torch")
    layer, bn, x = pair(kind, bias, affine, dtype)
    fused = fuse(layer, bn)

    torch_layer_class = getattr(torch.nn, TORCH_LAYERS[kind])
    torch_bn_class = getattr(torch.nn, type(bn).__name__)
    args = (3, 4, 3) if kind != "linear" else (3, 4)
    kwargs = {"padding": 1} if kind == "conv2d" else {}
    torch_layer = to_torch(torch, layer, torch_layer_class(*args, bias=bias, **kwargs), dtype).eval()
    torch_bn = to_torch(torch, bn, torch_bn_class(4, affine=affine), dtype).eval()
    assert fused.weight.dtype == fused.bias.dtype == numpy.dtype(dtype)
    if kind != "linear" or affine:  # PyTorch's fuse_linear_bn_weights cannot take γ = None (TypeError)
        torch_fusion = torch.nn.utils.fuse_linear_bn_eval if kind == "linear" else torch.nn.utils.fuse_conv_bn_eval
        expected = torch_fusion(torch_layer, torch_bn)
        numpy.testing.assert_allclose(fused.weight.numpy(), expected.weight.detach().numpy(), rtol=tol, atol=tol)
        numpy.testing.assert_allclose(fused.bias.numpy(), expected.bias.detach().numpy(), rtol=tol, atol=tol)
        assert fused.bias.requires_grad == expected.bias.requires_grad
    with torch.no_grad():
        expected_y = torch_bn(torch_layer(torch.from_numpy(x.numpy())))
    scale = numpy.abs(expected_y.numpy()).max()
    numpy.testing.assert_allclose(fused(x).numpy(), expected_y.numpy(), atol=tol * scale, rtol=0)


@pytest.mark.parametrize("kind", list(PAIRS))
def test_fusion_leaves_the_original_layers_alone(kind):
    layer, bn, _ = pair(kind, bias=True, affine=True, dtype="float64")
    before = layer.weight.numpy().copy()
    fused = fuse(layer, bn)
    assert fused is not layer and fused.weight is not layer.weight
    numpy.testing.assert_array_equal(layer.weight.numpy(), before)


@pytest.mark.parametrize("training", ["layer", "bn", "both"])
@pytest.mark.parametrize("kind", list(PAIRS))
def test_training_mode_is_refused_as_pytorch_refuses_it(kind, training):
    layer, bn, _ = pair(kind, bias=True, affine=True, dtype="float64")
    for module, name in ((layer, "layer"), (bn, "bn")):
        module.train(training in (name, "both"))
    with pytest.raises(AssertionError, match="eval mode.*call .eval\\(\\) first"):
        fuse(layer, bn)


def test_pytorch_refuses_training_mode_with_the_same_error_type():
    torch = pytest.importorskip("torch")
    with pytest.raises(AssertionError):
        torch.nn.utils.fuse_conv_bn_eval(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))


def test_batch_norm_without_running_statistics_is_refused():
    conv, bn = nn.Conv2d(3, 4, 3).eval(), nn.BatchNorm2d(4, track_running_stats=False).eval()
    with pytest.raises(AssertionError, match="track_running_stats=False"):
        fuse_conv_bn_eval(conv, bn)


def test_channel_mismatch_is_refused():
    with pytest.raises(AssertionError, match="4 output channels must match"):
        fuse_conv_bn_eval(nn.Conv2d(3, 4, 3).eval(), nn.BatchNorm2d(5).eval())


def test_transposed_weights_scale_the_second_axis():
    rng = numpy.random.default_rng(3)
    w = Tensor(rng.standard_normal((3, 4, 2, 2)))
    mean, var, gamma, beta = (Tensor(rng.uniform(0.5, 2.0, 4)) for _ in range(4))
    folded_w, folded_b = fuse_conv_bn_weights(w, None, mean, var, 1e-5, gamma, beta, transpose=True)
    s = gamma.numpy() / numpy.sqrt(var.numpy() + 1e-5)
    numpy.testing.assert_allclose(folded_w.numpy(), w.numpy() * s[None, :, None, None], rtol=1e-14)
    numpy.testing.assert_allclose(folded_b.numpy(), beta.numpy() - mean.numpy() * s, rtol=1e-14)


class Block(nn.Module):
    """A custom module holding a Sequential, and a pair outside any Sequential."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
            nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4)),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 3 * 3, 6, bias=False), nn.BatchNorm1d(6), nn.ReLU())
        self.out = nn.Linear(6, 2)
        self.out_bn = nn.BatchNorm1d(2)

    def forward(self, x):
        return self.out_bn(self.out(self.head(self.features(x))))


def trained_block(dtype="float64"):
    rng = numpy.random.default_rng(4)
    model = Block().to(dtype=dtype)
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with_statistics(module, rng, dtype)
    return model.eval(), Tensor(rng.standard_normal((3, 3, 5, 5)) * 2 + 1, dtype=dtype)


def test_fold_batch_norm_folds_every_pair_in_a_sequential_at_any_depth():
    model, x = trained_block()
    folded = fold_batch_norm(model)
    remaining = [name for name, m in folded.named_modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    assert remaining == ["out_bn"]  # not in a Sequential: its order is the forward's secret
    assert isinstance(folded.features[1], nn.Identity) and isinstance(folded.features[3][1], nn.Identity)
    assert folded.features[0].bias is not None and folded.head[1].bias is not None
    expected = model(x).numpy()
    numpy.testing.assert_allclose(folded(x).numpy(), expected, atol=1e-12 * numpy.abs(expected).max(), rtol=0)
    assert isinstance(model.features[1], nn.BatchNorm2d)  # the original is a separate copy


def test_fold_batch_norm_in_place_changes_the_model_itself():
    model, _ = trained_block()
    assert fold_batch_norm(model, inplace=True) is model
    assert isinstance(model.features[1], nn.Identity)


def test_fold_batch_norm_refuses_a_model_in_training_mode():
    model, _ = trained_block()
    model.head.train()
    with pytest.raises(AssertionError, match="head.*training mode: call model.eval"):
        fold_batch_norm(model)


def test_fold_error_reports_the_difference_it_claims():
    model, x = trained_block()
    model = model.features
    budget = fold_error(model, x)
    expected, got = model(x).numpy(), fold_batch_norm(model)(x).numpy()
    assert budget["float64"].max_abs == numpy.abs(got - expected).max()
    assert budget["float64"].max_rel == budget["float64"].max_abs / numpy.abs(expected).max()
    assert budget["float64"].max_rel < 1e-14 < budget["float32"].max_rel < 1e-5


def test_folds_on_a_device_without_handing_arrays_to_numpy(strict_cuda):
    layer, bn, x = pair("conv2d", bias=False, affine=True, dtype="float64")
    results = {}
    for device in ("cpu", "cuda"):
        fused = fuse_conv_bn_eval(copy.deepcopy(layer).to(device), copy.deepcopy(bn).to(device))
        results[device] = fused(Tensor(x, device=device)).numpy()
    numpy.testing.assert_allclose(results["cuda"], results["cpu"], rtol=1e-14)


def test_pytorchs_fusion_module_path(torch):
    import torch.nn.utils.fusion as theirs

    from tinygrad_bn.nn.utils import fusion as ours

    for name in theirs.__all__ if hasattr(theirs, "__all__") else ours.__all__:
        if name.startswith("fuse_"):
            assert hasattr(ours, name), name
    assert ours.fuse_conv_bn_eval is nn.utils.fuse_conv_bn_eval
