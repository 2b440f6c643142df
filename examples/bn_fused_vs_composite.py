"""The two BatchNorm twins train to the same curve.

The default ``tinygrad-bn train`` model (MLP 64-128-128-10, Linear → BatchNorm1d →
ReLU, SGD lr 0.1 momentum 0.9, batch 64, 15 epochs on the 8×8 digits) is trained
twice from the same seed, once with the fused BatchNorm (hand-derived backward)
and once with the composite one (gradient derived by the engine), in float32
and in float64. Everything else is identical, so any difference in the loss
curves comes from the two implementations' rounding.

Writes the table into docs/experiments.md and the figure to
docs/images/bn_fused_vs_composite.png.  Run: python examples/bn_fused_vs_composite.py
"""

from __future__ import annotations

import argparse

import numpy
from bn_common import digits, markdown_table, mlp, percent, pyplot, save_figure, train, write_section

from tinygrad_bn import nn, optim

WIDTHS = (64, 128, 128, 10)
LR = 0.1
MOMENTUM = 0.9
BATCH = 64
EPOCHS = 15
DTYPES = ("float32", "float64")
IMPLS = ("fused", "composite")
FLOOR = 1e-18


def one_run(impl, dtype):
    loader, test_set = digits(BATCH, dtype)
    model = mlp(WIDTHS, nn.ReLU, impl).to(dtype=dtype)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    run = train(f"{impl}, {dtype}", model, optimizer, loader, test_set, EPOCHS)
    return run, {key: tensor.numpy() for key, tensor in model.state_dict().items()}


def main():
    results = {(impl, dtype): one_run(impl, dtype) for dtype in DTYPES for impl in IMPLS}
    header = ["dtype", "max abs. loss difference", "at step", "largest weight difference (rel.)",
              "test acc. fused / composite"]
    rows = []
    for dtype in DTYPES:
        (fused, fused_state), (composite, composite_state) = (results[impl, dtype] for impl in IMPLS)
        gap = numpy.abs(numpy.subtract(fused.losses, composite.losses))
        weights = max(
            numpy.abs(fused_state[key] - composite_state[key]).max() / numpy.abs(fused_state[key]).max()
            for key in fused_state
            if fused_state[key].dtype.kind == "f" and numpy.abs(fused_state[key]).max() > 0
        )
        rows.append([dtype, f"{gap.max():.1e}", int(gap.argmax()) + 1, f"{weights:.1e}",
                     f"{percent(fused.final_accuracy)} / {percent(composite.final_accuracy)}"])
    steps = len(results["fused", "float32"][0].losses)
    write_section("bn_fused_vs_composite", markdown_table(header, rows)
                  + f"\n\n{steps} steps per run; weight difference: max |fused − composite| / max |fused| "
                  "over each final parameter and running statistic, the largest of them.")
    plot(results)


def plot(results):
    plt = pyplot()
    if plt is None:
        return
    figure, (curves, gaps) = plt.subplots(1, 2, figsize=(10, 3.6))
    for impl, style in zip(IMPLS, ("-", "--"), strict=True):
        run = results[impl, "float32"][0]
        curves.plot(numpy.arange(1, len(run.losses) + 1), run.losses, style, label=run.label, alpha=0.8)
    curves.set(title="(a) training loss per step", xlabel="training step", ylabel="cross-entropy", yscale="log")
    curves.legend()
    for dtype in DTYPES:
        fused, composite = (results[impl, dtype][0] for impl in IMPLS)
        relative = numpy.abs(numpy.subtract(fused.losses, composite.losses)) / numpy.abs(fused.losses)
        gaps.plot(numpy.arange(1, len(relative) + 1), numpy.maximum(relative, FLOOR), ".", markersize=3,
                  label=dtype)
    gaps.set(title=f"(b) |Δ loss| / loss (exact zeros drawn at {FLOOR:g})", xlabel="training step",
             yscale="log")
    gaps.legend()
    for axes in (curves, gaps):
        axes.grid(alpha=0.3)
    save_figure(figure, "bn_fused_vs_composite.png")


if __name__ == "__main__":
    # no options: --help prints what the script does (and writes nothing)
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
