"""Learning-rate schedulers: every epoch's learning rates against torch.optim.lr_scheduler,
also across a state-dict round trip, and their argument errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim
from tinygrad_bn.optim import lr_scheduler

EPOCHS = 25
LRS = (0.1, 0.03)  # two parameter groups, each with its own learning rate


class Warmup:
    """A callable object as lr_lambda: its attributes are what LambdaLR's state dict keeps."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.epochs)


class Factor:
    """A callable object as MultiplicativeLR's lr_lambda: a factor that alternates with the epoch's parity."""

    def __init__(self, even, odd):
        self.even, self.odd = even, odd

    def __call__(self, epoch):
        return self.odd if epoch % 2 else self.even


SCHEDULERS = {
    "StepLR": ("StepLR", {"step_size": 4}),
    "StepLR every epoch": ("StepLR", {"step_size": 1, "gamma": 0.8}),
    "MultiStepLR": ("MultiStepLR", {"milestones": [3, 7, 15]}),
    "MultiStepLR at 0 and the end": ("MultiStepLR", {"milestones": [0, 24], "gamma": 0.5}),
    "ExponentialLR": ("ExponentialLR", {"gamma": 0.9}),
    "CosineAnnealingLR": ("CosineAnnealingLR", {"T_max": EPOCHS}),
    "CosineAnnealingLR past T_max": ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
    "CosineAnnealingLR eta_min above lr": ("CosineAnnealingLR", {"T_max": 3, "eta_min": 0.05}),
    "LambdaLR one function": ("LambdaLR", {"lr_lambda": lambda epoch: 1 / (epoch + 1)}),
    "LambdaLR one per group": ("LambdaLR", {"lr_lambda": [lambda epoch: 0.95**epoch, Warmup(5)]}),
    "MultiplicativeLR one function": ("MultiplicativeLR", {"lr_lambda": lambda epoch: 0.95}),
    "MultiplicativeLR one per group": ("MultiplicativeLR", {"lr_lambda": [lambda epoch: 1.1 if epoch < 4 else 0.8,
                                                                          Factor(0.9, 1.05)]}),
    "OneCycleLR": ("OneCycleLR", {"max_lr": 1.0, "total_steps": EPOCHS, "cycle_momentum": False}),
    "OneCycleLR three phases, linear, per group": ("OneCycleLR", {
        "max_lr": [1.0, 0.5], "epochs": 5, "steps_per_epoch": 6, "pct_start": 0.4, "anneal_strategy": "linear",
        "three_phase": True, "cycle_momentum": False, "div_factor": 10.0, "final_div_factor": 100.0}),
    "LinearLR": ("LinearLR", {}),
    "LinearLR decay to a tenth": ("LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 10}),
    "LinearLR warm-up past the end": ("LinearLR", {"start_factor": 0.01, "end_factor": 0.8, "total_iters": 40}),
    "ConstantLR": ("ConstantLR", {}),
    "ConstantLR a half for 10": ("ConstantLR", {"factor": 0.5, "total_iters": 10}),
    "ConstantLR for 0 epochs": ("ConstantLR", {"factor": 0.25, "total_iters": 0}),
    "PolynomialLR": ("PolynomialLR", {}),
    "PolynomialLR squared": ("PolynomialLR", {"total_iters": 20, "power": 2.0}),
    "PolynomialLR square root past the end": ("PolynomialLR", {"total_iters": 40, "power": 0.5}),
    "CosineAnnealingWarmRestarts": ("CosineAnnealingWarmRestarts", {"T_0": 5}),
    "CosineAnnealingWarmRestarts doubling": ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}),
    "CosineAnnealingWarmRestarts every epoch, tripling": ("CosineAnnealingWarmRestarts", {"T_0": 1, "T_mult": 3}),
    "CyclicLR": ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "cycle_momentum": False}),
    "CyclicLR triangular2, per group, down slower": ("CyclicLR", {
        "base_lr": [0.01, 0.002], "max_lr": [0.1, 0.05], "step_size_up": 2, "step_size_down": 5,
        "mode": "triangular2", "cycle_momentum": False}),
    "CyclicLR exp_range": ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "mode": "exp_range",
                                        "gamma": 0.9, "cycle_momentum": False}),
    "CyclicLR scale_fn of the step": ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3,
                                                    "scale_fn": Warmup(20), "scale_mode": "iterations",
                                                    "cycle_momentum": False}),
    # schedulers of schedulers: their arguments are made on the optimizer, from the framework's lr_scheduler
    "SequentialLR warm-up then cosine": ("SequentialLR", lambda schedules, optimizer: {
        "schedulers": [schedules.LinearLR(optimizer, start_factor=0.1, total_iters=5),
                       schedules.CosineAnnealingLR(optimizer, T_max=20)],
        "milestones": [5]}),
    "SequentialLR of three": ("SequentialLR", lambda schedules, optimizer: {
        "schedulers": [schedules.ConstantLR(optimizer, factor=0.5, total_iters=3),
                       schedules.ExponentialLR(optimizer, gamma=0.9),
                       schedules.MultiStepLR(optimizer, milestones=[0, 4], gamma=0.5)],
        "milestones": [4, 12]}),
    "SequentialLR LambdaLR, then warm restarts": ("SequentialLR", lambda schedules, optimizer: {
        "schedulers": [schedules.LambdaLR(optimizer, lambda epoch: 0.9**epoch),
                       schedules.CosineAnnealingWarmRestarts(optimizer, T_0=4)],
        "milestones": [7]}),
    "SequentialLR StepLR, then PolynomialLR": ("SequentialLR", lambda schedules, optimizer: {
        "schedulers": [schedules.StepLR(optimizer, step_size=2, gamma=0.7),
                       schedules.PolynomialLR(optimizer, total_iters=10, power=1.5)],
        "milestones": [6]}),
    "SequentialLR MultiplicativeLR restarted": ("SequentialLR", lambda schedules, optimizer: {
        "schedulers": [schedules.ExponentialLR(optimizer, gamma=0.9),
                       schedules.MultiplicativeLR(optimizer, lambda epoch: 0.5 if epoch == 0 else 0.97)],
        "milestones": [6]}),  # PyTorch restarts it at epoch 0 with the factor of epoch 0
    "ChainedScheduler ConstantLR and ExponentialLR": ("ChainedScheduler", lambda schedules, optimizer: {
        "schedulers": [schedules.ConstantLR(optimizer, factor=0.1, total_iters=10),
                       schedules.ExponentialLR(optimizer, gamma=0.9)]}),
    "ChainedScheduler LinearLR and StepLR": ("ChainedScheduler", lambda schedules, optimizer: {
        "schedulers": [schedules.LinearLR(optimizer, start_factor=0.5, total_iters=6),
                       schedules.StepLR(optimizer, step_size=4, gamma=0.5)]}),
    "ChainedScheduler in SequentialLR": ("SequentialLR", lambda schedules, optimizer: {
        "schedulers": [schedules.ChainedScheduler([schedules.LinearLR(optimizer, start_factor=0.2, total_iters=4),
                                                   schedules.ExponentialLR(optimizer, gamma=0.95)]),
                       schedules.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.001)],
        "milestones": [8]}),
    "SequentialLR in SequentialLR": ("SequentialLR", lambda schedules, optimizer: {
        "schedulers": [schedules.SequentialLR(optimizer, [schedules.ConstantLR(optimizer, factor=0.5, total_iters=2),
                                                          schedules.ExponentialLR(optimizer, gamma=0.8)],
                                              milestones=[3]),
                       schedules.LinearLR(optimizer, start_factor=0.2, total_iters=3)],
        "milestones": [EPOCHS + 5]}),  # PyTorch cannot restart a SequentialLR: it has no lr of its own to restart at
}


# PyTorch's SequentialLR steps a ChainedScheduler or SequentialLR inside it before any optimizer step, and warns
NESTED_CHAIN_WARNS = pytest.mark.filterwarnings(
    "ignore:Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`")


def build(framework_optim, name, kwargs, optimizer):
    """Scheduler ``name`` of the framework on ``optimizer``; ``kwargs`` may be a function of
    the framework's lr_scheduler module and the optimizer (for schedulers of schedulers)."""
    schedules = framework_optim.lr_scheduler
    if callable(kwargs):
        kwargs = kwargs(schedules, optimizer)
    return getattr(schedules, name)(optimizer=optimizer, **kwargs)


def two_groups(framework_optim, params):
    return framework_optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": LRS[1]}], lr=LRS[0])


def lr_curve(framework_optim, name, kwargs, params, resume_at=None, optimizer_first=False):
    """The group learning rates of every epoch, optionally saving both state dicts at
    epoch ``resume_at`` and going on with a fresh optimizer and scheduler that load them
    (the optimizer's state loaded before the scheduler is made, or after)."""
    optimizer = two_groups(framework_optim, params)
    scheduler = build(framework_optim, name, kwargs, optimizer)
    curve = []
    for epoch in range(EPOCHS):
        if epoch == resume_at:
            saved = optimizer.state_dict(), scheduler.state_dict()
            optimizer = two_groups(framework_optim, params)
            if optimizer_first:
                optimizer.load_state_dict(saved[0])
            scheduler = build(framework_optim, name, kwargs, optimizer)
            scheduler.load_state_dict(saved[1])
            optimizer.load_state_dict(saved[0])
        curve.append([group["lr"] for group in optimizer.param_groups])
        assert scheduler.get_last_lr() == curve[-1]
        optimizer.step()
        scheduler.step()
    return curve


@NESTED_CHAIN_WARNS
@pytest.mark.parametrize("resume_at, optimizer_first", [(None, False), (1, False), (12, False), (1, True), (12, True)],
                         ids=["uninterrupted", "resumed at 1", "resumed at 12", "optimizer loaded first at 1",
                              "optimizer loaded first at 12"])
@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_learning_rates_match_pytorch(torch, scheduler, resume_at, optimizer_first):
    name, kwargs = SCHEDULERS[scheduler]
    theirs = lr_curve(torch.optim, name, kwargs, [torch.nn.Parameter(torch.zeros(2)) for _ in LRS])
    ours = lr_curve(optim, name, kwargs, [nn.Parameter(tg.zeros(2)) for _ in LRS], resume_at, optimizer_first)
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    assert len(set(map(tuple, ours))) > 1 or ours[0] != list(LRS)  # the schedule did something


@pytest.mark.parametrize("T_max, eta_min", [(100, 0.3), (1000, 0.05)])
def test_cosine_annealing_follows_pytorchs_recursion_to_the_last_bit(torch, T_max, eta_min):
    """Long enough for the closed form to drift from PyTorch's recursion by more than 1e-12."""
    their_optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(their_optimizer, T_max, eta_min)
    ours = lr_scheduler.CosineAnnealingLR(optim.SGD([nn.Parameter(tg.zeros(1))], lr=0.1), T_max, eta_min)
    for _ in range(2 * T_max):
        assert ours.get_last_lr() == theirs.get_last_lr()
        their_optimizer.step()
        theirs.step()
        ours.step()


@pytest.mark.parametrize(
    "scheduler", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR one function",
                  "MultiplicativeLR one function"]
)
def test_constructor_keeps_initial_lr_and_sets_epoch_0_as_pytorch_does(torch, scheduler):
    name, kwargs = SCHEDULERS[scheduler]
    optimizers = optim.SGD(nn.Linear(2, 1).parameters(), lr=0.2), torch.optim.SGD(torch.nn.Linear(2, 1).parameters(),
                                                                                    lr=0.2)
    for optimizer in optimizers:
        optimizer.param_groups[0]["initial_lr"] = 1.0  # once there, initial_lr is kept
    ours, theirs = (getattr(framework.lr_scheduler, name)(optimizer, **kwargs)
                    for framework, optimizer in zip((optim, torch.optim), optimizers, strict=True))
    assert ours.last_epoch == theirs.last_epoch == 0 and ours.base_lrs == theirs.base_lrs == [1.0]
    # the factor schedules start from the lr as it stands, LambdaLR from initial_lr
    assert optimizers[0].param_groups[0]["lr"] == optimizers[1].param_groups[0]["lr"]
    assert optimizers[0].param_groups[0]["lr"] == (1.0 if name == "LambdaLR" else 0.2)


@pytest.mark.parametrize("first, second", [("StepLR", "ExponentialLR"), ("MultiStepLR", "StepLR every epoch"),
                                           ("LambdaLR one function", "ExponentialLR"),
                                           ("MultiplicativeLR one function", "LambdaLR one function")])
def test_two_schedulers_on_one_optimizer_compose_as_in_pytorch(torch, first, second):
    def curve(framework_optim, params):
        optimizer = two_groups(framework_optim, params)
        schedulers = [getattr(framework_optim.lr_scheduler, SCHEDULERS[key][0])(optimizer, **SCHEDULERS[key][1])
                      for key in (first, second)]
        seen = []
        for epoch in range(12):
            seen.append([group["lr"] for group in optimizer.param_groups])
            if epoch == 5:  # a change by hand carries on
                optimizer.param_groups[0]["lr"] *= 3
            optimizer.step()
            for scheduler in schedulers:
                scheduler.step()
        return seen

    theirs = curve(torch.optim, [torch.nn.Parameter(torch.zeros(2)) for _ in LRS])
    ours = curve(optim, [nn.Parameter(tg.zeros(2)) for _ in LRS])
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def test_state_dict_is_every_attribute_but_the_optimizer():
    optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=0.5)
    scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=[2, 4])
    scheduler.step()
    state = scheduler.state_dict()
    assert state == {"milestones": [2, 4], "gamma": 0.1, "base_lrs": [0.5], "last_epoch": 1, "_last_lr": [0.5]}


def test_lambda_lr_keeps_the_attributes_of_callable_objects():
    optimizer = optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    scheduler = lr_scheduler.LambdaLR(optimizer, [Warmup(10)])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"epochs": 10}]
    resumed = lr_scheduler.LambdaLR(optimizer, [Warmup(2)])
    resumed.load_state_dict(state)
    assert resumed.lr_lambdas[0].epochs == 10 and state["lr_lambdas"] == [{"epochs": 10}]
    assert lr_scheduler.LambdaLR(optimizer, lambda epoch: 1.0).state_dict()["lr_lambdas"] == [None]


def test_multiplicative_lr_keeps_the_attributes_of_callable_objects_as_pytorch_does(torch):
    def state(framework_optim, params):
        optimizer = two_groups(framework_optim, params)
        schedule = framework_optim.lr_scheduler.MultiplicativeLR(optimizer, [lambda epoch: 0.9, Factor(0.5, 2.0)])
        return schedule.state_dict()

    ours = state(optim, [nn.Parameter(tg.zeros(2)) for _ in LRS])
    theirs = state(torch.optim, [torch.nn.Parameter(torch.zeros(2)) for _ in LRS])
    assert ours["lr_lambdas"] == theirs["lr_lambdas"] == [None, {"even": 0.5, "odd": 2.0}]
    resumed = lr_scheduler.MultiplicativeLR(two_groups(optim, [nn.Parameter(tg.zeros(2)) for _ in LRS]),
                                            [abs, Factor(1.0, 1.0)])
    resumed.load_state_dict(theirs)
    assert (resumed.lr_lambdas[1].even, resumed.lr_lambdas[1].odd) == (0.5, 2.0)


@pytest.mark.parametrize(
    "name, kwargs, error, words",
    [
        ("StepLR", {"step_size": 0}, ValueError, "StepLR: step_size must be >= 1, got 0"),
        ("MultiStepLR", {"milestones": [5, 3]}, ValueError, r"milestones must be increasing, got \[5, 3\]"),
        ("MultiStepLR", {"milestones": [3, 3]}, ValueError, r"milestones must be increasing, got \[3, 3\]"),
        ("CosineAnnealingLR", {"T_max": 0}, ValueError, "CosineAnnealingLR: T_max must be >= 1, got 0"),
        ("LambdaLR", {"lr_lambda": [abs]}, ValueError, "expected 2 lr_lambdas, one per parameter group, got 1"),
        ("LambdaLR", {"lr_lambda": 0.5}, TypeError, "lr_lambda must be callable, got float"),
        ("MultiplicativeLR", {"lr_lambda": (abs,)}, ValueError, "MultiplicativeLR: expected 2 lr_lambdas, one per"),
        ("MultiplicativeLR", {"lr_lambda": [abs, None]}, TypeError, "lr_lambda must be callable, got NoneType"),
    ],
)
def test_bad_arguments_are_reported(name, kwargs, error, words):
    optimizer = two_groups(optim, [nn.Parameter(tg.zeros(2)) for _ in LRS])
    with pytest.raises(error, match=words):
        getattr(lr_scheduler, name)(optimizer, **kwargs)


CLOSED_FORMS = ["StepLR", "StepLR every epoch", "MultiStepLR", "MultiStepLR at 0 and the end", "ExponentialLR",
                "CosineAnnealingLR", "CosineAnnealingLR past T_max", "LinearLR", "LinearLR decay to a tenth",
                "LinearLR warm-up past the end", "ConstantLR a half for 10", "PolynomialLR squared",
                "PolynomialLR square root past the end"]  # not ConstantLR for 0 epochs: PyTorch's steps keep
# the factor for ever, its closed form drops it


@pytest.mark.parametrize("scheduler", CLOSED_FORMS)
def test_closed_forms_give_pytorchs_learning_rates(torch, scheduler):
    """The lr of epoch t from η₀ alone, which SequentialLR restarts a schedule with, at every epoch."""
    name, kwargs = SCHEDULERS[scheduler]
    theirs = lr_curve(torch.optim, name, kwargs, [torch.nn.Parameter(torch.zeros(2)) for _ in LRS])
    ours = build(optim, name, kwargs, two_groups(optim, [nn.Parameter(tg.zeros(2)) for _ in LRS]))
    for epoch, expected in enumerate(theirs):
        ours.last_epoch = epoch
        numpy.testing.assert_allclose(ours._closed_form(), expected, rtol=1e-12, atol=0, err_msg=f"epoch {epoch}")


@NESTED_CHAIN_WARNS
def test_resuming_from_pytorchs_state_dicts(torch):
    """PyTorch's optimizer and scheduler state dicts, saved mid-way, load and the schedule goes on as PyTorch's."""
    for scheduler in SCHEDULERS:
        name, kwargs = SCHEDULERS[scheduler]
        their_optimizer = two_groups(torch.optim, [torch.nn.Parameter(torch.zeros(2)) for _ in LRS])
        theirs = build(torch.optim, name, kwargs, their_optimizer)
        for _ in range(10):
            their_optimizer.step()
            theirs.step()
        our_optimizer = two_groups(optim, [nn.Parameter(tg.zeros(2)) for _ in LRS])
        ours = build(optim, name, kwargs, our_optimizer)
        ours.load_state_dict(theirs.state_dict())
        our_optimizer.load_state_dict(their_optimizer.state_dict())
        for epoch in range(10, EPOCHS):
            expected = [group["lr"] for group in their_optimizer.param_groups]
            numpy.testing.assert_allclose([group["lr"] for group in our_optimizer.param_groups], expected, rtol=1e-12,
                                          err_msg=f"{scheduler}, epoch {epoch}")
            for framework_optimizer, schedule in ((their_optimizer, theirs), (our_optimizer, ours)):
                framework_optimizer.step()
                schedule.step()


def test_a_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="StepLR needs an Optimizer, got list"):
        lr_scheduler.StepLR([nn.Parameter(tg.zeros(2))], step_size=1)


RESUMED_AS_PYTORCH = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR one function",
                      "MultiplicativeLR one per group",
                      "LinearLR decay to a tenth", "ConstantLR a half for 10", "PolynomialLR squared",
                      "CosineAnnealingWarmRestarts doubling", "CyclicLR triangular2, per group, down slower"]


@pytest.mark.parametrize("scheduler", RESUMED_AS_PYTORCH)
@pytest.mark.parametrize("epochs_done", [1, 4, 9])
def test_last_epoch_resumes_as_pytorch_does(torch, scheduler, epochs_done):
    """A run resumed by a new scheduler with ``last_epoch`` on the same optimizer (its
    groups hold their initial_lr and the lr of epoch ``last_epoch``) goes on as PyTorch's."""
    name, kwargs = SCHEDULERS[scheduler]

    def curve(framework_optim, params):
        optimizer = two_groups(framework_optim, params)
        first = getattr(framework_optim.lr_scheduler, name)(optimizer, **kwargs)
        for _ in range(epochs_done):
            optimizer.step()
            first.step()
        resumed = getattr(framework_optim.lr_scheduler, name)(optimizer, last_epoch=epochs_done, **kwargs)
        seen = []
        for _ in range(8):
            seen.append([group["lr"] for group in optimizer.param_groups])
            optimizer.step()
            resumed.step()
        return seen, resumed.last_epoch

    theirs = curve(torch.optim, [torch.nn.Parameter(torch.zeros(2)) for _ in LRS])
    ours = curve(optim, [nn.Parameter(tg.zeros(2)) for _ in LRS])
    numpy.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=0)
    assert ours[1] == theirs[1] == epochs_done + 9


def test_last_epoch_needs_initial_lr_in_every_group(torch):
    with pytest.raises(KeyError):
        torch.optim.lr_scheduler.StepLR(torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0), 2, last_epoch=3)
    with pytest.raises(KeyError, match=r"param_groups\[0\] has no 'initial_lr'"):
        lr_scheduler.StepLR(optim.SGD([nn.Parameter(tg.zeros(2))], lr=1.0), 2, last_epoch=3)


@pytest.mark.parametrize("optimizer, kwargs", [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("Adam", {"lr": 0.1, "betas": (0.8, 0.99)}),
], ids=["SGD momentum", "Adam beta1"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_cycles_the_momentum_as_pytorch_does(torch, optimizer, kwargs, three_phase):
    def curve(framework, params):
        o = getattr(framework.optim, optimizer)(params, **kwargs)
        schedule = framework.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=12, three_phase=three_phase,
                                                           base_momentum=0.7, max_momentum=0.9)
        seen = []
        for _ in range(12):
            group = o.param_groups[0]
            seen.append((group["lr"], group["momentum"] if "momentum" in group else group["betas"][0]))
            o.step()
            schedule.step()
        return seen

    ours = curve(tg, [nn.Parameter(tg.zeros(2))])
    theirs = curve(torch, [torch.nn.Parameter(torch.zeros(2))])
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_one_cycle_refuses_a_step_past_total_steps_and_an_optimizer_without_momentum():
    optimizer = optim.SGD([nn.Parameter(tg.zeros(2))], lr=0.1, momentum=0.9)
    schedule = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=2)
    schedule.step()
    schedule.step()
    with pytest.raises(ValueError, match="tried to step 3 times, but total_steps is 2"):
        schedule.step()
    with pytest.raises(ValueError, match="cycle_momentum needs an optimizer with momentum or betas"):
        lr_scheduler.OneCycleLR(optim.Adagrad([nn.Parameter(tg.zeros(2))]), max_lr=1.0, total_steps=2)


METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.9, 0.9, 0.9, 0.9, 0.79995, 0.7, 0.7, 0.7, 0.7, 0.7]


@pytest.mark.parametrize("kwargs", [
    {},
    {"patience": 1, "factor": 0.5},
    {"mode": "max", "patience": 1},
    {"patience": 0, "threshold_mode": "abs", "threshold": 0.01, "cooldown": 2},
    {"patience": 1, "factor": 0.2, "min_lr": [0.01, 0.005]},
    {"patience": 0, "factor": 0.9, "eps": 0.005},
])
def test_reduce_on_plateau_matches_pytorch(torch, kwargs):
    def curve(framework_optim, params):
        optimizer = two_groups(framework_optim, params)
        schedule = framework_optim.lr_scheduler.ReduceLROnPlateau(optimizer, **{"patience": 2, **kwargs})
        seen = []
        for metric in METRICS:
            optimizer.step()
            schedule.step(metric)
            seen.append([group["lr"] for group in optimizer.param_groups])
            assert schedule.get_last_lr() == seen[-1]
        return seen

    ours = curve(optim, [nn.Parameter(tg.zeros(2)) for _ in LRS])
    theirs = curve(torch.optim, [torch.nn.Parameter(torch.zeros(2)) for _ in LRS])
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    assert len(set(map(tuple, ours))) > 1 or kwargs.get("mode") == "max"


def test_reduce_on_plateau_takes_a_one_element_tensor_and_refuses_a_factor_of_1():
    optimizer = optim.SGD([nn.Parameter(tg.zeros(2))], lr=1.0)
    schedule = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    schedule.step(tg.tensor(1.0))
    schedule.step(tg.tensor([2.0]))
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="factor must be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(optimizer, factor=1.0)
