"""The lazy convolutions, BatchNorms and InstanceNorms: shaped by their first input or a
state dict, PyTorch's reprs, classes, weights after the same seed, state dicts and
errors, and the same parameter objects an optimizer already holds."""

from __future__ import annotations

import copy
import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn

# (class name, constructor arguments, keyword arguments, input shape)
CASES = [
    ("LazyConv1d", (4, 3), {}, (2, 6, 9)),
    ("LazyConv1d", (4, 3), {"padding": 1, "bias": False}, (6, 9)),
    ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2}, (2, 6, 7, 7)),
    ("LazyConv2d", (3, 2), {"padding_mode": "reflect", "padding": 1}, (5, 6, 6)),
    ("LazyConv3d", (2, 2), {}, (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 6, 5)),
    ("LazyConvTranspose2d", (4, 2), {"groups": 2, "output_padding": 1, "stride": 2}, (2, 6, 3, 3)),
    ("LazyConvTranspose2d", (2, 3), {"bias": False}, (5, 3, 3)),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 3, 2, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (8, 5)),
    ("LazyBatchNorm1d", (), {"momentum": None}, (4, 3, 6)),
    ("LazyBatchNorm2d", (), {"affine": False}, (4, 3, 5, 5)),
    ("LazyBatchNorm3d", (), {"track_running_stats": False, "eps": 1e-3}, (2, 3, 2, 3, 3)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 7)),
    ("LazyInstanceNorm2d", (), {"affine": False}, (2, 3, 5, 5)),
    ("LazyInstanceNorm3d", (), {"track_running_stats": False}, (2, 3, 2, 3, 3)),
]
IDS = [f"{name}-{'-'.join(map(str, shape))}-{len(kwargs)}" for name, _, kwargs, shape in CASES]


def both(torch, name, args, kwargs):
    """Our lazy module and PyTorch's, built the same way."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PyTorch's note that lazy modules are new
        return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


def state(module) -> dict:
    return {key: value.detach().numpy() for key, value in module.state_dict().items()}


def sample(shape, seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.mark.parametrize(("name", "args", "kwargs", "shape"), CASES, ids=IDS)
def test_the_first_forward_gives_pytorchs_layer(torch, name, args, kwargs, shape):
    tg.manual_seed(5)
    torch.manual_seed(5)
    ours, theirs = both(torch, name, args, kwargs)
    assert repr(ours) == repr(theirs)
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()
    x = sample(shape)
    out, expected = ours(tg.tensor(x)), theirs(torch.from_numpy(x))
    numpy.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert type(ours).__name__ == type(theirs).__name__ == name[len("Lazy"):]
    assert type(ours) is getattr(nn, name).cls_to_become
    ours_state, theirs_state = state(ours), state(theirs)
    assert list(ours_state) == list(theirs_state)
    for key, value in theirs_state.items():
        numpy.testing.assert_allclose(ours_state[key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    # the draws went on from where PyTorch's did
    numpy.testing.assert_array_equal(tg.rand(3).numpy(), torch.rand(3).numpy())


@pytest.mark.parametrize(("name", "args", "kwargs", "shape"), [c for c in CASES if "Norm" not in c[0]],
                         ids=[i for i, c in zip(IDS, CASES) if "Norm" not in c[0]])
def test_the_repr_after_the_first_forward_is_pytorchs(torch, name, args, kwargs, shape):
    ours, theirs = both(torch, name, args, kwargs)
    x = sample(shape)
    ours(tg.tensor(x))
    theirs(torch.from_numpy(x))
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", ["LazyBatchNorm2d", "LazyInstanceNorm2d"])
@pytest.mark.parametrize("affine", [True, False])
def test_a_norms_repr_after_the_first_forward_has_the_channels(torch, name, affine):
    ours, theirs = both(torch, name, (), {"affine": affine})
    x = sample((2, 3, 4, 4))
    ours(tg.tensor(x))
    theirs(torch.from_numpy(x))
    assert repr(ours) == repr(theirs).replace(f"{type(theirs).__name__}(0,", f"{type(theirs).__name__}(3,")
    assert ours.num_features == 3


@pytest.mark.parametrize(("name", "args", "kwargs", "shape"), CASES, ids=IDS)
def test_the_state_dict_before_the_first_forward_is_pytorchs(torch, name, args, kwargs, shape):
    ours, theirs = both(torch, name, args, kwargs)
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    assert [type(v).__name__ for v in ours_state.values()] == [type(v).__name__ for v in theirs_state.values()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


def test_the_running_statistics_wait_as_uninitialized_buffers():
    bn = nn.LazyBatchNorm2d()
    assert isinstance(bn.running_mean, nn.UninitializedBuffer) and repr(bn.running_var) == "<UninitializedBuffer>"
    assert not bn.running_mean.requires_grad and bn.num_batches_tracked.item() == 0
    bn(tg.randn(2, 3, 4, 4))
    assert type(bn.running_mean) is nn.Buffer and bn.running_var.shape == (3,)


@pytest.mark.parametrize(("full", "lazy", "shape"), [
    ("Conv2d", ("LazyConv2d", (4, 3), {}), (2, 5, 6, 6)),
    ("ConvTranspose1d", ("LazyConvTranspose1d", (4, 3), {"groups": 2}), (2, 6, 5)),
    ("BatchNorm2d", ("LazyBatchNorm2d", (), {}), (2, 5, 3, 3)),
    ("InstanceNorm1d", ("LazyInstanceNorm1d", (), {}), (2, 5, 6)),
])
def test_a_state_dict_loaded_first_gives_pytorchs_outputs(torch, full, lazy, shape):
    name, args, kwargs = lazy
    channels = shape[1]
    theirs_full = {
        "Conv2d": lambda: torch.nn.Conv2d(channels, 4, 3),
        "ConvTranspose1d": lambda: torch.nn.ConvTranspose1d(channels, 4, 3, groups=2),
        "BatchNorm2d": lambda: torch.nn.BatchNorm2d(channels),
        "InstanceNorm1d": lambda: torch.nn.InstanceNorm1d(channels, affine=True, track_running_stats=True),
    }[full]()
    with torch.no_grad():
        for tensor in theirs_full.state_dict().values():
            if tensor.is_floating_point():
                tensor.add_(torch.rand(tensor.shape))
    checkpoint = theirs_full.state_dict()
    ours, theirs = both(torch, name, args, kwargs)
    assert str(ours.load_state_dict({k: v.numpy() for k, v in checkpoint.items()})) == str(
        theirs.load_state_dict(checkpoint))
    assert not theirs.has_uninitialized_params()
    assert type(ours).__name__ == full  # PyTorch's stays lazy until its first forward
    assert all(type(t) in (nn.Parameter, nn.Buffer) for t in (*ours.parameters(), *ours.buffers())
               if t.dtype == tg.float32)
    x = sample(shape)
    for mode in ("train", "eval"):  # against the checkpoint's own layer: PyTorch's lazy InstanceNorm fails here
        getattr(ours, mode)()
        getattr(theirs_full, mode)()
        numpy.testing.assert_allclose(ours(tg.tensor(x)).numpy(),
                                      theirs_full(torch.from_numpy(x)).detach().numpy(), rtol=1e-4, atol=1e-5)
    for key, value in state(theirs_full).items():
        numpy.testing.assert_allclose(state(ours)[key], value, rtol=1e-5, atol=1e-6, err_msg=key)


def test_a_state_dict_of_an_uninitialized_layer_leaves_it_lazy(torch):
    ours, theirs = nn.LazyConv1d(3, 2), torch.nn.LazyConv1d(3, 2)
    ours.load_state_dict(nn.LazyConv1d(3, 2).state_dict())
    theirs.load_state_dict(torch.nn.LazyConv1d(3, 2).state_dict())
    assert ours.has_uninitialized_params() and theirs.has_uninitialized_params()
    assert type(ours) is nn.LazyConv1d


def test_a_partly_loaded_layer_is_refused_at_its_first_forward():
    bn = nn.LazyBatchNorm1d()
    bn.load_state_dict({"weight": numpy.ones(4), "bias": numpy.zeros(4)}, strict=False)
    with pytest.raises(RuntimeError, match="running_mean, running_var are still uninitialized"):
        bn(tg.randn(3, 4))


@pytest.mark.parametrize(("name", "args", "kwargs", "shape", "words"), [
    ("LazyConv2d", (4, 3), {}, (2, 3, 4, 4, 4), r"Expected 3D \(unbatched\) or 4D \(batched\) input"),
    ("LazyConvTranspose2d", (4, 3), {}, (3, 4), r"Expected 3D \(unbatched\) or 4D \(batched\) input"),
    ("LazyConv3d", (4, 3), {}, (5, 5), r"Expected 4D \(unbatched\) or 5D \(batched\) input"),
    ("LazyConv2d", (4, 3), {"groups": 2}, (2, 3, 4, 4), r"3 channels must be a positive multiple of groups \(2\)"),
])
def test_an_input_it_cannot_take_leaves_the_convolution_lazy(torch, raises_like_torch, name, args, kwargs, shape,
                                                              words):
    ours, theirs = both(torch, name, args, kwargs)
    raises_like_torch(lambda: ours(tg.zeros(*shape)), lambda: theirs(torch.zeros(shape)), words)
    assert ours.has_uninitialized_params() and theirs.has_uninitialized_params()
    assert type(ours) is getattr(nn, name)


@pytest.mark.parametrize(("name", "shape"), [("LazyBatchNorm2d", (2, 3, 4)), ("LazyBatchNorm1d", (2, 3, 4, 5)),
                                             ("LazyInstanceNorm2d", (3, 4))])
def test_a_norm_takes_its_size_then_refuses_the_input_as_pytorchs_does(torch, raises_like_torch, name, shape):
    ours, theirs = both(torch, name, (), {})
    raises_like_torch(lambda: ours(tg.zeros(*shape)), lambda: theirs(torch.zeros(shape)), "expects input of shape")
    assert type(ours).__name__ == type(theirs).__name__ == name[len("Lazy"):]
    assert ours.num_features == theirs.num_features


def test_a_norm_needs_a_channel_axis():
    with pytest.raises(ValueError, match=r"LazyBatchNorm1d expects input of shape \(N, C, \.\.\.\), got \(2,\)"):
        nn.LazyBatchNorm1d()(tg.zeros(2))


def test_a_lazy_layer_needs_a_tensor():
    with pytest.raises(TypeError, match="LazyConv1d needs an input Tensor to infer its parameters' shapes, got int"):
        nn.LazyConv1d(2, 1)(5)


def test_a_second_input_with_other_channels_is_refused(torch):
    conv = nn.LazyConv1d(2, 1)
    conv(tg.zeros(1, 3, 4))
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 3, L\)"):
        conv(tg.zeros(1, 5, 4))


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_an_optimizer_made_before_the_first_forward_trains_it_as_in_pytorch(torch, mode):
    def train(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.LazyConv2d(4, 3, padding=1), lib.nn.LazyBatchNorm2d(), lib.nn.ReLU(),
                                  lib.nn.LazyConvTranspose2d(2, 2, stride=2), lib.nn.LazyInstanceNorm2d())
        getattr(model, mode)()
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x = lib.tensor(sample((2, 3, 5, 5), seed=1))
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = model(x).pow(2).mean() + model(x).mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, {k: v.detach().numpy() for k, v in model.state_dict().items()}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = train(torch)
    ours = train(tg)
    numpy.testing.assert_allclose(ours[0], theirs[0], rtol=1e-4)
    assert list(ours[1]) == list(theirs[1])
    for key, value in theirs[1].items():
        numpy.testing.assert_allclose(ours[1][key], value, rtol=1e-4, atol=1e-5, err_msg=key)


@pytest.mark.parametrize("name", ["LazyConv2d", "LazyBatchNorm2d"])
def test_the_dtype_and_grad_settings_are_kept(torch, name):
    args = (2, 1) if "Conv" in name else ()
    ours = getattr(nn, name)(*args, dtype=tg.float64)
    theirs = getattr(torch.nn, name)(*args, dtype=torch.float64)
    ours(tg.zeros(2, 3, 2, 2, dtype=tg.float64))
    theirs(torch.zeros(2, 3, 2, 2, dtype=torch.float64))
    for (key, value), (_, expected) in zip(ours.state_dict().items(), theirs.state_dict().items(), strict=True):
        assert str(value.dtype) == str(expected.dtype).removeprefix("torch."), key
    assert [p.requires_grad for p in ours.parameters()] == [p.requires_grad for p in theirs.parameters()]


def test_the_mixin_is_at_pytorchs_path(torch):
    assert isinstance(nn.LazyBatchNorm1d(), nn.modules.lazy.LazyModuleMixin)
    assert issubclass(torch.nn.LazyBatchNorm1d, torch.nn.modules.lazy.LazyModuleMixin)
    assert not isinstance(nn.LazyLinear(2).__class__.cls_to_become(2, 2), nn.modules.lazy.LazyModuleMixin)


def scale_module(lib, materialize_all=True):
    """A lazy module of one's own, written the same way for both libraries."""

    class Scale(lib.nn.modules.lazy.LazyModuleMixin, lib.nn.Module):
        cls_to_become = None

        def __init__(self):
            super().__init__()
            self.gain = lib.nn.UninitializedParameter()
            self.offset = lib.nn.UninitializedParameter()

        def initialize_parameters(self, x):
            if self.has_uninitialized_params():
                with lib.no_grad():
                    self.gain.materialize(x.shape[-1:])
                    self.gain.fill_(2.0)
                    if materialize_all:
                        self.offset.materialize(x.shape[-1:])
                        self.offset.fill_(0.5)

        def forward(self, x):
            return x * self.gain + self.offset

    return Scale()


def test_a_lazy_module_of_ones_own_works_as_in_pytorch(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours, theirs = scale_module(tg), scale_module(torch)
    assert ours.has_uninitialized_params() and theirs.has_uninitialized_params()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = sample((2, 3))
    numpy.testing.assert_array_equal(ours(tg.tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy())
    assert not ours.has_uninitialized_params() and not theirs.has_uninitialized_params()
    assert type(ours).__name__ == type(theirs).__name__ == "Scale"


def test_a_lazy_module_that_leaves_a_parameter_uninitialized_is_refused(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours, theirs = scale_module(tg, materialize_all=False), scale_module(torch, materialize_all=False)
    with pytest.raises(RuntimeError, match="not been fully initialized"):
        theirs(torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="left parameters or buffers uninitialized"):
        ours(tg.ones(2, 3))


def test_a_deep_copy_made_before_the_first_forward_is_lazy_on_its_own(torch):
    def shapes(lib):
        model = lib.nn.Sequential(lib.nn.LazyConv2d(4, 3), lib.nn.LazyConvTranspose2d(2, 1))
        twin = copy.deepcopy(model)
        twin(lib.zeros(2, 3, 5, 5))
        model(lib.zeros(2, 6, 5, 5))
        return [(type(m).__name__, tuple(m.weight.shape)) for net in (model, twin) for m in net]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected = shapes(torch)
    assert shapes(tg) == expected


def test_a_lazy_batchnorm_can_be_deep_copied():
    bn = nn.LazyBatchNorm2d()
    twin = copy.deepcopy(bn)  # PyTorch cannot copy its uninitialized buffers
    twin(tg.randn(2, 3, 2, 2))
    assert isinstance(bn.running_mean, nn.UninitializedBuffer) and twin.running_mean.shape == (3,)
    bn(tg.randn(2, 5, 2, 2))
    assert bn.running_mean.shape == (5,)
