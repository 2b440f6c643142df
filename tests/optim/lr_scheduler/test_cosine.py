"""CosineAnnealingWarmRestarts stepped within epochs, as PyTorch documents: step(epoch)
with fractional epochs, interleaved with step(), against PyTorch; and its arguments."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim
from tinygrad_bn.optim import lr_scheduler


def warm_restarts(framework, **kwargs):
    optimizer = framework.optim.SGD([framework.nn.Parameter(framework.zeros(2))], lr=0.1)
    return optimizer, framework.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, **kwargs)


@pytest.mark.parametrize("kwargs", [{"T_0": 3}, {"T_0": 2, "T_mult": 2, "eta_min": 0.01}, {"T_0": 1, "T_mult": 3}],
                         ids=str)
@pytest.mark.parametrize("batches", [4, 7])
def test_fractional_epochs_match_pytorch(torch, kwargs, batches):
    """``scheduler.step(epoch + i / batches)`` after batch i of each epoch."""
    def curve(framework):
        optimizer, scheduler = warm_restarts(framework, **kwargs)
        seen = []
        for epoch in range(12):
            for i in range(batches):
                optimizer.step()
                scheduler.step(epoch + i / batches)
                seen.append((optimizer.param_groups[0]["lr"], scheduler.last_epoch, scheduler.T_cur, scheduler.T_i))
        return seen

    ours, theirs = curve(tg), curve(torch)
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert len({lr for lr, *_ in ours}) > batches  # it moved within epochs


def test_step_and_step_epoch_interleave_as_in_pytorch(torch):
    """Jumps forward and back, then steps on from wherever the last jump left it."""
    def curve(framework):
        optimizer, scheduler = warm_restarts(framework, T_0=2, T_mult=2)
        seen = []
        for epoch in [None, 5.5, None, None, 1.25, None, 20, 13.75, None, None, None, 0, None]:
            optimizer.step()
            scheduler.step() if epoch is None else scheduler.step(epoch)
            seen.append((optimizer.param_groups[0]["lr"], scheduler.last_epoch, scheduler.T_cur, scheduler.T_i))
            assert scheduler.get_last_lr() == [optimizer.param_groups[0]["lr"]]
        return seen

    numpy.testing.assert_allclose(curve(tg), curve(torch), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kwargs, words", [
    ({"T_0": 0}, "CosineAnnealingWarmRestarts: T_0 must be an integer >= 1, got 0"),
    ({"T_0": 2.5}, "T_0 must be an integer >= 1, got 2.5"),
    ({"T_0": 2, "T_mult": 0}, "T_mult must be an integer >= 1, got 0"),
    ({"T_0": 2, "T_mult": 1.5}, "T_mult must be an integer >= 1, got 1.5"),
    ({"T_0": 2, "eta_min": "0"}, "eta_min must be a number, got str"),
])
def test_bad_arguments_raise_what_pytorch_raises(torch, kwargs, words):
    with pytest.raises(ValueError):
        warm_restarts(torch, **kwargs)
    with pytest.raises(ValueError, match=words):
        warm_restarts(tg, **kwargs)


def test_a_negative_epoch_is_refused(torch):
    for framework in (torch, tg):
        with pytest.raises(ValueError):
            warm_restarts(framework, T_0=2)[1].step(-1)
    with pytest.raises(ValueError, match=r"CosineAnnealingWarmRestarts.step: epoch must be >= 0, got -0.5"):
        lr_scheduler.CosineAnnealingWarmRestarts(optim.SGD([nn.Parameter(tg.zeros(2))], lr=0.1), T_0=2).step(-0.5)
