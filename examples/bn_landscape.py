"""The notes' claim, after Santurkar et al. (2018, "How does batch normalization help
optimization?"): BatchNorm makes the loss landscape smoother, so the loss and its
gradient change less, and more predictably, along the direction a step takes.

Their "loss landscape" and "gradient predictiveness" measurements in miniature: a
ReLU MLP 64-100-100-100-10 on the 8×8 digits, SGD with momentum 0.9, lr 0.1, batch 60,
with and without BatchNorm. At every training step, on that step's batch, the loss
L and the gradient g are also evaluated at the points w − η·g for η = lr × (0.25,
0.5, 1, 2, 4): the spread (max − min) of those losses is the loss's variation, and
the largest ‖∇L(w − η·g) − g‖ the gradient's (Santurkar et al. also divide it by
‖η·g‖, the "effective β-smoothness"). Probing leaves the model as it was
(BatchNorm's running statistics included).

Writes the table into docs/experiments.md and the figure to
docs/images/bn_landscape.png.  Run: python examples/bn_landscape.py
(--tiny: a few steps of a small network, printed only).
"""

from __future__ import annotations

import argparse
import copy
import statistics

import numpy
from bn_common import digits, markdown_table, pyplot, save_figure, write_section

from tinygrad_bn import manual_seed, nn, no_grad, optim
from tinygrad_bn.nn import functional as F

SETTINGS = {
    "full": {"widths": (64, 100, 100, 100, 10), "epochs": 10, "max_steps": None},
    "tiny": {"widths": (64, 16, 10), "epochs": 1, "max_steps": 3},
}
BATCH = 60
LR = 0.1
MOMENTUM = 0.9
ETAS = tuple(LR * f for f in (0.25, 0.5, 1.0, 2.0, 4.0))
NORMS = {"none": "without BN", "fused": "with BN"}


def mlp(widths, norm: str) -> nn.Sequential:
    manual_seed(0)
    layers = [nn.Flatten()]
    for width_in, width_out in zip(widths[:-2], widths[1:-1], strict=True):
        layers.append(nn.Linear(width_in, width_out, bias=norm == "none"))
        layers += [] if norm == "none" else [nn.BatchNorm1d(width_out)]
        layers.append(nn.ReLU())
    return nn.Sequential(*layers, nn.Linear(widths[-2], widths[-1]))


def loss_and_gradient(model, x, target) -> tuple:
    """L on the batch and ∇L as one flat vector."""
    model.zero_grad()
    loss = F.cross_entropy(model(x), target)
    loss.backward()
    return loss.item(), numpy.concatenate([p.grad.numpy().ravel() for p in model.parameters()])


def probe(model, probe_model, x, target, gradient) -> tuple:
    """Losses and gradients at w − η·g for each η in ETAS, computed on a copy of the model."""
    losses, gradients = [], []
    for eta in ETAS:
        probe_model.load_state_dict(model.state_dict())
        with no_grad():
            offset = 0
            for p in probe_model.parameters():
                p._data -= eta * gradient[offset:offset + p.size].reshape(p.shape).astype(p.dtype)
                offset += p.size
        loss, probe_gradient = loss_and_gradient(probe_model, x, target)
        losses.append(loss)
        gradients.append(probe_gradient)
    return losses, gradients


def measure(norm: str, widths, epochs: int, max_steps) -> dict:
    model = mlp(widths, norm)
    probe_model = copy.deepcopy(model)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loader, _ = digits(BATCH)
    record = {"loss": [], "loss_range": [], "gradient_change": [], "beta_smoothness": []}
    for _ in range(epochs):
        model.train()
        for x, target in loader:
            loss, gradient = loss_and_gradient(model, x, target)
            losses, gradients = probe(model, probe_model, x, target, gradient)
            changes = [numpy.linalg.norm(g - gradient) for g in gradients]
            record["loss"].append(loss)
            record["loss_range"].append(max(losses) - min(losses))
            record["gradient_change"].append(max(changes))
            norm_g = numpy.linalg.norm(gradient)
            record["beta_smoothness"].append(max(c / (eta * norm_g) for c, eta in zip(changes, ETAS)))
            optimizer.step()  # the gradient of w is still in .grad: the probes worked on the copy
            if len(record["loss"]) == max_steps:
                return record
    return record


def summary(records) -> str:
    header = ["network", "steps", "final loss", "loss variation along −g (median, 90th pct.)",
              "max ‖∇L(w − ηg) − ∇L(w)‖ (median, 90th pct.)", "effective β-smoothness (median, 90th pct.)"]

    def spread(values):
        return f"{statistics.median(values):.3g}, {numpy.percentile(values, 90):.3g}"

    rows = [[NORMS[norm], len(r["loss"]), f"{r['loss'][-1]:.3f}", spread(r["loss_range"]),
             spread(r["gradient_change"]), spread(r["beta_smoothness"])] for norm, r in records.items()]
    return markdown_table(header, rows)


def plot(records):
    plt = pyplot()
    if plt is None:
        return
    figure, panels = plt.subplots(1, 3, figsize=(13, 3.6))
    colours = {"none": "tab:blue", "fused": "tab:red"}
    for key, axes, title in zip(("loss_range", "gradient_change", "beta_smoothness"), panels,
                                ("loss landscape: variation of L along −g", "gradient predictiveness: "
                                 "max ‖∇L(w − ηg) − g‖", "effective β-smoothness"), strict=True):
        for norm, record in records.items():
            axes.plot(record[key], color=colours[norm], lw=0.8, label=NORMS[norm])
        axes.set(title=title, xlabel="training step", yscale="log")
        axes.legend(fontsize=8)
        axes.grid(alpha=0.3)
    save_figure(figure, "bn_landscape.png")


def main(tiny: bool):
    settings = SETTINGS["tiny" if tiny else "full"]
    records = {norm: measure(norm, **settings) for norm in NORMS}
    steps = len(next(iter(records.values()))["loss"])
    body = summary(records) + (f"\n\n{steps} steps; at each, η = lr × (0.25, 0.5, 1, 2, 4) with lr = {LR}."
                               " Medians and 90th percentiles over the steps.")
    if tiny:
        print(body)
    else:
        write_section("bn_landscape", body)
        plot(records)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="a few steps of a small network; print, write nothing")
    main(parser.parse_args().tiny)
