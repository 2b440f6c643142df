"""BN's claim: with BatchNorm a network trains at much higher learning rates and is
insensitive to the scale of its weights (BN(a·W·u) = BN(W·u)).

A ReLU MLP 64-100-100-100-10 on the 8×8 digits, SGD with momentum 0.9, batch 60,
with and without BatchNorm:
  1. learning rate ×1, ×5, ×30 of a base rate that suits the plain network;
  2. hidden-layer weights multiplied by 0.1, 1, 10 after PyTorch's default init,
     at the base rate.

Writes the table into docs/experiments.md and the figure to
docs/images/bn_learning_rates.png.  Run: python examples/bn_learning_rates.py
"""

from __future__ import annotations

import argparse

from bn_common import digits, markdown_table, mlp, percent, pyplot, save_figure, train, write_section

from tinygrad_bn import nn, optim

WIDTHS = (64, 100, 100, 100, 10)
BASE_LR = 0.01
MULTIPLIERS = (1, 5, 30)
INIT_SCALES = (0.1, 1.0, 10.0)
EPOCHS = 25
BATCH = 60
TARGET = 0.95
NORMS = {"none": "without BN", "fused": "with BN"}


def one_run(norm, lr_multiplier=1, init_scale=1.0):
    loader, test_set = digits(BATCH)
    model = mlp(WIDTHS, nn.ReLU, norm, init_scale=init_scale)
    optimizer = optim.SGD(model.parameters(), lr=BASE_LR * lr_multiplier, momentum=0.9)
    label = f"{NORMS[norm]}, lr ×{lr_multiplier}, init ×{init_scale:g}"
    return train(label, model, optimizer, loader, test_set, EPOCHS)


def row(run, *cells):
    outcome = "diverged (loss not finite)" if run.diverged else percent(run.final_accuracy)
    steps = run.steps_to(TARGET)
    return [*cells, outcome, percent(max(run.test_accuracy)), "never" if steps is None else steps]


def main():
    runs = {(norm, m, 1.0): one_run(norm, lr_multiplier=m) for norm in NORMS for m in MULTIPLIERS}
    runs.update({(norm, 1, s): one_run(norm, init_scale=s) for norm in NORMS for s in INIT_SCALES if s != 1.0})
    header = ["network", "lr", "init scale", f"test acc. after {EPOCHS} epochs", "best test acc.",
              f"steps to {TARGET:.0%} test acc."]
    rows = [row(runs[norm, m, 1.0], NORMS[norm], f"{BASE_LR * m:g} (×{m})", "1")
            for m in MULTIPLIERS for norm in NORMS]
    rows += [row(runs[norm, 1, s], NORMS[norm], f"{BASE_LR:g} (×1)", f"{s:g}")
             for s in INIT_SCALES if s != 1.0 for norm in NORMS]
    steps_per_epoch = len(digits(BATCH)[0])
    write_section("bn_learning_rates", markdown_table(header, rows)
                  + f"\n\n{steps_per_epoch} steps per epoch; test accuracy measured after every epoch.")
    plot(runs)


def plot(runs):
    plt = pyplot()
    if plt is None:
        return
    figure, (by_lr, by_scale) = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    colours = {1: "tab:blue", 5: "tab:orange", 30: "tab:red", 0.1: "tab:green", 10.0: "tab:purple"}
    styles = {"none": "--", "fused": "-"}
    for (norm, m, s), run in runs.items():
        axes, key = (by_lr, m) if s == 1.0 else (by_scale, s)
        axes.plot(run.eval_steps, run.test_accuracy, styles[norm], color=colours[key], label=run.label,
                  marker="x" if run.diverged else None)
        if s == 1.0 and m == 1:
            by_scale.plot(run.eval_steps, run.test_accuracy, styles[norm], color="tab:blue", label=run.label)
    by_lr.set(title="learning rate ×1, ×5, ×30", xlabel="training step", ylabel="test accuracy", ylim=(0, 1))
    by_scale.set(title="hidden weights ×0.1, ×1, ×10 (lr ×1)", xlabel="training step")
    for axes in (by_lr, by_scale):
        axes.legend(fontsize=7, loc="lower right")
        axes.grid(alpha=0.3)
    save_figure(figure, "bn_learning_rates.png")


if __name__ == "__main__":
    # no options: --help prints what the script does (and writes nothing)
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
