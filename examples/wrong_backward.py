"""The "simplified" BatchNorm backward from lecture notes, and the cross-check that catches it.

Some notes give dx = dy·γ/σ (more exactly dy·γ/√(σ² + ε)) as BatchNorm's
gradient: they treat the batch mean μ and variance σ² as constants. In eval mode
they are constants (the running statistics) and the rule is exactly right. In
training mode they are functions of x, and the rule drops two of the three paths
from x to y (docs/batchnorm.md, section 6). A test that only runs eval mode, or
only sums the outputs, never notices; this one compares the rule with the
composite BatchNorm, whose gradient the engine derives, in both modes.

Run it with ``python examples/wrong_backward.py``.
"""

from __future__ import annotations

import argparse
import sys

import numpy

from tinygrad_bn import Function, Tensor
from tinygrad_bn.batchnorm import batch_norm
from tinygrad_bn.check import compare


class SimplifiedBatchNorm(Function):
    """BatchNorm with the right forward and the lecture-note backward.

    Inputs (x, weight, bias[, running_mean, running_var]); in training mode the
    batch statistics are used, in eval mode the running ones.
    """

    def forward(self, x, weight, bias, *running, training, eps):
        self.axes = (0,) + tuple(range(2, x.ndim))
        self.param_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        if training:
            mean = x._data.mean(axis=self.axes, keepdims=True)  # μ
            var = ((x._data - mean) ** 2).mean(axis=self.axes, keepdims=True)  # σ², biased
        else:
            mean, var = (r._data.reshape(self.param_shape) for r in running)
        inv_std = 1 / x.xp.sqrt(var + eps)
        # μ and inv_std are saved as constants: that is the simplification
        self.save_for_backward(x, weight, Tensor(mean), Tensor(inv_std))
        x_hat = (x._data - mean) * inv_std
        return weight._data.reshape(self.param_shape) * x_hat + bias._data.reshape(self.param_shape)

    def backward(self, dy):
        x, weight, mean, inv_std = self.saved_tensors
        x_hat = (x - mean) * inv_std
        dx = dy * weight.reshape(self.param_shape) * inv_std  # dx = dy·γ/√(σ² + ε)
        dgamma = (dy * x_hat).sum(self.axes)  # Σ dy·x̂
        dbeta = dy.sum(self.axes)  # Σ dy
        return dx, dgamma, dbeta, *(None for _ in self.parents[3:])


def simplified(training: bool):
    def fn(x, weight, bias, *running):
        return SimplifiedBatchNorm.apply(x, weight, bias, *running, training=training, eps=1e-5)

    return fn


def composite(training: bool):
    def fn(x, weight, bias, running_mean=None, running_var=None):
        return batch_norm(x, running_mean, running_var, weight, bias, training=training, impl="composite")

    return fn


def cross_check(training: bool, shape=(16, 4), seed=0):
    """Compare the simplified rule with the composite BatchNorm on 5·randn + 12 data,
    in float64, with the composite as the reference."""
    rng = numpy.random.default_rng(seed)
    channels = shape[1]
    names = ["x", "weight", "bias"]
    inputs = [
        Tensor(5 * rng.standard_normal(shape) + 12, requires_grad=True),
        Tensor(1 + 0.5 * rng.standard_normal(channels), requires_grad=True),
        Tensor(rng.standard_normal(channels), requires_grad=True),
    ]
    if not training:
        names += ["running_mean", "running_var"]
        inputs += [Tensor(12 + rng.standard_normal(channels)), Tensor(25 * rng.uniform(0.5, 1.5, channels))]
    mode = "training" if training else "eval"
    title = f"simplified backward vs composite BatchNorm, {mode} mode, {shape}"
    return compare(simplified(training), composite(training), inputs, reference=composite(training),
                   names=("simplified", "composite"), reference_name="composite float64",
                   input_names=names, title=title)


def main() -> int:
    training, evaluation = cross_check(training=True), cross_check(training=False)
    print(training, end="\n\n")
    print(evaluation, end="\n\n")
    dx = training.row("grad", "x")
    caught = not dx.a_b.passed and training.row("output", "y").passed
    if caught and evaluation.passed:
        print(f"Training mode: the simplified dx is off by {dx.a_b.rel:.0%} of the largest gradient, "
              "while the forward pass agrees; eval mode: every term agrees.")
        return 0
    print("unexpected: the cross-check did not separate the two modes", file=sys.stderr)
    return 1


if __name__ == "__main__":
    # no options: --help prints what the script does (and writes nothing)
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    sys.exit(main())
