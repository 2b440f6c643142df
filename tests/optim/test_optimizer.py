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
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.1, weight_decay=0.1, momentum=0.5, centered=True),
    "Adagrad": lambda params: optim.Adagrad(params, lr=0.1, lr_decay=0.1, weight_decay=0.1),
    "Adamax": lambda params: optim.Adamax(params, lr=0.1, weight_decay=0.1),
    "NAdam": lambda params: optim.NAdam(params, lr=0.1, weight_decay=0.1),
    "NAdam decoupled": lambda params: optim.NAdam(params, lr=0.1, weight_decay=0.1, decoupled_weight_decay=True),
    "RAdam": lambda params: optim.RAdam(params, lr=0.1, betas=(0.5, 0.8), weight_decay=0.1),
    "Adadelta": lambda params: optim.Adadelta(params, weight_decay=0.1),
    "ASGD": lambda params: optim.ASGD(params, lr=0.1, t0=1, weight_decay=0.1),
    "Rprop": lambda params: optim.Rprop(params, lr=0.1),
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


@pytest.mark.parametrize("owner", ["optimizer", "module"])
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph")
def test_zero_grad_without_set_to_none_zeroes_each_gradient_in_place(torch, owner):
    """As in PyTorch: ``.grad`` stays the same tensor, detached, zeroed, one version on."""
    seen = []
    for framework in (tg, torch):
        model = framework.nn.Linear(3, 2)
        optimizer = framework.optim.SGD(model.parameters(), lr=0.1)
        clear = optimizer.zero_grad if owner == "optimizer" else model.zero_grad
        for create_graph in (False, True):
            model(framework.ones(1, 3)).sum().backward(create_graph=create_graph)
            kept = [p.grad for p in model.parameters()]
            versions = [g._version for g in kept]
            clear(set_to_none=False)
            seen.append([(p.grad is g, p.grad.requires_grad, p.grad.grad_fn is None, p.grad._version - v,
                          p.grad.abs().sum().item()) for p, g, v in zip(model.parameters(), kept, versions)])
            clear()
    assert seen[:2] == seen[2:]
    assert all(same and detached and zero == 0.0 for same, _, detached, _, zero in seen[0] + seen[1])


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
    ],
)
def test_bad_parameters_are_reported(params, error, words):
    with pytest.raises(error, match=words):
        optim.Adam(params)


def test_a_group_keeps_keys_of_its_own_in_its_state_dict_as_in_pytorch(torch):
    seen = []
    for framework in (tg, torch):
        head, body = framework.nn.Linear(2, 1), framework.nn.Linear(2, 2)
        optimizer = framework.optim.SGD([{"params": body.parameters(), "name": "body"}], lr=0.1)
        optimizer.add_param_group({"params": head.parameters(), "name": "head", "lr_scale": 0.5})
        groups = optimizer.state_dict()["param_groups"]
        seen.append([(g["name"], g.get("lr_scale"), g["lr"]) for g in groups])
        optimizer.load_state_dict(optimizer.state_dict())
        seen.append([g["name"] for g in optimizer.param_groups])
    assert seen[:2] == seen[2:]
    assert seen[0] == [("body", None, 0.1), ("head", 0.5, 0.1)]


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


# State dicts ----------------------------------------------------------------------------

RESUMABLE = {
    "SGD momentum": ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-2}),
    "SGD nesterov": ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    "Adam amsgrad": ("Adam", {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 1e-2, "amsgrad": True}),
    "AdamW amsgrad": ("AdamW", {"lr": 0.05, "betas": (0.8, 0.9), "amsgrad": True}),
    "RMSprop centered momentum": ("RMSprop", {"lr": 0.01, "alpha": 0.9, "weight_decay": 1e-2, "momentum": 0.5,
                                               "centered": True}),
    "Adagrad": ("Adagrad", {"lr": 0.05, "lr_decay": 0.1, "initial_accumulator_value": 0.1}),
    "Adamax": ("Adamax", {"lr": 0.05, "weight_decay": 1e-2}),
    "NAdam decoupled": ("NAdam", {"lr": 0.05, "weight_decay": 1e-2, "decoupled_weight_decay": True}),
    "RAdam": ("RAdam", {"lr": 0.05, "betas": (0.8, 0.9)}),
    "Adadelta": ("Adadelta", {"lr": 0.5, "weight_decay": 1e-2}),
    "ASGD averaging": ("ASGD", {"lr": 0.05, "t0": 2, "lambd": 0.01}),
    "Rprop": ("Rprop", {"lr": 0.01, "etas": (0.4, 1.3)}),
}


def make_optimizer(framework_optim, name, model, **changes):
    """``RESUMABLE[name]`` over two groups: weights, and biases with a learning rate of their own."""
    kind, kwargs = RESUMABLE[name]
    named = list(model.named_parameters())
    groups = [
        {"params": [p for key, p in named if key.endswith("weight")]},
        {"params": [p for key, p in named if key.endswith("bias")], "lr": 0.02},
    ]
    return getattr(framework_optim, kind)(groups, **{**kwargs, **changes})


def mlp(framework, **factory):
    return framework.Sequential(framework.Linear(4, 8, **factory), framework.Tanh(), framework.Linear(8, 3, **factory))


def batches(count, seed, dtype="float32"):
    rng = numpy.random.default_rng(seed)
    return [tuple(rng.standard_normal(shape).astype(dtype) for shape in ((8, 4), (8, 3))) for _ in range(count)]


def train(model, optimizer, data, tensor):
    """One step per batch of mean squared error; ``tensor`` makes the framework's tensors."""
    for x, y in data:
        optimizer.zero_grad()
        ((model(tensor(x)) - tensor(y)) ** 2).mean().backward()
        optimizer.step()


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("name", RESUMABLE)
def test_resuming_from_state_dicts_equals_training_on(request, name, device):
    if device == "cuda":
        request.getfixturevalue("strict_cuda")

    def tensor(array):
        return Tensor(array, device=device)

    model = mlp(nn, device=device)
    optimizer = make_optimizer(optim, name, model)
    train(model, optimizer, batches(4, seed=1), tensor)
    optimizer.param_groups[1]["lr"] /= 2  # hyper-parameters are part of the state
    saved_model = {key: value.numpy().copy() for key, value in model.state_dict().items()}
    saved = optimizer.state_dict()
    # arrays as NumPy arrays, counters (the step ...) as NumPy scalars
    assert {type(value) for state in saved["state"].values() for value in state.values()} <= {numpy.ndarray,
                                                                                               numpy.float32}
    later = batches(4, seed=2)
    train(model, optimizer, later, tensor)
    for _ in range(2):  # twice from the same state dict: neither saving nor loading shares arrays
        resumed_model = mlp(nn, device=device)
        resumed_model.load_state_dict(saved_model)
        resumed = make_optimizer(optim, name, resumed_model)
        resumed.load_state_dict(saved)
        train(resumed_model, resumed, later, tensor)
        assert [group["lr"] for group in resumed.param_groups] == [group["lr"] for group in optimizer.param_groups]
        for mine, theirs in zip(resumed_model.parameters(), model.parameters(), strict=True):
            numpy.testing.assert_array_equal(mine.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", RESUMABLE)
def test_a_pytorch_state_dict_loads_and_training_goes_on_as_in_pytorch(torch, name):
    """PyTorch's state dict with its tensors as NumPy arrays, and the step (a tensor) as a number."""
    torch.manual_seed(0)
    theirs = mlp(torch.nn, dtype=torch.float64)
    their_optimizer = make_optimizer(torch.optim, name, theirs)
    train(theirs, their_optimizer, batches(3, seed=1, dtype="float64"), torch.from_numpy)
    ours = mlp(nn, dtype="float64")
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    our_optimizer = make_optimizer(optim, name, ours, lr=1.0)
    their_state = their_optimizer.state_dict()
    our_optimizer.load_state_dict({
        "state": {
            index: {key: value.item() if key == "step" else value.numpy() for key, value in state.items()}
            for index, state in their_state["state"].items()
        },
        "param_groups": their_state["param_groups"],
    })
    later = batches(4, seed=2, dtype="float64")
    train(theirs, their_optimizer, later, torch.from_numpy)
    train(ours, our_optimizer, later, Tensor)
    for mine, (key, expected) in zip(ours.parameters(), theirs.named_parameters(), strict=True):
        numpy.testing.assert_allclose(mine.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("name", RESUMABLE)
def test_a_file_pytorch_saved_loads_and_training_goes_on_as_in_pytorch(torch, name, tmp_path):
    """torch.save's file as load reads it: the state values are Tensors, the counters 0-d tensors."""
    import tinygrad_bn

    torch.manual_seed(0)
    theirs = mlp(torch.nn, dtype=torch.float64)
    their_optimizer = make_optimizer(torch.optim, name, theirs)
    train(theirs, their_optimizer, batches(3, seed=1, dtype="float64"), torch.from_numpy)
    torch.save({"model": theirs.state_dict(), "optimizer": their_optimizer.state_dict()}, tmp_path / "run.pt")
    saved = tinygrad_bn.load(tmp_path / "run.pt")
    ours = mlp(nn, dtype="float64")
    ours.load_state_dict(saved["model"])
    our_optimizer = make_optimizer(optim, name, ours, lr=1.0)
    our_optimizer.load_state_dict(saved["optimizer"])
    later = batches(4, seed=2, dtype="float64")
    train(theirs, their_optimizer, later, torch.from_numpy)
    train(ours, our_optimizer, later, Tensor)
    for mine, (key, expected) in zip(ours.parameters(), theirs.named_parameters(), strict=True):
        numpy.testing.assert_allclose(mine.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=key)


def test_state_dict_numbers_parameters_in_order_across_groups():
    model = nn.Linear(3, 2)
    optimizer = optim.SGD([{"params": [model.weight]}, {"params": [model.bias], "lr": 0.5}], lr=0.1, momentum=0.9)
    model(tg.ones(1, 3)).sum().backward()
    optimizer.step()
    state = optimizer.state_dict()
    hyper = {"momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False, "maximize": False}
    assert state["param_groups"] == [{"lr": 0.1, **hyper, "params": [0]}, {"lr": 0.5, **hyper, "params": [1]}]
    assert sorted(state["state"]) == [0, 1]
    buffer = state["state"][1]["momentum_buffer"]
    numpy.testing.assert_array_equal(buffer, [1.0, 1.0])
    assert not numpy.shares_memory(buffer, optimizer.state[model.bias]["momentum_buffer"])


def test_loaded_state_takes_each_parameters_dtype():
    model = nn.Linear(3, 2)
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    state = {1: {"step": 2, "exp_avg": numpy.ones(2), "exp_avg_sq": numpy.ones(2)}}  # float64 arrays
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})
    assert optimizer.state[model.bias]["exp_avg"].dtype == numpy.float32
    assert optimizer.state[model.bias]["step"].item() == 2 and model.weight not in optimizer.state


@pytest.mark.parametrize(
    "groups, words",
    [
        (lambda weight, bias, extra: [weight, bias], r"expected 1 parameter group\(s\), got a state dict with 2"),
        (
            lambda weight, bias, extra: [{"params": [weight, bias]}, {"params": [extra]}],
            r"expected 2 parameter\(s\) in group 0, got a state dict with 1",
        ),
    ],
)
def test_loading_a_state_dict_of_other_groups_is_reported(groups, words):
    model = nn.Linear(3, 2)
    saved = optim.SGD([{"params": [model.weight]}, {"params": [model.bias]}], lr=0.1).state_dict()
    optimizer = optim.SGD(groups(model.weight, model.bias, nn.Parameter(tg.ones(2))), lr=0.1)
    with pytest.raises(ValueError, match=f"SGD.load_state_dict: {words}"):
        optimizer.load_state_dict(saved)


MAXIMIZING = ["SGD", "Adam", "AdamW", "Adadelta", "Adagrad", "Adamax", "ASGD", "NAdam", "RAdam", "RMSprop", "Rprop"]


def _maximized_weights(framework, name, load_state=False):
    """The weights after four steps that maximize a model's mean squared output, the flag
    given to the constructor or through a loaded state dict."""
    framework.manual_seed(0)
    model = framework.nn.Linear(3, 2)
    options = {"momentum": 0.9} if name == "SGD" else {}
    kind = getattr(framework.optim, name)
    optimizer = kind(model.parameters(), lr=0.05, **options, **({} if load_state else {"maximize": True}))
    if load_state:
        saved = optimizer.state_dict()
        saved["param_groups"][0]["maximize"] = True
        optimizer.load_state_dict(saved)
    x = framework.tensor(numpy.linspace(-1, 1, 12, dtype="float32").reshape(4, 3))
    for _ in range(4):
        optimizer.zero_grad()
        (model(x) ** 2).mean().backward()
        optimizer.step()
    return model.weight.detach().numpy(), optimizer.param_groups[0]["maximize"]


@pytest.mark.parametrize("name", MAXIMIZING)
def test_maximize_steps_uphill_as_pytorchs(torch, name):
    (ours, flag), (theirs, their_flag) = _maximized_weights(tg, name), _maximized_weights(torch, name)
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert flag is their_flag is True
    numpy.testing.assert_array_equal(_maximized_weights(tg, name, load_state=True)[0], ours)


def test_a_state_dict_asking_an_lbfgs_to_maximize_is_refused():
    optimizer = optim.LBFGS(nn.Linear(3, 2).parameters())
    saved = optimizer.state_dict()
    saved["param_groups"][0]["maximize"] = True
    with pytest.raises(ValueError, match="group 0 asks for maximize=True, which LBFGS does not take"):
        optimizer.load_state_dict(saved)


# Counters: the step (and NAdam's, ASGD's) as 0-d tensors -----------------------------------

COUNTED = {  # every optimizer with a step count, and its counters
    "Adam": ("step",), "AdamW": ("step",), "RMSprop": ("step",), "Adagrad": ("step",), "Adamax": ("step",),
    "NAdam": ("step", "mu_product"), "RAdam": ("step",), "Adadelta": ("step",), "ASGD": ("step", "eta", "mu"),
    "Rprop": ("step",),
}


@pytest.fixture
def float64_default():
    tg.set_default_dtype(tg.float64)
    yield
    tg.set_default_dtype(tg.float32)


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("name", COUNTED)
def test_counters_are_0d_host_tensors_of_pytorchs_dtype(request, torch, name, default):
    if default == "float64":
        request.getfixturevalue("float64_default")
        torch.set_default_dtype(torch.float64)
    try:
        ours = nn.Parameter(tg.ones(3, dtype=tg.float32))
        theirs = torch.nn.Parameter(torch.ones(3, dtype=torch.float32))
        optimizers = getattr(optim, name)([ours], lr=0.1), getattr(torch.optim, name)([theirs], lr=0.1)
        for _ in range(2):
            ours.grad, theirs.grad = tg.ones(3, dtype=tg.float32), torch.ones(3, dtype=torch.float32)
            for optimizer in optimizers:
                optimizer.step()
        for key in COUNTED[name]:
            mine, other = optimizers[0].state[ours][key], optimizers[1].state[theirs][key]
            assert isinstance(mine, Tensor) and mine.shape == () and mine.device == "cpu", key
            assert mine.dtype == default == str(other.dtype).removeprefix("torch.") and mine.item() == other.item()
        assert optimizers[0].state[ours]["step"].item() == 2.0 and f"{optimizers[0].state[ours]['step']:.0f}" == "2"
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name", RESUMABLE)
def test_our_state_dict_loads_into_pytorch_and_training_goes_on_alike(torch, name, tmp_path):
    """Ours saved in PyTorch's format: torch.load reads the counters as 0-d tensors, and PyTorch's
    optimizer goes on from there as ours does. (PyTorch's load_state_dict casts NAdam's float32
    mu_product to the parameters' float64, so from there its product rounds otherwise than in
    a run never interrupted, ours or PyTorch's: 1e-9 apart after four steps.)"""
    ours = mlp(nn, dtype="float64")
    theirs = mlp(torch.nn, dtype=torch.float64)
    our_optimizer = make_optimizer(optim, name, ours)
    train(ours, our_optimizer, batches(3, seed=1, dtype="float64"), Tensor)
    theirs.load_state_dict({key: torch.from_numpy(value.numpy()) for key, value in ours.state_dict().items()})
    tg.save(our_optimizer.state_dict(), tmp_path / "optimizer.pt", format="pytorch")
    saved = torch.load(tmp_path / "optimizer.pt", weights_only=True)
    assert all(saved["state"][0][key].shape == () for key in COUNTED.get(RESUMABLE[name][0], ()))
    their_optimizer = make_optimizer(torch.optim, name, theirs, lr=1.0)
    their_optimizer.load_state_dict(saved)
    later = batches(4, seed=2, dtype="float64")
    train(ours, our_optimizer, later, Tensor)
    train(theirs, their_optimizer, later, torch.from_numpy)
    rtol = 1e-8 if RESUMABLE[name][0] == "NAdam" else 1e-10
    for mine, (key, expected) in zip(ours.parameters(), theirs.named_parameters(), strict=True):
        numpy.testing.assert_allclose(mine.numpy(), expected.detach().numpy(), rtol=rtol, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("name", RESUMABLE)
def test_a_state_dict_saved_to_a_file_resumes_bit_for_bit(name, tmp_path, same):
    model = mlp(nn)
    optimizer = make_optimizer(optim, name, model)
    train(model, optimizer, batches(3, seed=1), Tensor)
    tg.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "run.npz")
    saved = tg.load(tmp_path / "run.npz")
    assert same(saved["optimizer"], optimizer.state_dict())  # NumPy scalars come back as NumPy scalars
    resumed_model = mlp(nn)
    resumed_model.load_state_dict(saved["model"])
    resumed = make_optimizer(optim, name, resumed_model)
    resumed.load_state_dict(saved["optimizer"])
    later = batches(3, seed=2)
    train(model, optimizer, later, Tensor)
    train(resumed_model, resumed, later, Tensor)
    for mine, theirs in zip(resumed_model.parameters(), model.parameters(), strict=True):
        numpy.testing.assert_array_equal(mine.numpy(), theirs.numpy())


@pytest.mark.parametrize("step", [2, 2.0, numpy.float32(2.0), numpy.array(2.0, dtype="float64"),
                                  Tensor(numpy.array(2.0, dtype="float32"))], ids=repr)
def test_a_step_loads_from_any_form_a_state_dict_holds(step):
    """Numbers (older state dicts of ours) take PyTorch's float32; NumPy and Tensor steps keep their float dtype."""
    model = nn.Linear(3, 2)
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    state = {1: {"step": step, "exp_avg": numpy.ones(2), "exp_avg_sq": numpy.ones(2)}}
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})
    loaded = optimizer.state[model.bias]["step"]
    assert isinstance(loaded, Tensor) and loaded.shape == () and loaded.item() == 2.0
    assert loaded.dtype == (step.dtype if isinstance(step, (numpy.ndarray, numpy.generic, Tensor)) else "float32")
    model(tg.ones(1, 3)).sum().backward()
    optimizer.step()
    assert optimizer.state[model.bias]["step"] is loaded and loaded.item() == 3.0  # counted in place, as in PyTorch


def test_a_saved_group_without_a_newer_option_takes_its_default():
    """An Adam state dict from before ``decoupled_weight_decay`` loads with the default, False; AdamW's with True."""
    for kind, expected in ((optim.Adam, False), (optim.AdamW, True)):
        optimizer = kind(nn.Linear(3, 2).parameters(), lr=0.1)
        saved = optimizer.state_dict()
        del saved["param_groups"][0]["decoupled_weight_decay"]
        optimizer.load_state_dict(saved)
        assert optimizer.param_groups[0]["decoupled_weight_decay"] is expected


ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam", "Adadelta", "ASGD", "Rprop", "LBFGS"]


@pytest.mark.parametrize("name", ALL)
def test_pytorchs_flags_are_not_arguments_here(torch, name):
    """What PyTorch's optimizers take beyond their update rule (foreach, differentiable,
    capturable, fused) is refused as an unknown argument, whatever its value."""
    import inspect

    flags = {"foreach", "differentiable", "capturable", "fused"}
    for flag in flags & set(inspect.signature(getattr(torch.optim, name)).parameters):
        with pytest.raises(TypeError, match=f"unexpected keyword argument '{flag}'"):
            getattr(optim, name)([nn.Parameter(tg.zeros(2))], **{flag: False})


@pytest.mark.parametrize("name", ALL)
def test_defaults_are_pytorchs(torch, name):
    """Every hyper-parameter PyTorch's constructor has and ours too, with PyTorch's default."""
    import inspect

    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    ours = inspect.signature(getattr(optim, name)).parameters
    assert set(ours) - set(theirs) == set()
    for key, parameter in ours.items():
        assert parameter.default == theirs[key].default, key


def _hooked_run(lib, optimizer_class, **options):
    """Record the step hooks' calls on ``lib``'s optimizers (PyTorch's or ours)."""
    calls = []
    lib.manual_seed(0)
    model = lib.nn.Linear(3, 2)
    optimizer = optimizer_class(model.parameters(), **options)

    def pre(opt, args, kwargs):
        calls.append(("pre", opt is optimizer, len(args), sorted(kwargs)))

    def post(opt, args, kwargs):
        calls.append(("post", opt is optimizer, len(args), sorted(kwargs)))

    pre_handle = optimizer.register_step_pre_hook(pre)
    optimizer.register_step_post_hook(post)

    def closure():
        optimizer.zero_grad()
        loss = model(lib.ones(4, 3)).pow(2).sum()
        loss.backward()
        calls.append("closure")
        return loss

    loss = optimizer.step(closure)
    optimizer.step(closure=closure)
    pre_handle.remove()
    optimizer.step()
    calls.append(round(float(loss.item()), 4))
    return calls, model.weight.detach().numpy()


@pytest.mark.parametrize("name, options", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.1}),
                                           ("LBFGS", {"lr": 0.5, "max_iter": 2})])
def test_step_hooks_are_called_as_in_pytorch(torch, name, options):
    try:
        theirs = _hooked_run(torch, getattr(torch.optim, name), **options)
    except TypeError:  # LBFGS.step() without a closure
        theirs = "TypeError"
    try:
        ours = _hooked_run(tg, getattr(optim, name), **options)
    except TypeError:
        ours = "TypeError"
    if isinstance(theirs, str):
        assert ours == theirs
        return
    assert ours[0] == theirs[0]
    numpy.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5)


def test_a_subclass_step_runs_the_hooks_once_and_a_pre_hook_may_change_the_arguments():
    class Scaling(optim.SGD):
        def step(self, closure=None, scale=1.0):
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad.mul_(scale)
            return super().step(closure)

    model = nn.Linear(2, 1)
    bias = model.bias.numpy().copy()
    optimizer = Scaling(model.parameters(), lr=1.0)
    calls = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: (args, {**kwargs, "scale": 0.5}))
    optimizer.register_step_post_hook(lambda opt, args, kwargs: calls.append((args[0] is opt, sorted(kwargs.items()))))
    model(tg.ones(1, 2)).sum().backward()
    optimizer.step()
    assert calls == [(True, [("scale", 0.5)])]
    numpy.testing.assert_allclose(model.bias.numpy(), bias - 0.5, rtol=1e-6)


def test_a_pre_hook_returning_something_else_is_reported():
    optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: "no")
    with pytest.raises(RuntimeError, match=r"None or a tuple \(new_args, new_kwargs\), got 'no'"):
        optimizer.step()


def test_a_hand_written_optimizer_reads_its_state_as_in_pytorch(torch):
    def run(lib):
        class SignMomentum(lib.optim.Optimizer):
            def __init__(self, params, lr=0.01, momentum=0.5):
                super().__init__(params, dict(lr=lr, momentum=momentum))

            @lib.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        state = self.state[p]  # {} before the first step
                        if len(state) == 0:
                            state["buf"] = lib.zeros_like(p)
                        state["buf"].mul_(group["momentum"]).add_(p.grad)
                        p.add_(lib.sign(state["buf"]), alpha=-group["lr"])

        lib.manual_seed(0)
        model = lib.nn.Linear(3, 2)
        optimizer = SignMomentum(model.parameters())
        for _ in range(3):
            optimizer.zero_grad()
            model(lib.ones(4, 3)).pow(2).sum().backward()
            optimizer.step()
        resumed = SignMomentum(model.parameters())
        resumed.load_state_dict(optimizer.state_dict())
        assert len(resumed.state[model.weight]) == 1 and len(resumed.state[lib.zeros(1)]) == 0
        return model.weight.detach().numpy()

    numpy.testing.assert_allclose(run(tg), run(torch), rtol=1e-6)


@pytest.mark.parametrize("name", MAXIMIZING)
def test_state_buffers_are_tensors_holding_pytorchs_values(torch, name):
    """``optimizer.state[p]`` holds Tensors, as PyTorch's, also after a state dict is loaded."""
    def states(framework):
        framework.manual_seed(0)
        model = framework.nn.Linear(3, 2)
        options = {"momentum": 0.9} if name == "SGD" else {}
        optimizer = getattr(framework.optim, name)(model.parameters(), lr=0.05, **options)
        for _ in range(2):
            optimizer.zero_grad()
            (model(framework.ones(4, 3)) ** 2).mean().backward()
            optimizer.step()
        resumed = getattr(framework.optim, name)(model.parameters(), lr=0.05, **options)
        resumed.load_state_dict(optimizer.state_dict())
        return [{key: value for key, value in o.state[model.weight].items()} for o in (optimizer, resumed)]

    for ours, theirs in zip(states(tg), states(torch), strict=True):
        assert sorted(ours) == sorted(theirs)
        for key, value in theirs.items():
            assert isinstance(ours[key], tg.Tensor), key
            numpy.testing.assert_allclose(ours[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-7, err_msg=key)
