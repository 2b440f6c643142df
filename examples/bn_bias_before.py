"""The notes' claim: a bias before BatchNorm is redundant. In training mode BN
subtracts each channel's batch mean, so a constant b added before it cancels:
its gradient Σ dx is zero (docs/batchnorm.md, (B7)), and removing it changes nothing.

A ReLU MLP 64-100-100-10 on the 8×8 digits, Linear → BatchNorm1d → ReLU, SGD with
momentum 0.9, batch 60, trained twice from the same weights and batches: once with
the biases before BN, once without. Measured in float32 and float64 at every
step: the bias gradient against the weight gradient, and the two runs' losses;
at the end, their test accuracies and eval-mode outputs (the bias moves into the
running mean).

Writes the table into docs/experiments.md.  Run: python examples/bn_bias_before.py
(--tiny: a few steps of a small network, printed only).
"""

from __future__ import annotations

import argparse

import numpy
from bn_common import digits, markdown_table, percent, write_section

from tinygrad_bn import Tensor, manual_seed, nn, no_grad, optim
from tinygrad_bn.nn import functional as F

SETTINGS = {
    "full": {"widths": (64, 100, 100, 10), "epochs": 10, "max_steps": None},
    "tiny": {"widths": (64, 16, 10), "epochs": 1, "max_steps": 5},
}
BATCH = 60
LR = 0.1
MOMENTUM = 0.9
DTYPES = ("float32", "float64")


def mlp(widths, bias: bool, dtype: str) -> nn.Sequential:
    layers = [nn.Flatten()]
    for width_in, width_out in zip(widths[:-2], widths[1:-1], strict=True):
        layers += [nn.Linear(width_in, width_out, bias=bias), nn.BatchNorm1d(width_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(widths[-2], widths[-1])).to(dtype=dtype)


def twins(widths, dtype: str) -> tuple:
    """The MLP with biases before BN (drawn like PyTorch's), and the same weights without them."""
    manual_seed(0)
    with_bias = mlp(widths, True, dtype)
    without = mlp(widths, False, dtype)
    state = with_bias.state_dict()
    without.load_state_dict({key: state[key] for key in without.state_dict()})
    return with_bias, without


def bn_pairs(model) -> list:
    """(Linear, the BatchNorm1d it feeds) of each hidden layer."""
    layers = list(model)
    return [(layer, after) for layer, after in zip(layers, layers[1:]) if isinstance(after, nn.BatchNorm1d)]


def step(model, optimizer, x, target) -> float:
    loss = F.cross_entropy(model(x), target)
    optimizer.zero_grad()
    loss.backward()
    return loss.item()


def measure(dtype: str, widths, epochs: int, max_steps) -> dict:
    with_bias, without = twins(widths, dtype)
    optimizers = [optim.SGD(m.parameters(), lr=LR, momentum=MOMENTUM) for m in (with_bias, without)]
    loader, test_set = digits(BATCH)
    gradient_ratio, loss_gap, steps = 0.0, 0.0, 0
    for _ in range(epochs):
        with_bias.train(), without.train()
        for x, target in loader:
            x = Tensor(x, dtype=dtype)
            losses = [step(model, optimizer, x, target) for model, optimizer in zip((with_bias, without), optimizers)]
            for linear, _ in bn_pairs(with_bias):
                # ∂L/∂b = Σ_batch dx, zero by (B7) up to rounding, against the weight's gradient
                ratio = numpy.abs(linear.bias.grad.numpy()).max() / numpy.abs(linear.weight.grad.numpy()).max()
                gradient_ratio = max(gradient_ratio, ratio)
            loss_gap = max(loss_gap, abs(losses[0] - losses[1]) / losses[1])
            for optimizer in optimizers:
                optimizer.step()
            steps += 1
            if steps == max_steps:
                break
    test_x = Tensor(test_set.features, dtype=dtype)
    with no_grad():
        outputs = [model.eval()(test_x).numpy() for model in (with_bias, without)]
    accuracy = [float((output.argmax(1) == test_set.labels).mean()) for output in outputs]
    # the bias lives on in the running mean, which starts at 0 and absorbs the fraction 1 − (1 − momentum)^t of it:
    # running_mean(with) − running_mean(without) = (1 − 0.9^t)·b
    absorbed = 1 - (1 - 0.1) ** steps
    shift = max(numpy.abs(a[1].running_mean.numpy() - b[1].running_mean.numpy() - absorbed * a[0].bias.numpy()).max()
                for a, b in zip(bn_pairs(with_bias), bn_pairs(without)))
    return {
        "dtype": dtype, "steps": steps, "gradient_ratio": gradient_ratio, "loss_gap": loss_gap,
        "accuracy": accuracy, "output_gap": float(numpy.abs(outputs[0] - outputs[1]).max()),
        "output_scale": float(numpy.abs(outputs[1]).max()), "running_mean_shift": float(shift),
    }


def table(results) -> str:
    header = ["dtype", "steps", "max over steps of ‖∂L/∂b‖∞ / ‖∂L/∂W‖∞", "max relative loss gap",
              "test acc. with bias", "test acc. without", "‖Δ eval logits‖∞ (of ‖logits‖∞)",
              "‖Δ running_mean − (1 − 0.9ᵗ)·b‖∞"]
    rows = [[r["dtype"], r["steps"], f"{r['gradient_ratio']:.1e}", f"{r['loss_gap']:.1e}",
             percent(r["accuracy"][0]), percent(r["accuracy"][1]),
             f"{r['output_gap']:.1e} (of {r['output_scale']:.1f})", f"{r['running_mean_shift']:.1e}"]
            for r in results]
    return markdown_table(header, rows)


def main(tiny: bool):
    settings = SETTINGS["tiny" if tiny else "full"]
    body = table([measure(dtype, **settings) for dtype in DTYPES])
    if tiny:
        print(body)
    else:
        write_section("bn_bias_before", body)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="a few steps of a small network; print, write nothing")
    main(parser.parse_args().tiny)
