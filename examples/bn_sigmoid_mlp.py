"""The BN paper's first experiment in miniature: an MLP of 3 hidden layers of 100
sigmoid units, weights from a small Gaussian N(0, 0.01²), batch 60, trained with
and without BatchNorm on the 8×8 digits (the paper used MNIST and 50,000 steps).

The claims: BN trains faster and reaches higher accuracy, and the distribution of
each sigmoid's input stays stable during training with BN while it drifts without.
After every epoch the inputs of the last hidden layer's sigmoids are recorded on
the test set; the table reports their 15th/50th/85th percentiles' movement.

Writes the table into docs/experiments.md and the figure to
docs/images/bn_sigmoid_mlp.png.  Run: python examples/bn_sigmoid_mlp.py
"""

from __future__ import annotations

import argparse

import numpy
from bn_common import digits, markdown_table, mlp, percent, pyplot, save_figure, train, write_section

from tinygrad_bn import Tensor, nn, no_grad, optim

WIDTHS = (64, 100, 100, 100, 10)
INIT_STD = 0.01
LR = 0.5
MOMENTUM = 0.9
BATCH = 60
EPOCHS = 100
SETTLED_EPOCH = 10  # drift is measured from here to the end
PERCENTILES = (15, 50, 85)
NORMS = {"none": "without BN", "fused": "with BN"}


def last_sigmoid_input(model, x) -> numpy.ndarray:
    """The input of the last Sigmoid layer for the batch ``x``, shape (N, 100)."""
    model.eval()
    last = max(i for i, layer in enumerate(model) if isinstance(layer, nn.Sigmoid))
    with no_grad():
        for layer in list(model)[:last]:
            x = layer(x)
    return x.numpy()


def one_run(norm):
    loader, test_set = digits(BATCH)
    model = mlp(WIDTHS, nn.Sigmoid, norm, init_std=INIT_STD)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    probe = Tensor(test_set.features)
    percentiles = []  # per epoch: array (3 percentiles, 100 units)

    def record(model, step):
        percentiles.append(numpy.percentile(last_sigmoid_input(model, probe), PERCENTILES, axis=0))

    run = train(NORMS[norm], model, optimizer, loader, test_set, EPOCHS, after_epoch=record)
    return run, numpy.stack(percentiles)  # (epochs, 3, units)


def drift(percentiles) -> numpy.ndarray:
    """Per unit and percentile: how far it moved from the settled epoch to the end."""
    return numpy.abs(percentiles[-1] - percentiles[SETTLED_EPOCH - 1])


def main():
    results = {norm: one_run(norm) for norm in NORMS}
    header = ["network", "steps to 90%", "steps to 95%", f"test acc. after {EPOCHS} epochs",
              f"median drift of p15 / p50 / p85 after epoch {SETTLED_EPOCH}", "p85 − p15 at the end (median unit)"]
    rows = []
    for run, percentiles in results.values():
        moved = numpy.median(drift(percentiles), axis=1)
        spread = numpy.median(percentiles[-1, 2] - percentiles[-1, 0])
        rows.append([run.label, run.steps_to(0.9) or "never", run.steps_to(0.95) or "never",
                     percent(run.final_accuracy), " / ".join(f"{m:.2f}" for m in moved), f"{spread:.2f}"])
    steps = len(results["none"][0].losses)
    write_section("bn_sigmoid_mlp", markdown_table(header, rows)
                  + f"\n\n{steps} steps in all; drift and spread are in units of the sigmoid's input, "
                  "taken over the 100 units of the last hidden layer on the test set.")
    plot(results)


def plot(results):
    plt = pyplot()
    if plt is None:
        return
    figure, panels = plt.subplots(1, 3, figsize=(12, 3.6))
    for norm, (run, _) in results.items():
        panels[0].plot(run.eval_steps, run.test_accuracy, "--" if norm == "none" else "-", label=run.label)
    panels[0].set(title="(a) test accuracy", xlabel="training step", ylim=(0, 1))
    panels[0].legend()
    for axes, (norm, (run, percentiles)) in zip(panels[1:], results.items(), strict=True):
        typical = numpy.argsort(drift(percentiles)[1])[percentiles.shape[2] // 2]  # the unit of median drift
        for k, p in enumerate(PERCENTILES):
            axes.plot(run.eval_steps, percentiles[:, k, typical], ":-:"[k], color="k",
                      label=f"{p}th percentile" if k != 1 else "median")
        axes.set(title=f"({'bc'[norm == 'fused']}) sigmoid input {run.label}, unit {typical}",
                 xlabel="training step")
        axes.legend(fontsize=7)
    for axes in panels:
        axes.grid(alpha=0.3)
    save_figure(figure, "bn_sigmoid_mlp.png")


if __name__ == "__main__":
    # no options: --help prints what the script does (and writes nothing)
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
