"""Running statistics: updated in place in training mode, never part of the graph."""

from __future__ import annotations

from tinygrad_bn.autograd.version import bump


def update_running_stats(running_mean, running_var, mean, var, count: int, momentum: float):
    """Blend a batch's statistics into the running ones, in place.

    (R1) running_mean ← (1 − momentum)·running_mean + momentum·μ
    (R2) running_var  ← (1 − momentum)·running_var  + momentum·σ²·m/(m − 1)

    ``mean`` and ``var`` are backend arrays (the batch's μ and biased σ²), any shape
    with C elements; the running tensors are updated through their ``._data``.
    """
    unbiased_var = var * (count / (count - 1))
    for running, batch in ((running_mean, mean), (running_var, unbiased_var)):
        if running is None:
            continue
        batch = batch.reshape(running.shape).astype(running.dtype)
        running._data *= 1 - momentum
        running._data += momentum * batch
        bump(running)
