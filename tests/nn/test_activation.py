"""Activations and normalize: finite-difference gradients, values and gradients against
PyTorch, the gradient PyTorch picks at each kink, modules' reprs, PReLU's parameter,
the random ones (rrelu in training, gumbel_softmax) by their laws and by PyTorch's numbers for the
same seed, and the device."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn import functional as F

SHAPE = (3, 4, 5)
# (name, our function, keyword arguments shared with PyTorch)
ACTIVATIONS = [
    ("gelu", F.gelu, {}),
    ("gelu", F.gelu, {"approximate": "tanh"}),
    ("silu", F.silu, {}),
    ("elu", F.elu, {}),
    ("elu", F.elu, {"alpha": 0.5}),
    ("softplus", F.softplus, {}),
    ("softplus", F.softplus, {"beta": 2.0, "threshold": 1.0}),
    ("normalize", F.normalize, {}),
    ("normalize", F.normalize, {"p": 1, "dim": -1}),
    ("relu6", F.relu6, {}),
    ("hardtanh", F.hardtanh, {}),
    ("hardtanh", F.hardtanh, {"min_val": -2.0, "max_val": 0.5}),
    ("selu", F.selu, {}),
    ("celu", F.celu, {}),
    ("celu", F.celu, {"alpha": 0.7}),
    ("glu", F.glu, {"dim": 1}),
    ("logsigmoid", F.logsigmoid, {}),
    ("softsign", F.softsign, {}),
    ("softmin", F.softmin, {"dim": 1}),
    ("mish", F.mish, {}),
    ("hardswish", F.hardswish, {}),
    ("hardsigmoid", F.hardsigmoid, {}),
    ("hardshrink", F.hardshrink, {}),
    ("hardshrink", F.hardshrink, {"lambd": 1.5}),
    ("softshrink", F.softshrink, {}),
    ("softshrink", F.softshrink, {"lambd": 1.5}),
    ("tanhshrink", F.tanhshrink, {}),
    ("threshold", F.threshold, {"threshold": 0.3, "value": -2.0}),
    ("rrelu", F.rrelu, {}),
    ("rrelu", F.rrelu, {"lower": 0.2, "upper": 0.4, "training": False}),
]
IDS = [name + "".join(f"-{word}={value}" for word, value in kwargs.items()) for name, _, kwargs in ACTIVATIONS]
# PyTorch's float64 backward of these rounds a constant to float32 (hardsigmoid's 1/6, celu's 1/α):
# its gradients are 3e-8 off; ours use the double constant
FLOAT32_CONSTANT_IN_TORCH = {"hardsigmoid", "celu-alpha=0.7"}


def values(seed=0, scale=3.0):
    return scale * numpy.random.default_rng(seed).standard_normal(SHAPE)


@pytest.mark.parametrize("name, fn, kwargs", ACTIVATIONS, ids=IDS)
def test_gradients_match_finite_differences(name, fn, kwargs):
    x = Tensor(values()[..., :2], requires_grad=True)  # 24 elements, of every region: a quick check
    assert gradcheck(lambda t: fn(t, **kwargs), x)
    assert gradgradcheck(lambda t: fn(t, **kwargs), x)


@pytest.mark.parametrize("name, fn, kwargs", ACTIVATIONS, ids=IDS)
@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-12), ("float32", 1e-5)])
def test_values_and_gradients_match_torch(torch, name, fn, kwargs, dtype, tolerance):
    data = values(1).astype(dtype)
    x = Tensor(data, requires_grad=True)
    y = fn(x, **kwargs)
    upstream = numpy.random.default_rng(2).standard_normal(y.shape).astype(dtype)
    y.backward(Tensor(upstream))
    tx = torch.tensor(data, requires_grad=True)
    ty = getattr(torch.nn.functional, name)(tx, **kwargs)
    ty.backward(torch.tensor(upstream))
    assert y.dtype == dtype
    numpy.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=tolerance, atol=tolerance)
    case = IDS[ACTIVATIONS.index((name, fn, kwargs))]
    gradient_tolerance = 1e-7 if dtype == "float64" and case in FLOAT32_CONSTANT_IN_TORCH else tolerance
    numpy.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=gradient_tolerance, atol=gradient_tolerance)


# (name, our call, PyTorch's call, points at and around its kinks)
KINKS = [
    ("relu6", F.relu6, "relu6", [-1.0, 0.0, 3.0, 6.0, 7.0]),
    ("hardtanh", F.hardtanh, "hardtanh", [-2.0, -1.0, 0.0, 1.0, 2.0]),
    ("hardtanh -2..3", lambda x: F.hardtanh(x, -2.0, 3.0), lambda f, x: f.hardtanh(x, -2.0, 3.0), [-2.0, 3.0]),
    ("threshold", lambda x: F.threshold(x, 1.0, 5.0), lambda f, x: f.threshold(x, 1.0, 5.0), [0.0, 1.0, 2.0]),
    ("hardswish", F.hardswish, "hardswish", [-4.0, -3.0, 3.0, 4.0]),
    ("hardsigmoid", F.hardsigmoid, "hardsigmoid", [-4.0, -3.0, 3.0, 4.0]),
    ("hardshrink", F.hardshrink, "hardshrink", [-1.0, -0.5, 0.0, 0.5, 1.0]),
    ("softshrink", F.softshrink, "softshrink", [-1.0, -0.5, 0.0, 0.5, 1.0]),
    ("elu", lambda x: F.elu(x, 0.5), lambda f, x: f.elu(x, 0.5), [0.0]),
    ("celu", lambda x: F.celu(x, 0.5), lambda f, x: f.celu(x, 0.5), [0.0]),
    ("selu", F.selu, "selu", [0.0]),
    ("rrelu eval", F.rrelu, "rrelu", [-1.0, 0.0, 1.0]),
    ("prelu", lambda x: F.prelu(x, Tensor([0.25], dtype="float64")),
     lambda f, x: f.prelu(x, x.new_tensor([0.25])), [-1.0, 0.0, 1.0]),
    ("logsigmoid", F.logsigmoid, "logsigmoid", [-800.0, 0.0, 800.0]),
    ("softsign", F.softsign, "softsign", [0.0]),
    ("mish", F.mish, "mish", [-30.0, 0.0, 30.0]),
]


@pytest.mark.parametrize("name, ours, theirs, points", KINKS, ids=[kink[0] for kink in KINKS])
def test_value_and_gradient_at_the_kink_are_pytorchs(torch, name, ours, theirs, points):
    x = Tensor(numpy.array(points), requires_grad=True)
    tx = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    call = (lambda t: getattr(torch.nn.functional, theirs)(t)) if isinstance(theirs, str) else (
        lambda t: theirs(torch.nn.functional, t))
    y, ty = ours(x), call(tx)
    y.sum().backward()
    ty.sum().backward()
    numpy.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-15, atol=0)
    numpy.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-15, atol=0)


@pytest.mark.parametrize("name, args", [
    ("relu6", ()), ("hardtanh", ()), ("hardtanh", (-2.0, 1.5)), ("threshold", (1, 5)),
])
def test_integer_input_stays_integer_as_in_pytorch(torch, name, args):
    data = numpy.array([-3, -1, 0, 1, 4, 7])
    ours = getattr(F, name)(Tensor(data), *args)
    theirs = getattr(torch.nn.functional, name)(torch.tensor(data), *args)
    assert ours.dtype == "int64" and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_modules_match_torch_and_print_as_torch(torch, approximate):
    data = values(3)
    numpy.testing.assert_allclose(nn.GELU(approximate)(Tensor(data)).numpy(),
                                  torch.nn.GELU(approximate)(torch.tensor(data)).numpy(), rtol=1e-12, atol=1e-12)
    numpy.testing.assert_allclose(nn.SiLU()(Tensor(data)).numpy(),
                                  torch.nn.SiLU()(torch.tensor(data)).numpy(), rtol=1e-12, atol=1e-12)
    assert repr(nn.GELU(approximate)) == repr(torch.nn.GELU(approximate))
    assert repr(nn.SiLU()) == repr(torch.nn.SiLU())


MODULES = [
    ("ELU", ()), ("ELU", (0.5,)), ("ELU", (0.5, True)), ("Softplus", ()), ("Softplus", (2, 1)),
    ("ReLU6", ()), ("ReLU6", (True,)), ("Hardtanh", ()), ("Hardtanh", (-2, 3, True)), ("Hardtanh", (-0.5, 2.0)),
    ("SELU", ()), ("SELU", (True,)), ("CELU", ()), ("CELU", (0.5, True)), ("GLU", ()), ("GLU", (1,)),
    ("LogSigmoid", ()), ("Softsign", ()), ("Softmin", (1,)), ("Mish", ()), ("Mish", (True,)),
    ("Hardswish", ()), ("Hardswish", (True,)), ("Hardsigmoid", ()), ("Hardsigmoid", (True,)),
    ("Hardshrink", ()), ("Hardshrink", (0.3,)), ("Softshrink", ()), ("Softshrink", (1.5,)), ("Tanhshrink", ()),
    ("Threshold", (0.1, 20)), ("Threshold", (0.1, 20.0, True)), ("PReLU", ()), ("PReLU", (4, 0.1)),
    ("RReLU", ()), ("RReLU", (0.1, 0.3, True)), ("ReLU", ()), ("ReLU", (True,)), ("LeakyReLU", ()),
    ("LeakyReLU", (0.2, True)),
]


@pytest.mark.parametrize("name, args", MODULES, ids=[f"{name}{args}" for name, args in MODULES])
def test_modules_match_torch_and_print_as_torch_does(torch, name, args):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    theirs.eval()  # RReLU's mean slope (ours draws from another generator in training)
    ours.eval()
    data = values(3)[..., :4]  # (3, 4, 4): GLU halves the last dim, PReLU(4) has a weight per channel
    if name == "PReLU":
        theirs.double()
        ours.double()
    expected = theirs(torch.tensor(data)).detach().numpy()
    numpy.testing.assert_allclose(ours(Tensor(data)).numpy(), expected, rtol=1e-12, atol=1e-12)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("shape, num_parameters", [((6,), 1), ((2, 3, 4, 5), 1), ((2, 4), 4), ((2, 4, 5), 4),
                                                   ((2, 4, 3, 5), 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_prelu_learns_its_weight_as_pytorch(torch, shape, num_parameters, dtype):
    ours = nn.PReLU(num_parameters, init=0.2, dtype=getattr(tg, dtype))
    theirs = torch.nn.PReLU(num_parameters, init=0.2, dtype=getattr(torch, dtype))
    assert [name for name, _ in ours.named_parameters()] == ["weight"] == list(ours.state_dict())
    assert ours.weight.shape == (num_parameters,) and ours.weight.requires_grad and ours.weight.dtype == dtype
    rng = numpy.random.default_rng(4)
    weight = rng.uniform(0.05, 0.5, num_parameters).astype(dtype)
    ours.load_state_dict({"weight": Tensor(weight)})
    theirs.load_state_dict({"weight": torch.tensor(weight)})
    data, upstream = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    x, tx = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    y.backward(Tensor(upstream))
    ty.backward(torch.tensor(upstream))
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    for a, b in [(y, ty), (x.grad, tx.grad), (ours.weight.grad, theirs.weight.grad)]:
        numpy.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=tolerance, atol=tolerance)


def test_prelu_weight_gradient_is_finite_differences():
    rng = numpy.random.default_rng(5)
    x = Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    weight = Tensor(rng.uniform(0.1, 0.4, 3), requires_grad=True)
    assert gradcheck(F.prelu, [x, weight])
    assert gradgradcheck(F.prelu, [x, weight])


def test_rrelu_in_training_draws_a_slope_per_element_from_the_seeded_generator():
    lower, upper = 0.1, 0.3
    data = -numpy.abs(numpy.random.default_rng(6).standard_normal(40_000)) - 0.1
    tg.manual_seed(3)
    x = Tensor(data, requires_grad=True)
    y = F.rrelu(x, lower, upper, training=True)
    y.sum().backward()
    slopes = y.numpy() / data
    assert lower <= slopes.min() and slopes.max() <= upper
    numpy.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-12)  # the gradient is each element's slope
    # uniform on [0.1, 0.3]: mean 0.2, standard deviation 0.2/√12 ≈ 0.058, of the mean 3e-4
    assert abs(slopes.mean() - 0.2) < 2e-3 and abs(slopes.std() - 0.2 / 12**0.5) < 2e-3
    tg.manual_seed(3)
    numpy.testing.assert_array_equal(F.rrelu(Tensor(data), lower, upper, training=True).numpy(), y.numpy())
    positive = Tensor(numpy.abs(data))
    numpy.testing.assert_array_equal(F.rrelu(positive, lower, upper, training=True).numpy(), positive.numpy())


def test_rrelu_module_is_random_in_training_and_the_mean_slope_in_eval():
    module = nn.RReLU(0.1, 0.3)
    x = Tensor(-numpy.ones(1000))
    assert len(set(module(x).tolist())) > 900
    module.eval()
    assert set(module(x).tolist()) == {-0.2}


def test_gumbel_softmax_samples_the_categorical_of_its_logits():
    tg.manual_seed(0)
    logits = numpy.log(numpy.array([0.1, 0.2, 0.7]))
    y = F.gumbel_softmax(Tensor(numpy.tile(logits, (20_000, 1))), tau=0.5)
    numpy.testing.assert_allclose(y.numpy().sum(axis=1), 1.0, rtol=1e-6)
    # Gumbel-max: the argmax of logits + g is category k with probability softmax(logits)_k
    counts = numpy.bincount(y.numpy().argmax(axis=1), minlength=3) / 20_000
    numpy.testing.assert_allclose(counts, [0.1, 0.2, 0.7], atol=0.015)  # five standard deviations


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(7,), (40, 50)])
def test_rrelu_in_training_draws_pytorchs_slopes_for_the_same_seed(torch, dtype, shape):
    x = numpy.random.default_rng(1).standard_normal(shape)
    x.ravel()[::7] = 0.0  # a zero draws a slope too
    results = []
    for framework in (tg, torch):
        framework.manual_seed(0)
        t = framework.tensor(x, dtype=getattr(framework, dtype), requires_grad=True)
        y = framework.nn.functional.rrelu(t, 0.1, 1 / 3, training=True)
        y.backward(framework.ones_like(y))
        results.append((y.detach().numpy(), t.grad.numpy(), framework.rand(2).numpy()))
    for ours, theirs in zip(*results, strict=True):
        numpy.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_draws_pytorchs_noise_for_the_same_seed(torch, dtype, hard):
    logits = numpy.random.default_rng(3).standard_normal((6, 5)).astype(dtype)
    upstream = numpy.random.default_rng(4).standard_normal((6, 5)).astype(dtype)
    results = []
    for framework in (tg, torch):
        framework.manual_seed(11)
        x = framework.tensor(logits, requires_grad=True)
        y = framework.nn.functional.gumbel_softmax(x, tau=0.6, hard=hard)
        y.backward(framework.tensor(upstream))
        results.append((y.detach().numpy(), x.grad.numpy()))
    (ours, our_grad), (theirs, their_grad) = results
    tolerance = {"float32": 2e-6, "float64": 1e-13}[dtype]
    numpy.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)
    numpy.testing.assert_allclose(our_grad, their_grad, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_hard_is_one_hot_with_the_soft_gradient(dim):
    logits = numpy.random.default_rng(7).standard_normal((4, 5))
    upstream = Tensor(numpy.random.default_rng(8).standard_normal((4, 5)))
    results = []
    for hard in (False, True):
        tg.manual_seed(1)  # the same noise for both
        x = Tensor(logits, requires_grad=True)
        y = F.gumbel_softmax(x, tau=0.7, hard=hard, dim=dim)
        y.backward(upstream)
        results.append((y.numpy(), x.grad.numpy()))
    (soft, soft_grad), (hard, hard_grad) = results
    assert set(numpy.unique(hard)) == {0.0, 1.0} and (hard.sum(axis=dim) == 1).all()
    numpy.testing.assert_array_equal(hard.argmax(axis=dim), soft.argmax(axis=dim))
    numpy.testing.assert_allclose(hard_grad, soft_grad, rtol=1e-12, atol=1e-12)  # straight-through


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.glu(Tensor(numpy.ones((2, 5)))), ValueError, "even size"),
    (lambda: F.prelu(Tensor(numpy.ones((2, 4))), Tensor(numpy.ones(3))), ValueError, r"\(N, 3, \.\.\.\), got \(2, 4\)"),
    (lambda: nn.PReLU(3)(Tensor(numpy.ones(3))), ValueError, "one per channel"),
    (lambda: F.softshrink(Tensor([1.0]), -1.0), RuntimeError, "lambd ≥ 0"),
    (lambda: F.hardtanh(Tensor([1.0]), 2.0, 1.0), ValueError, "min_val cannot be greater"),
    (lambda: F.rrelu(Tensor([1.0]), 0.5, 0.1, training=True), RuntimeError, "lower must be at most upper"),
    (lambda: nn.Softmin(), ValueError, "Softmin needs the axis"),
    (lambda: nn.PReLU(0), ValueError, "positive int"),
])
def test_misuse_is_refused_with_what_was_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("call", [lambda: nn.GELU("erf"), lambda: F.gelu(Tensor([1.0]), approximate="fast")])
def test_an_unknown_approximation_is_refused(call):
    with pytest.raises(ValueError, match="approximate must be one of"):
        call()


DEVICE_MODULES = [nn.GELU(), nn.GELU("tanh"), nn.SiLU(), nn.ELU(), nn.Softplus(2.0, 1.0), nn.ReLU6(), nn.Hardtanh(),
                  nn.SELU(), nn.CELU(0.5), nn.GLU(1), nn.LogSigmoid(), nn.Softsign(), nn.Softmin(1), nn.Mish(),
                  nn.Hardswish(), nn.Hardsigmoid(), nn.Hardshrink(), nn.Softshrink(), nn.Tanhshrink(),
                  nn.Threshold(0.2, -1.0), nn.RReLU().eval()]


@pytest.mark.parametrize("module", DEVICE_MODULES, ids=repr)
def test_runs_forward_and_backward_on_the_device(strict_cuda, module):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(values(4), requires_grad=True, device=device)
        y = module(x)
        y.backward(Tensor(values(5)[:, : y.shape[1]], device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


def test_prelu_rrelu_and_gumbel_softmax_run_on_the_device(strict_cuda):
    module = nn.PReLU(4).to("cuda")
    x = Tensor(values(4), requires_grad=True, device="cuda")
    module(x).sum().backward()
    assert module.weight.grad.device == x.grad.device == "cuda"
    tg.manual_seed(2)
    y = F.rrelu(x, training=True) + F.gumbel_softmax(x, hard=True, dim=1)
    y.sum().backward()
    assert y.device == "cuda"
