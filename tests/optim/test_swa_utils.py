"""swa_utils against PyTorch: the same training from the same initial weights, averaged
with AveragedModel (SWA, EMA, per-tensor and per-list functions, with and without
buffers), the BatchNorm statistics after update_bn, and SWALR's learning rates."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tests.optim.conftest import mlp
from tinygrad_bn import nn, optim
from tinygrad_bn.optim import swa_utils


def batches(dtype, count=6, seed=0):
    rng = numpy.random.default_rng(seed)
    return [(2.0 * rng.standard_normal((8, 6)) + 0.5).astype(dtype) for _ in range(count)]


def averaging_functions(framework, how):
    utils = framework.optim.swa_utils
    return {
        "swa": {},
        "ema": {"multi_avg_fn": utils.get_ema_multi_avg_fn(0.9)},
        "ema per tensor": {"avg_fn": utils.get_ema_avg_fn(0.8)},
        "swa per list": {"multi_avg_fn": utils.get_swa_multi_avg_fn()},
        "swa per tensor": {"avg_fn": utils.get_swa_avg_fn()},
    }[how]


def train_and_average(framework, model, inputs, how, use_buffers):
    """Five SGD steps; after each, average the model into an AveragedModel."""
    utils = framework.optim.swa_utils
    averaged = utils.AveragedModel(model, use_buffers=use_buffers, **averaging_functions(framework, how))
    optimizer = framework.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    for x in inputs:
        loss = (model(framework.tensor(x)) ** 2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        averaged.update_parameters(model)
    return averaged


def twins(torch, dtype):
    torch.manual_seed(0)
    theirs = mlp(torch.nn, dtype=getattr(torch, dtype))
    ours = mlp(nn, dtype=dtype)
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    return ours, theirs


def assert_same_state(ours, theirs, rtol):
    their_state = theirs.state_dict()
    assert list(ours.state_dict()) == list(their_state)
    for key, value in ours.state_dict().items():
        numpy.testing.assert_allclose(value.numpy(), their_state[key].numpy(), rtol=rtol, atol=rtol, err_msg=key)
        assert str(value.dtype) == str(their_state[key].dtype).removeprefix("torch."), key


# every way of averaging, with and without the buffers, but one: PyTorch's get_swa_multi_avg_fn
# refuses the buffers' int64 num_batches_tracked (here it is averaged and truncated)
AVERAGINGS = [(how, use_buffers) for how in ("swa", "ema", "ema per tensor", "swa per list", "swa per tensor")
              for use_buffers in (False, True) if (how, use_buffers) != ("swa per list", True)]


@pytest.mark.parametrize("how, use_buffers", AVERAGINGS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_averaged_model_matches_pytorch(torch, how, use_buffers, dtype):
    ours, theirs = twins(torch, dtype)
    inputs = batches(dtype)
    our_average = train_and_average(tg, ours, inputs, how, use_buffers)
    their_average = train_and_average(torch, theirs, inputs, how, use_buffers)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    assert_same_state(our_average, their_average, rtol)
    assert int(our_average.n_averaged) == int(their_average.n_averaged) == len(inputs)
    # the average is not the last model: it averaged something
    last = ours.state_dict()["0.weight"].numpy()
    assert not numpy.allclose(our_average.state_dict()["module.0.weight"].numpy(), last)
    x = inputs[0]
    our_average.eval()
    their_average.eval()
    numpy.testing.assert_allclose(our_average(tg.tensor(x)).detach().numpy(),
                                  their_average(torch.tensor(x)).detach().numpy(), rtol=rtol * 10, atol=rtol * 10)


def test_first_update_copies_and_model_is_a_copy():
    model = nn.Linear(3, 2)
    averaged = swa_utils.AveragedModel(model)
    assert averaged.module is not model and averaged.module.weight is not model.weight
    assert averaged.n_averaged.dtype == "int64" and int(averaged.n_averaged) == 0
    with tg.no_grad():
        model.weight.add_(1.0)
    averaged.update_parameters(model)
    numpy.testing.assert_array_equal(averaged.module.weight.numpy(), model.weight.numpy())
    assert averaged.module.weight.grad is None


def test_update_bn_matches_pytorch(torch):
    ours, theirs = twins(torch, "float64")
    inputs = batches("float64", count=4, seed=1)
    for model, framework in ((ours, tg), (theirs, torch)):
        model.eval()
        loader = [(framework.tensor(x), framework.zeros(8)) for x in inputs]  # (input, label) pairs
        framework.optim.swa_utils.update_bn(loader, model)
        assert not model.training and model[1].momentum == 0.1
    assert_same_state(ours, theirs, 1e-12)
    # with momentum None the running mean is the plain mean of the batch means
    features = [numpy.asarray(x) @ ours[0].weight.numpy().T for x in inputs]
    numpy.testing.assert_allclose(ours[1].running_mean.numpy(), numpy.mean([f.mean(0) for f in features], 0),
                                  rtol=1e-12)
    assert int(ours[1].num_batches_tracked) == len(inputs)


def test_update_bn_without_batchnorm_leaves_the_model():
    model = nn.Linear(2, 2)
    model.eval()
    swa_utils.update_bn([tg.ones(1, 2)], model)
    assert not model.training


@pytest.mark.parametrize("kwargs", [
    {"swa_lr": 0.05},
    {"swa_lr": 0.5, "anneal_epochs": 3, "anneal_strategy": "linear"},
    {"swa_lr": [0.01, 0.2], "anneal_epochs": 4},
    {"swa_lr": 0.3, "anneal_epochs": 0},
    {"swa_lr": 0.3, "anneal_epochs": 1, "anneal_strategy": "linear"},
], ids=str)
def test_swalr_matches_pytorch(torch, kwargs):
    """The rates over 15 steps, from two groups; the first group's rate is changed by hand
    midway, and SWALR goes on from it as PyTorch's does."""
    def curve(framework):
        weights = [framework.nn.Parameter(framework.zeros(2)), framework.nn.Parameter(framework.zeros(1))]
        optimizer = framework.optim.SGD([{"params": weights[:1]}, {"params": weights[1:], "lr": 0.3}], lr=1.0)
        scheduler = framework.optim.swa_utils.SWALR(optimizer, **kwargs)
        seen = []
        for step in range(15):
            seen.append([group["lr"] for group in optimizer.param_groups])
            assert scheduler.get_last_lr() == seen[-1]
            if step == 2:
                optimizer.param_groups[0]["lr"] = 0.7
            optimizer.step()
            scheduler.step()
        return seen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = curve(torch)
    ours = curve(tg)
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    swa_lr = kwargs["swa_lr"]
    assert ours[-1] == pytest.approx(swa_lr if isinstance(swa_lr, list) else [swa_lr, swa_lr])  # annealed to it


def test_swalr_state_dict_resumes():
    def made():
        optimizer = optim.SGD([nn.Parameter(tg.zeros(2))], lr=1.0)
        return optimizer, swa_utils.SWALR(optimizer, swa_lr=0.1, anneal_epochs=5)

    optimizer, scheduler = made()
    for _ in range(2):
        optimizer.step()
        scheduler.step()
    resumed_optimizer, resumed = made()
    resumed_optimizer.load_state_dict(optimizer.state_dict())
    resumed.load_state_dict(scheduler.state_dict())
    for _ in range(4):
        for o, s in ((optimizer, scheduler), (resumed_optimizer, resumed)):
            o.step()
            s.step()
        assert resumed.get_last_lr() == scheduler.get_last_lr()


@pytest.mark.parametrize(("call", "words"), [
    (lambda utils, o: utils.SWALR(o, 0.1, anneal_strategy="exp"), "anneal_strategy must be 'cos' or 'linear'"),
    (lambda utils, o: utils.SWALR(o, 0.1, anneal_epochs=-1), "anneal_epochs must be an int"),
    (lambda utils, o: utils.SWALR(o, 0.1, anneal_epochs=2.5), "anneal_epochs must be an int"),
    (lambda utils, o: utils.SWALR(o, [0.1, 0.2]), "expected 1 values of swa_lr"),
    (lambda utils, o: utils.get_ema_avg_fn(1.5), r"decay must be in \[0, 1\]"),
    (lambda utils, o: utils.get_ema_multi_avg_fn(-0.1), r"decay must be in \[0, 1\]"),
], ids=["strategy", "negative epochs", "float epochs", "swa_lr per group", "decay", "multi decay"])
def test_errors_are_pytorchs(torch, call, words):
    """ValueErrors, as PyTorch raises for each."""
    for framework in (torch, tg):
        optimizer = framework.optim.SGD([framework.nn.Parameter(framework.zeros(1))], lr=1.0)
        with pytest.raises(ValueError, match=words if framework is tg else None):
            call(framework.optim.swa_utils, optimizer)


def test_avg_fn_and_multi_avg_fn_together_are_refused():
    with pytest.raises(ValueError, match="avg_fn or multi_avg_fn, not both"):
        swa_utils.AveragedModel(nn.Linear(1, 1), avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
