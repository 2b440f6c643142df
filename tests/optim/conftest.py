"""Training the same model side by side here and in PyTorch, for the update-rule tests."""

from __future__ import annotations

import re

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn, optim
from tinygrad_bn.nn import functional as F


def mlp(framework, **factory):
    # no bias before BN: its true gradient is 0, so Adam (which divides by √v) would
    # amplify the rounding noise that stands in for it
    return framework.Sequential(
        framework.Linear(6, 16, bias=False, **factory), framework.BatchNorm1d(16, **factory),
        framework.ReLU(), framework.Linear(16, 3, **factory),
    )


def param_groups(model, grouped: bool, decay_free_lr: float, decays: bool = True):
    """All parameters, or two groups: weights of Linear layers, and the rest (biases, BN's γ, β)
    with its own learning rate and no weight decay (for an optimizer that ``decays``)."""
    named = list(model.named_parameters())
    if not grouped:
        return [p for _, p in named]
    weights = [p for name, p in named if name.endswith("weight") and p.ndim == 2]
    others = [p for name, p in named if not (name.endswith("weight") and p.ndim == 2)]
    return [{"params": weights}, {"params": others, "lr": decay_free_lr, **({"weight_decay": 0.0} if decays else {})}]


@pytest.fixture
def trains_like_pytorch(torch):
    """``check(name, kwargs, grouped=False)``: train the same float64 MLP (with BN) on the
    same batches for 20 steps with ``optim.<name>`` and ``torch.optim.<name>``, halving every
    learning rate after step 10; assert equal loss curves and final state dicts, and that
    the loss fell (an optimizer that does nothing would otherwise pass at lr = 0)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # these tensors are tiny: threads would only wait on each other

    def run(name, kwargs, grouped=False, steps=20):
        torch.manual_seed(0)
        theirs = mlp(torch.nn, dtype=torch.float64)
        ours = mlp(nn, dtype="float64")
        ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
        lr, decays = kwargs.get("lr", 1e-3), name != "Rprop"
        their_optimizer = getattr(torch.optim, name)(param_groups(theirs, grouped, lr / 3, decays), **kwargs)
        our_optimizer = getattr(optim, name)(param_groups(ours, grouped, lr / 3, decays), **kwargs)
        rng = numpy.random.default_rng(0)
        teacher = rng.standard_normal((6, 3))
        curves = ([], [])
        for step in range(steps):
            x = 2.0 * rng.standard_normal((16, 6)) + 0.5
            y = (x @ teacher).argmax(axis=1)  # labels a linear teacher gives: learnable
            if step == steps // 2:
                for optimizer in (our_optimizer, their_optimizer):
                    for group in optimizer.param_groups:
                        group["lr"] /= 2
            our_loss = F.cross_entropy(ours(Tensor(x)), y)
            our_optimizer.zero_grad()
            our_loss.backward()
            our_optimizer.step()
            their_loss = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(y))
            their_optimizer.zero_grad()
            their_loss.backward()
            their_optimizer.step()
            curves[0].append(our_loss.item())
            curves[1].append(their_loss.item())
        numpy.testing.assert_allclose(curves[0], curves[1], rtol=1e-10, atol=1e-12)
        assert curves[0][-1] < curves[0][0] - 0.05, curves[0]
        their_state = theirs.state_dict()
        for key, value in ours.state_dict().items():
            expected = their_state[key].numpy()
            numpy.testing.assert_allclose(value.numpy(), expected, rtol=1e-9, atol=1e-11, err_msg=key)

    yield run
    torch.set_num_threads(threads)


@pytest.fixture
def states_after_two_steps(torch):
    """``states(name, **options)``: the state of ``optim.<name>`` and ``torch.optim.<name>``
    (as their state dicts give it) after two steps on f(w) = Σ w³ from the same weight."""

    def states(name, **options):
        weight = numpy.random.default_rng(0).standard_normal((3, 2))
        ours, theirs = nn.Parameter(Tensor(weight)), torch.nn.Parameter(torch.tensor(weight))
        optimizers = (getattr(optim, name)([ours], **options), getattr(torch.optim, name)([theirs], **options))
        for _ in range(2):
            (ours * ours * ours).sum().backward()
            (theirs * theirs * theirs).sum().backward()
            for optimizer in optimizers:
                optimizer.step()
        return tuple(optimizer.state_dict()["state"][0] for optimizer in optimizers)

    return states


# A smooth problem for steps in float32 and float64: ½ tr(WᵀAW) − ⟨B, W⟩ + ¼ Σ W⁴ + ‖Wc − b‖², over a
# matrix W and a vector b, from the same start; its gradient stays away from 0 for 25 steps at the
# learning rates of the tests (near a minimum, Adam-like steps g/√v would magnify rounding)
_RNG = numpy.random.default_rng(3)
_A = _RNG.standard_normal((5, 5))
_A = _A @ _A.T / 5 + 0.5 * numpy.eye(5)
_B, _C = _RNG.standard_normal((5, 3)), _RNG.standard_normal(3)
_START = {"W": _RNG.standard_normal((5, 3)), "b": _RNG.standard_normal(5)}
STEP_TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-11, atol=1e-13)}


def _objective(framework, params, dtype):
    W, b = params
    A, B, c = (framework.tensor(value, dtype=getattr(framework, dtype)) for value in (_A, _B, _C))
    return 0.5 * (W * (A @ W)).sum() - (B * W).sum() + 0.25 * (W**4).sum() + ((W @ c - b) ** 2).sum()


@pytest.fixture
def steps_like_pytorch(torch):
    """``check(name, kwargs, dtype, grouped=False, steps=25)``: ``steps`` steps of ``optim.<name>``
    and ``torch.optim.<name>`` on the same smooth problem of two parameters (in two groups, the
    second with lr/3, with ``grouped``) in ``dtype``; assert equal parameters after every step
    and equal state dicts at the end, and that the objective fell."""

    def run(name, kwargs, dtype, grouped=False, steps=25):
        def make(framework, optimizers):
            params = [framework.nn.Parameter(framework.tensor(_START[key], dtype=getattr(framework, dtype)))
                      for key in ("W", "b")]
            groups = [{"params": params[:1]}, {"params": params[1:], "lr": kwargs.get("lr", 1e-2) / 3}] \
                if grouped else params
            return params, getattr(optimizers, name)(groups, **kwargs)

        ours, our_optimizer = make(tg, optim)
        theirs, their_optimizer = make(torch, torch.optim)
        losses = []
        for step in range(steps):
            for framework, params, optimizer in ((tg, ours, our_optimizer), (torch, theirs, their_optimizer)):
                optimizer.zero_grad()
                loss = _objective(framework, params, dtype)
                loss.backward()
                optimizer.step()
            losses.append(loss.item())
            for mine, other in zip(ours, theirs, strict=True):
                numpy.testing.assert_allclose(mine.numpy(), other.detach().numpy(), **STEP_TOLERANCE[dtype],
                                              err_msg=f"step {step}")
        assert losses[-1] < losses[0], losses
        our_state, their_state = our_optimizer.state_dict(), their_optimizer.state_dict()
        for index, state in their_state["state"].items():
            assert list(our_state["state"][index]) == list(state)
            for key, value in state.items():
                numpy.testing.assert_allclose(our_state["state"][index][key], value.numpy(),
                                              **STEP_TOLERANCE[dtype], err_msg=key)

    return run


@pytest.fixture
def refused_like_pytorch(torch):
    """``check(name, **kwargs)``: ``optim.<name>`` and ``torch.optim.<name>`` both refuse
    these hyper-parameters with a ValueError, in the same words."""

    def check(name, **kwargs):
        with pytest.raises(ValueError) as theirs:
            getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))], **kwargs)
        with pytest.raises(ValueError, match=f"^{re.escape(str(theirs.value))}$"):
            getattr(optim, name)([nn.Parameter(tg.zeros(2))], **kwargs)

    return check
