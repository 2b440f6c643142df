"""LBFGS against torch.optim.LBFGS from the same start: every loss the closure computes,
the losses step() returns, the final parameters and the state (in PyTorch's layout), on
a quadratic, Rosenbrock's function, a least-squares fit and a small MLP, in float64 and
float32, with a fixed step and with the strong Wolfe line search."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn, optim

RNG = numpy.random.default_rng(0)
SPD = RNG.standard_normal((6, 6))
SPD = SPD @ SPD.T + 0.5 * numpy.eye(6)  # a positive definite matrix: f(x) = ½xᵀAx − bᵀx has one minimum
B = RNG.standard_normal(6)
X, Y = RNG.standard_normal((20, 5)), RNG.standard_normal(20)
MLP_X = RNG.standard_normal((16, 3))
MLP_Y = numpy.sin(MLP_X.sum(axis=1, keepdims=True))


def quadratic(fw, dtype):
    x = fw.nn.Parameter(fw.tensor(numpy.zeros(6), dtype=dtype))
    a, b = fw.tensor(SPD, dtype=dtype), fw.tensor(B, dtype=dtype)
    return [x], lambda: 0.5 * (x * (a @ x)).sum() - (b * x).sum()


def rosenbrock(fw, dtype):
    x = fw.nn.Parameter(fw.tensor([-1.2, 1.0, -0.5, 0.8], dtype=dtype))
    return [x], lambda: ((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2).sum()


def least_squares(fw, dtype):
    w = fw.nn.Parameter(fw.tensor(numpy.zeros(5), dtype=dtype))
    b = fw.nn.Parameter(fw.tensor(numpy.ones(1), dtype=dtype))
    x, y = fw.tensor(X, dtype=dtype), fw.tensor(Y, dtype=dtype)
    return [w, b], lambda: ((x @ w + b - y) ** 2).mean()


def tiny_mlp(fw, dtype):
    weights = numpy.random.default_rng(1)
    model = fw.nn.Sequential(fw.nn.Linear(3, 8), fw.nn.Tanh(), fw.nn.Linear(8, 1)).to(dtype)
    model.load_state_dict({key: fw.tensor(0.5 * weights.standard_normal(tuple(value.shape)), dtype=dtype)
                           for key, value in model.state_dict().items()})
    x, y = fw.tensor(MLP_X, dtype=dtype), fw.tensor(MLP_Y, dtype=dtype)
    return list(model.parameters()), lambda: ((model(x) - y) ** 2).mean()


PROBLEMS = {"quadratic": quadratic, "rosenbrock": rosenbrock, "least squares": least_squares, "tiny MLP": tiny_mlp}


def run(fw, problem, dtype, steps=2, **options):
    """``steps`` calls of step(closure); every loss the closure computed, the losses step()
    returned, the final parameters and the optimizer."""
    params, loss_fn = PROBLEMS[problem](fw, getattr(fw, dtype))
    optimizer = fw.optim.LBFGS(params, **options)
    seen = []

    def closure():
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        seen.append(loss.item())
        return loss

    returned = [optimizer.step(closure).item() for _ in range(steps)]
    return seen, returned, [p.detach().numpy().copy() for p in params], optimizer


# float64: PyTorch's dot products (MKL) and its add_(…, alpha=) (a fused multiply-add) round
# differently from NumPy's in the last bit; Rosenbrock's valley amplifies that to ~1e-9
# over the 30 evaluations here, the other problems keep it at ~1e-15. float32: the
# iterations are kept few enough that the losses stay above float32 noise, where the
# stopping rules (a change of the loss under 1e-9) would turn on single bits.
TOLERANCE = {"float64": 1e-8, "float32": 2e-4}
ITERATIONS = {"float64": 10, "float32": 4}


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("problem", PROBLEMS)
def test_lbfgs_follows_pytorch(torch, problem, dtype, line_search_fn):
    options = {"line_search_fn": line_search_fn, "max_iter": ITERATIONS[dtype], "history_size": 4}
    ours = run(tg, problem, dtype, **options)
    theirs = run(torch, problem, dtype, **options)
    rtol = TOLERANCE[dtype]
    assert len(ours[0]) == len(theirs[0]), (ours[0], theirs[0])  # the same evaluations: the same path
    numpy.testing.assert_allclose(ours[0], theirs[0], rtol=rtol)
    numpy.testing.assert_allclose(ours[1], theirs[1], rtol=rtol)
    for mine, expected in zip(ours[2], theirs[2], strict=True):
        assert mine.dtype == expected.dtype
        numpy.testing.assert_allclose(mine, expected, rtol=rtol, atol=rtol)
    assert min(ours[0]) < 0.9 * ours[0][0]  # it optimized
    our_state, their_state = ours[3].state_dict()["state"][0], theirs[3].state_dict()["state"][0]
    assert (our_state["func_evals"], our_state["n_iter"]) == (their_state["func_evals"], their_state["n_iter"])


@pytest.mark.parametrize("problem, options", [
    ("rosenbrock", {"max_iter": 3}),
    ("rosenbrock", {"max_eval": 4}),
    ("rosenbrock", {"max_eval": 6, "line_search_fn": "strong_wolfe"}),
    ("rosenbrock", {"tolerance_grad": 0.5}),  # stops on a small gradient
    ("rosenbrock", {"history_size": 1, "max_iter": 8}),
    ("rosenbrock", {"lr": 0.3}),
    ("rosenbrock", {"lr": 10, "line_search_fn": "strong_wolfe"}),  # trials too long: the zoom
    # trials too short: steps outward (for 6 iterations: some 30 evaluations later, the last bits of the two
    # frameworks' sums, which differ from one CPU to another, change the path)
    ("rosenbrock", {"lr": 0.01, "line_search_fn": "strong_wolfe", "max_iter": 6}),
    ("tiny MLP", {"lr": 10, "line_search_fn": "strong_wolfe"}),
    ("tiny MLP", {"lr": 1e-3, "line_search_fn": "strong_wolfe"}),
    ("rosenbrock", {"lr": 0.1, "tolerance_change": 0.05}),  # stops on a short step
    ("tiny MLP", {"tolerance_change": 1e-3}),  # stops on a small change of the loss
    ("tiny MLP", {"tolerance_change": 1e-4, "lr": 0.5}),
], ids=lambda value: value if isinstance(value, str) else str(value))
def test_stopping_rules_and_options_match_pytorch(torch, problem, options):
    ours = run(tg, problem, "float64", **options)
    theirs = run(torch, problem, "float64", **options)
    assert len(ours[0]) == len(theirs[0]), (ours[0], theirs[0])
    numpy.testing.assert_allclose(ours[0], theirs[0], rtol=1e-8)
    for mine, expected in zip(ours[2], theirs[2], strict=True):
        numpy.testing.assert_allclose(mine, expected, rtol=1e-8, atol=1e-10)


def test_a_stationary_point_ends_the_step_after_one_evaluation(torch):
    for fw in (tg, torch):
        x = fw.nn.Parameter(fw.tensor([1.0, 1.0, 1.0], dtype=fw.float64))  # Rosenbrock's minimum
        optimizer = fw.optim.LBFGS([x])

        def closure(x=x, optimizer=optimizer):
            optimizer.zero_grad()
            loss = ((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2).sum()
            loss.backward()
            return loss

        assert optimizer.step(closure).item() == 0.0
        assert optimizer.state_dict()["state"][0] == {"func_evals": 1, "n_iter": 0}


def test_a_parameter_without_gradient_is_left_alone(torch):
    def run_with_unused(fw):
        used = fw.nn.Parameter(fw.tensor([3.0, -2.0], dtype=fw.float64))
        unused = fw.nn.Parameter(fw.tensor([5.0], dtype=fw.float64))
        optimizer = fw.optim.LBFGS([unused, used], max_iter=5)

        def closure():
            optimizer.zero_grad()
            loss = (used**4).sum()
            loss.backward()
            return loss

        optimizer.step(closure)
        return used.detach().numpy(), unused.detach().numpy()

    ours, theirs = run_with_unused(tg), run_with_unused(torch)
    numpy.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    assert ours[1].tolist() == theirs[1].tolist() == [5.0]


# State dicts -------------------------------------------------------------------------


def host(value):
    """PyTorch's state values as a NumPy user hands them over: tensors as arrays, in lists too."""
    if isinstance(value, list):
        return [host(item) for item in value]
    return value.numpy() if hasattr(value, "numpy") else value


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("steps", [1, 2])
def test_state_dict_has_pytorchs_layout_and_values(torch, steps, line_search_fn):
    options = {"max_iter": 3, "history_size": 3, "line_search_fn": line_search_fn}
    ours = run(tg, "tiny MLP", "float64", steps=steps, **options)[3].state_dict()
    theirs = run(torch, "tiny MLP", "float64", steps=steps, **options)[3].state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert list(ours["state"]) == list(theirs["state"]) == [0]
    assert list(ours["state"][0]) == list(theirs["state"][0])
    for key, expected in theirs["state"][0].items():
        value, expected = ours["state"][0][key], host(expected)
        if isinstance(expected, list):
            assert len(value) == len(expected), key
            assert all(isinstance(item, numpy.ndarray) for item in value if item is not None), key
            expected = [0.0 if item is None else item for item in expected]
            value = [0.0 if item is None else item for item in value]
        numpy.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-14, err_msg=key)


def test_resuming_from_a_state_dict_goes_on_bit_for_bit(same):
    options = {"max_iter": 4, "history_size": 3, "line_search_fn": "strong_wolfe"}
    params, loss_fn = tiny_mlp(tg, tg.float64)
    optimizer = optim.LBFGS(params, **options)

    def closure_for(optimizer, loss_fn):
        def closure():
            optimizer.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss
        return closure

    optimizer.step(closure_for(optimizer, loss_fn))
    saved_params = [p.detach().numpy().copy() for p in params]
    saved = optimizer.state_dict()
    going_on = [optimizer.step(closure_for(optimizer, loss_fn)).item() for _ in range(2)]
    resumed_params, resumed_loss = tiny_mlp(tg, tg.float64)
    for p, value in zip(resumed_params, saved_params, strict=True):
        p._data[...] = value
    resumed = optim.LBFGS(resumed_params, **options)
    resumed.load_state_dict(saved)
    resumed_losses = [resumed.step(closure_for(resumed, resumed_loss)).item() for _ in range(2)]
    assert same(resumed_losses, going_on)
    for mine, theirs in zip(resumed_params, params, strict=True):
        assert same(mine.numpy(), theirs.numpy())


def test_a_pytorch_state_dict_loads_and_goes_on_as_in_pytorch(torch):
    options = {"max_iter": 4, "history_size": 3}
    their_params, their_loss = tiny_mlp(torch, torch.float64)
    theirs = torch.optim.LBFGS(their_params, **options)
    our_params, our_loss = tiny_mlp(tg, tg.float64)
    ours = optim.LBFGS(our_params, **options)

    def closure_for(optimizer, loss_fn):
        def closure():
            optimizer.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss
        return closure

    theirs.step(closure_for(theirs, their_loss))
    saved = theirs.state_dict()
    ours.load_state_dict({"state": {0: {key: host(value) for key, value in saved["state"][0].items()}},
                          "param_groups": saved["param_groups"]})
    for mine, their in zip(our_params, their_params, strict=True):
        mine._data[...] = their.detach().numpy()
    expected = [theirs.step(closure_for(theirs, their_loss)).item() for _ in range(2)]
    got = [ours.step(closure_for(ours, our_loss)).item() for _ in range(2)]
    numpy.testing.assert_allclose(got, expected, rtol=1e-10)
    for mine, their in zip(our_params, their_params, strict=True):
        numpy.testing.assert_allclose(mine.numpy(), their.detach().numpy(), rtol=1e-9, atol=1e-12)


# Arguments and devices ---------------------------------------------------------------


def test_one_parameter_group_only(torch):
    a, b = nn.Parameter(tg.zeros(2)), nn.Parameter(tg.zeros(2))
    with pytest.raises(ValueError):
        torch.optim.LBFGS([{"params": [torch.zeros(2, requires_grad=True)]},
                           {"params": [torch.zeros(2, requires_grad=True)]}])
    with pytest.raises(ValueError, match="LBFGS optimizes one parameter group, got a second one"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    optimizer = optim.LBFGS([a])
    with pytest.raises(ValueError, match="pass all parameters as one iterable"):
        optimizer.add_param_group({"params": [b]})


@pytest.mark.parametrize("kwargs, error, words", [
    ({"lr": -1.0}, ValueError, "Invalid learning rate: -1.0"),  # PyTorch's words
    ({"history_size": 0}, ValueError, "LBFGS: history_size must be >= 1, got 0"),
    ({"line_search_fn": "armijo"}, ValueError,
     r"LBFGS: line_search_fn must be one of \(None, 'strong_wolfe'\), got 'armijo'"),
])
def test_bad_arguments_are_reported(kwargs, error, words):
    with pytest.raises(error, match=words):
        optim.LBFGS([nn.Parameter(tg.zeros(2))], **kwargs)


def test_step_needs_a_closure():
    optimizer = optim.LBFGS([nn.Parameter(tg.zeros(2))])
    with pytest.raises(TypeError, match="LBFGS.step needs a closure"):
        optimizer.step(None)
    with pytest.raises(TypeError):
        optimizer.step()


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_runs_on_the_device(strict_cuda, line_search_fn):
    def losses(device):
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).to("float64")
        model.load_state_dict({key: numpy.cos(numpy.arange(value.numel()) + 1.0).reshape(tuple(value.shape))
                               for key, value in model.state_dict().items()})
        model.to(device)
        x, y = Tensor(MLP_X, device=device), Tensor(MLP_Y, device=device)
        optimizer = optim.LBFGS(model.parameters(), max_iter=4, history_size=2, line_search_fn=line_search_fn)

        def closure():
            optimizer.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            return loss

        seen = [optimizer.step(closure).item() for _ in range(3)]
        saved = optimizer.state_dict()
        optimizer.load_state_dict(saved)
        seen.append(optimizer.step(closure).item())
        return seen, [p.numpy() for p in model.parameters()], model[0].weight.device

    on_host, on_device = losses("cpu"), losses("cuda")
    assert on_device[2] == "cuda"
    numpy.testing.assert_allclose(on_device[0], on_host[0], rtol=1e-12)
    for mine, theirs in zip(on_device[1], on_host[1], strict=True):
        numpy.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
