"""Layers: PyTorch parity with copied weights, default initialisation, Sequential,
Dropout's modes, and running on the strict stand-in device."""

from __future__ import annotations

from collections import OrderedDict

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.nn import functional as F


class PoolUnpool:
    """Max pooling with indices, then unpooling back to the input's size, in either framework."""

    def __init__(self, framework):
        self.pool = framework.MaxPool2d(3, 2, 1, return_indices=True)
        self.unpool = framework.MaxUnpool2d(3, 2, 1)

    def __call__(self, x):
        return self.unpool(*self.pool(x), output_size=x.shape[2:])

    def __repr__(self):
        return f"{self.pool!r} {self.unpool!r}"

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        assert not state

    def named_parameters(self):
        return iter(())


# (layer in either framework, given its nn module and factory arguments; input shape)
LAYERS = {
    "linear": (lambda n, **f: n.Linear(5, 3, **f), (4, 5)),
    "linear-3d-no-bias": (lambda n, **f: n.Linear(5, 3, bias=False, **f), (2, 4, 5)),
    "conv": (lambda n, **f: n.Conv2d(2, 3, 3, stride=2, padding=1, **f), (2, 2, 7, 7)),
    "conv-rect-no-bias": (lambda n, **f: n.Conv2d(2, 3, (2, 3), bias=False, **f), (2, 2, 5, 6)),
    "conv-dilated-grouped": (lambda n, **f: n.Conv2d(4, 6, 3, 1, 2, 2, 2, False, **f), (2, 4, 7, 6)),
    "conv-depthwise": (lambda n, **f: n.Conv2d(3, 6, (3, 2), stride=2, groups=3, **f), (1, 3, 6, 7)),
    "conv-same": (lambda n, **f: n.Conv2d(2, 3, (2, 3), padding="same", dilation=(1, 2), **f), (2, 2, 5, 6)),
    "conv1d": (lambda n, **f: n.Conv1d(2, 3, 3, **f), (2, 2, 7)),
    "conv1d-strided-no-bias": (lambda n, **f: n.Conv1d(2, 4, 2, stride=2, padding=1, bias=False, **f), (2, 2, 7)),
    "conv1d-dilated-grouped": (lambda n, **f: n.Conv1d(4, 6, (3,), 1, (2,), (2,), 2, **f), (2, 4, 9)),
    "conv1d-same": (lambda n, **f: n.Conv1d(3, 3, 4, padding="same", groups=3, **f), (1, 3, 6)),
    "conv1d-valid": (lambda n, **f: n.Conv1d(2, 2, 3, padding="valid", dilation=2, **f), (1, 2, 8)),
    "pool": (lambda n, **f: n.MaxPool2d(2), (2, 3, 4, 6)),
    "pool-dilated-ceil": (lambda n, **f: n.MaxPool2d(3, 2, 1, 2, False, True), (2, 2, 8, 7)),
    "pool-overlap-padded": (lambda n, **f: n.MaxPool2d(3, stride=1, padding=1), (1, 2, 5, 5)),
    "pool-unpool": (lambda n, **f: PoolUnpool(n), (2, 2, 5, 7)),
    "avgpool": (lambda n, **f: n.AvgPool2d(2), (2, 3, 4, 6)),
    "avgpool-padded-ceil": (lambda n, **f: n.AvgPool2d(3, 2, 1, True, False), (1, 2, 7, 6)),
    "adaptive-avgpool": (lambda n, **f: n.AdaptiveAvgPool2d((3, None)), (2, 2, 7, 5)),
    "adaptive-avgpool-global": (lambda n, **f: n.AdaptiveAvgPool2d(1), (2, 3, 4, 4)),
    "relu": (lambda n, **f: n.ReLU(), (3, 4)),
    "leaky-relu": (lambda n, **f: n.LeakyReLU(0.2), (3, 4)),
    "softmax": (lambda n, **f: n.Softmax(dim=1), (3, 4)),
    "log-softmax": (lambda n, **f: n.LogSoftmax(dim=0), (3, 4)),
    "tanh": (lambda n, **f: n.Tanh(), (3, 4)),
    "sigmoid": (lambda n, **f: n.Sigmoid(), (3, 4)),
    "flatten": (lambda n, **f: n.Flatten(), (2, 3, 4)),
    "flatten-middle": (lambda n, **f: n.Flatten(1, 2), (2, 3, 4, 5)),
    "identity": (lambda n, **f: n.Identity(), (3,)),
    "layer-norm": (lambda n, **f: n.LayerNorm((4, 5), **f), (2, 3, 4, 5)),
    "layer-norm-no-bias": (lambda n, **f: n.LayerNorm(5, eps=1e-3, bias=False, **f), (3, 5)),
    "layer-norm-no-affine": (lambda n, **f: n.LayerNorm([3, 4], elementwise_affine=False, **f), (2, 3, 4)),
    "group-norm": (lambda n, **f: n.GroupNorm(2, 4, **f), (2, 4, 3, 3)),
    "group-norm-no-affine": (lambda n, **f: n.GroupNorm(3, 3, 1e-3, False, **f), (4, 3, 5)),
    "group-norm-no-bias": (lambda n, **f: n.GroupNorm(1, 2, bias=False, **f), (3, 2)),
}


def distinct(shape, seed=0):
    """Standard-normal-sized values, all different (no ties inside a pooling window)."""
    size = int(numpy.prod(shape))
    return (numpy.random.default_rng(seed).permutation(size) - size / 2) / (size / 4)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")  # PyTorch's own note
@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_pytorch_with_copied_weights(name):
    torch = pytest.importorskip("torch")
    build, shape = LAYERS[name]
    theirs = build(torch.nn, dtype=torch.float64)
    ours = build(nn, dtype="float64")
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    x = distinct(shape).reshape(shape)
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    numpy.testing.assert_allclose(y_ours.numpy(), y_theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    v = numpy.random.default_rng(1).standard_normal(y_ours.shape)
    y_ours.backward(Tensor(v))
    y_theirs.backward(torch.from_numpy(v))
    numpy.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
    their_params = dict(theirs.named_parameters())
    assert [key for key, _ in ours.named_parameters()] == list(their_params)
    for key, param in ours.named_parameters():
        expected = their_params[key].grad.numpy()
        numpy.testing.assert_allclose(param.grad.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "layer, fan_in",
    [
        (lambda: nn.Linear(400, 300), 400),
        (lambda: nn.Conv2d(8, 160, 3), 72),
        (lambda: nn.Conv2d(3, 200, (5, 1)), 15),
        (lambda: nn.Conv2d(8, 160, 3, groups=4), 18),  # a kernel sees 8/4 channels
        (lambda: nn.Conv1d(6, 300, 5, groups=2), 15),
    ],
)
def test_default_init_is_uniform_within_one_over_root_fan_in(layer, fan_in):
    tg.manual_seed(0)
    module = layer()
    bound = 1 / numpy.sqrt(fan_in)  # PyTorch's U(−√k, √k) with k = 1 / fan_in
    for values in (module.weight.numpy().ravel(), module.bias.numpy()):
        assert numpy.abs(values).max() <= bound
    weight = module.weight.numpy().ravel()
    # U(−b, b): variance b²/3; the sample maximum comes within 1% of b for ≥ 1000 samples
    assert numpy.abs(weight).max() > 0.99 * bound
    assert weight.var() == pytest.approx(bound**2 / 3, rel=0.05)
    assert abs(weight.mean()) < 5 * bound / numpy.sqrt(3 * weight.size)


def test_init_follows_the_seed():
    tg.manual_seed(7)
    first = nn.Conv2d(2, 3, 3).weight.numpy()
    tg.manual_seed(7)
    numpy.testing.assert_array_equal(nn.Conv2d(2, 3, 3).weight.numpy(), first)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: nn.Linear(0, 3), "in_features must be a positive int, got 0"),
        (lambda: nn.Conv2d(2, 3, 0), "kernel_size"),
        (lambda: nn.Conv2d(2, 3, 3)(tg.zeros(1, 4, 5, 5)), r"\(N, 2, H, W\) or \(2, H, W\), got \(1, 4, 5, 5\)"),
        (lambda: nn.Linear(4, 3)(tg.zeros(2, 5)), r"\(\.\.\., 4\), got \(2, 5\)"),
        (lambda: nn.MaxPool2d(2, padding=2)(tg.zeros(1, 1, 4, 4)), "at most half"),
        (lambda: nn.Conv2d(4, 6, 3, groups=4), r"out_channels \(6\) must be divisible by groups \(4\)"),
        (lambda: nn.Conv2d(3, 6, 3, groups=2), r"in_channels \(3\) must be divisible by groups \(2\)"),
        (lambda: nn.Conv2d(2, 2, 3, groups=0), "groups must be a positive int, got 0"),
        (lambda: nn.Conv2d(2, 2, 3, padding_mode="reflection"), "'zeros', 'reflect', 'replicate' or 'circular'"),
        (lambda: nn.Conv2d(2, 2, 3, stride=2, padding="same"), "padding='same' needs stride 1"),
        (lambda: F.conv2d(tg.zeros(1, 2, 5, 5), tg.zeros(2, 2, 3, 3), padding="full"), "'same', 'valid', an int"),
        (lambda: nn.Conv2d(4, 4, 3, groups=2)(tg.zeros(1, 2, 5, 5)), r"H, W\) or \(4, H, W\), got \(1, 2, 5, 5\)"),
        (lambda: F.conv2d(tg.zeros(1, 4, 5, 5), tg.zeros(3, 2, 3, 3), groups=2), "out divisible by groups=2"),
        (lambda: nn.Conv1d(2, 3, 3)(tg.zeros(1, 2, 5, 5)), r"\(N, 2, L\) or \(2, L\), got \(1, 2, 5, 5\)"),
        (lambda: nn.Conv1d(2, 3, (3, 3)), "kernel_size must be an int or a tuple of one int"),
        (lambda: nn.Conv1d(2, 3, 3, 2, "same"), r"conv1d: padding='same' needs stride 1, got stride \(2,"),
        (lambda: nn.Conv1d(4, 6, 3, groups=4), r"Conv1d: out_channels \(6\) must be divisible by groups \(4\)"),
        (lambda: F.conv1d(tg.zeros(1, 4, 5), tg.zeros(2, 2, 3, 3)), r"conv1d expects a weight of shape \(out, in/gr"),
        (lambda: F.conv1d(tg.zeros(1, 2, 5), tg.zeros(2, 2, 3), padding="full"), "conv1d: padding must be 'same'"),
        (lambda: nn.Dropout(-0.1), r"\[0, 1\]"),
        (lambda: nn.Flatten()(tg.zeros(4)), r"Flatten\(start_dim=1, end_dim=-1\) cannot flatten .* \(4,\)"),
        (lambda: nn.Flatten(2, 1)(tg.zeros(2, 3, 4)), r"cannot flatten an input of shape \(2, 3, 4\)"),
        (lambda: nn.AvgPool2d(2, padding=2)(tg.zeros(1, 1, 4, 4)), "at most half"),
        (lambda: nn.AvgPool2d(2)(tg.zeros(4, 4)), r"avg_pool2d expects input of shape \(N, C, H, W\), got \(4, 4\)"),
        (lambda: nn.AvgPool2d(2, divisor_override=0)(tg.zeros(1, 1, 4, 4)), "divisor_override must be a positive"),
        (lambda: nn.AdaptiveAvgPool2d((2, 0))(tg.zeros(1, 1, 4, 4)), r"output_size must be .* got \(2, 0\)"),
        (lambda: nn.AdaptiveAvgPool2d(2)(tg.zeros(4, 4)), r"expects input of shape \(N, C, H, W\), got \(4, 4\)"),
        (lambda: nn.Softmax(), r"Softmax needs the axis to normalize over, e.g. Softmax\(dim=1\)"),
        (lambda: nn.LogSoftmax(), "LogSoftmax needs the axis"),
    ],
)
def test_bad_arguments_are_reported(call, words):
    with pytest.raises(ValueError, match=words):
        call()


@pytest.mark.parametrize("name", LAYERS)
def test_layer_prints_like_pytorch(name):
    torch = pytest.importorskip("torch")
    build, _ = LAYERS[name]
    assert repr(build(nn)) == repr(build(torch.nn))


def test_dropout_module_follows_the_mode():
    layer = nn.Dropout(0.5)
    x = tg.ones(1000)
    assert (layer(x).numpy() == 0).any()
    assert layer.eval()(x) is x


# Sequential ---------------------------------------------------------------------------


def test_sequential_indexing_and_names():
    relu = nn.ReLU()
    model = nn.Sequential(nn.Linear(2, 3), relu, nn.Linear(3, 1))
    assert len(model) == 3 and model[1] is relu and model[-2] is relu
    assert [name for name, _ in model.named_children()] == ["0", "1", "2"]
    assert list(model) == [model[0], relu, model[2]]
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and [name for name, _ in tail.named_children()] == ["1", "2"]
    with pytest.raises(IndexError, match="index 3 is out of range for a Sequential of 3 modules"):
        model[3]
    model.append(nn.Sigmoid())
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"] and len(model) == 4


def test_sequential_from_named_modules_chains_them():
    first, second = nn.Linear(2, 3), nn.Linear(3, 1)
    model = nn.Sequential(OrderedDict(hidden=first, act=nn.Tanh(), out=second))
    assert list(model.state_dict()) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    x = tg.randn(4, 2)
    numpy.testing.assert_array_equal(model(x).numpy(), second(first(x).tanh()).numpy())


# On the strict stand-in device --------------------------------------------------------


def small_cnn(**factory):
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, **factory), nn.LeakyReLU(0.1),
        nn.Conv2d(4, 4, 2, padding="same", dilation=2, groups=2, **factory), nn.MaxPool2d(3, 2, ceil_mode=True),
        nn.AvgPool2d(2, 1, 1, count_include_pad=False), nn.AdaptiveAvgPool2d((2, None)),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(4 * 2 * 3, 4, **factory), nn.Sigmoid(),
    )


@pytest.mark.parametrize("placement", ["constructed on the device", "moved with .to"])
def test_layers_run_forward_and_backward_on_the_device(strict_cuda, placement):
    host = small_cnn()
    device = small_cnn(device="cuda") if placement == "constructed on the device" else small_cnn().to("cuda")
    device.load_state_dict(host.state_dict())
    assert all(p.device == "cuda" for p in device.parameters())
    x = numpy.random.default_rng(0).standard_normal((3, 2, 4, 4)).astype("float32")
    target = numpy.array([0, 3, -1])
    losses = []
    for model, where in ((host, "cpu"), (device, "cuda")):
        tg.manual_seed(1)  # the same dropout mask on both
        loss = F.cross_entropy(model(Tensor(x, device=where)), target, [1.0, 2.0, 0.5, 1.5], ignore_index=-1,
                               label_smoothing=0.2)
        loss.backward()
        losses.append(loss.item())
    assert losses[1] == pytest.approx(losses[0], rel=1e-6)
    for (key, mine), theirs in zip(device.named_parameters(), host.parameters(), strict=True):
        assert mine.grad.device == "cuda", key
        numpy.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_pooling_with_indices_and_unpooling_run_on_the_device(strict_cuda):
    x = distinct((2, 2, 5, 7)).reshape(2, 2, 5, 7)
    results = []
    for device in ("cpu", "cuda"):
        model = PoolUnpool(nn)
        inputs = Tensor(x, requires_grad=True, device=device)
        pooled, indices = model.pool(inputs)
        out = model.unpool(pooled, indices, output_size=x.shape)
        out.backward(Tensor(numpy.arange(out.size, dtype="float64").reshape(out.shape), device=device))
        assert indices.device == device and inputs.grad.device == device
        results.append([t.numpy() for t in (out, indices, inputs.grad)])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)


def test_conv1d_runs_forward_and_backward_on_the_device(strict_cuda):
    x = numpy.random.default_rng(0).standard_normal((2, 4, 9))
    v = numpy.random.default_rng(1).standard_normal((2, 6, 4))
    host = nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, dtype="float64")
    device = nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, dtype="float64", device="cuda")
    device.load_state_dict(host.state_dict())
    results = []
    for model, where in ((host, "cpu"), (device, "cuda")):
        inputs = Tensor(x, requires_grad=True, device=where)
        out = model(inputs)
        out.backward(Tensor(v, device=where))
        assert out.device == inputs.grad.device == model.weight.grad.device == where
        results.append([t.numpy() for t in (out, inputs.grad, model.weight.grad, model.bias.grad)])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Linear(2, 3), lambda nn: nn.Conv2d(1, 2, 3), lambda nn: nn.Conv1d(1, 2, 2),
    lambda nn: nn.BatchNorm2d(2), lambda nn: nn.BatchNorm1d(2, affine=False), lambda nn: nn.LayerNorm(3),
    lambda nn: nn.GroupNorm(1, 2), lambda nn: nn.Embedding(3, 2),
], ids=["Linear", "Conv2d", "Conv1d", "BatchNorm2d", "BatchNorm1d no affine", "LayerNorm", "GroupNorm", "Embedding"])
def test_layers_are_made_in_the_default_dtype_as_in_pytorch(torch, make):
    dtypes = {}
    for framework in (tg, torch):
        framework.set_default_dtype(framework.float64)
        try:
            dtypes[framework.__name__] = {key: str(value.dtype).replace("torch.", "")
                                          for key, value in make(framework.nn).state_dict().items()}
        finally:
            framework.set_default_dtype(framework.float32)
    assert dtypes["tinygrad_bn"] == dtypes["torch"]
    assert "float64" in dtypes["tinygrad_bn"].values()


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("kind, shape, arguments", [
    ("Conv2d", (2, 3, 5, 6), dict(kernel_size=3, padding=(1, 2), stride=2)),
    ("Conv2d", (1, 2, 5, 5), dict(kernel_size=(3, 2), padding="same", dilation=2)),
    ("Conv1d", (2, 3, 7), dict(kernel_size=3, padding=2)),
])
def test_padding_modes_match_pytorch(torch, mode, kind, shape, arguments):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, kind)(shape[1], 4, padding_mode=mode, dtype=torch.float64, **arguments)
    ours = getattr(nn, kind)(shape[1], 4, padding_mode=mode, dtype="float64", **arguments)
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs)
    data = numpy.random.default_rng(0).standard_normal(shape)
    x, tx = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    y.sum().backward()
    ty.sum().backward()
    numpy.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    numpy.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    numpy.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
