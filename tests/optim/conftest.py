"""Training the same model side by side here and in PyTorch, for the update-rule tests."""

from __future__ import annotations

import numpy
import pytest

from tinygrad_bn import Tensor, nn, optim
from tinygrad_bn.nn import functional as F


def mlp(framework, **factory):
    # no bias before BN: its true gradient is 0, so Adam (which divides by √v) would
    # amplify the rounding noise that stands in for it
    return framework.Sequential(
        framework.Linear(6, 16, bias=False, **factory), framework.BatchNorm1d(16, **factory),
        framework.ReLU(), framework.Linear(16, 3, **factory),
    )


def param_groups(model, grouped: bool, decay_free_lr: float):
    """All parameters, or two groups: weights of Linear layers, and the rest (biases, BN's γ, β)
    with its own learning rate and no weight decay."""
    named = list(model.named_parameters())
    if not grouped:
        return [p for _, p in named]
    weights = [p for name, p in named if name.endswith("weight") and p.ndim == 2]
    others = [p for name, p in named if not (name.endswith("weight") and p.ndim == 2)]
    return [{"params": weights}, {"params": others, "lr": decay_free_lr, "weight_decay": 0.0}]


@pytest.fixture
def trains_like_pytorch():
    """``check(name, kwargs, grouped=False)``: train the same float64 MLP (with BN) on the
    same batches for 20 steps with ``optim.<name>`` and ``torch.optim.<name>``, halving every
    learning rate after step 10; assert equal loss curves and final state dicts, and that
    the loss fell (an optimizer that does nothing would otherwise pass at lr = 0)."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # these tensors are tiny: threads would only wait on each other

    def run(name, kwargs, grouped=False, steps=20):
        torch.manual_seed(0)
        theirs = mlp(torch.nn, dtype=torch.float64)
        ours = mlp(nn, dtype="float64")
        ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
        lr = kwargs.get("lr", 1e-3)
        their_optimizer = getattr(torch.optim, name)(param_groups(theirs, grouped, lr / 3), **kwargs)
        our_optimizer = getattr(optim, name)(param_groups(ours, grouped, lr / 3), **kwargs)
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
def states_after_two_steps():
    """``states(name, **options)``: the state of ``optim.<name>`` and ``torch.optim.<name>``
    (as their state dicts give it) after two steps on f(w) = Σ w³ from the same weight."""
    torch = pytest.importorskip("torch")

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
