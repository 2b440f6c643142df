"""How noisy BatchNorm's batch statistics are at batch sizes N = 2, 4, 16, 64, and
what eval mode does with them.

The pre-BN activations h = W·x of a Linear(64, 100) layer (PyTorch's init, seed 0)
on the 8×8 digits' 1,438 training images have per-channel population statistics
μ and σ². For each N, random batches give batch statistics μ_B and σ²_B (what
training mode normalizes with); their spread per step is measured in units of the
population's (sampling theory: std(μ_B)/σ ≈ 1/√N, and E[σ²_B]/σ² = (N − 1)/N, as
the biased variance normalizes). A BatchNorm1d with PyTorch's momentum 0.1 fed the
same batches keeps running statistics, which eval mode uses: their spread around
the population's, and their mean (running_var stores the unbiased variance).
Finally an MLP 64-100-100-10 with BatchNorm is trained at each N (3 epochs,
lr 0.1·N/64 by the linear scaling rule) and tested in eval mode (running
statistics) and in training mode (each test batch of N normalized by its own).

Writes the tables into docs/experiments.md and the figure to
docs/images/bn_batch_noise.png.  Run: python examples/bn_batch_noise.py
(--tiny: fewer batches and one short training, printed only).
"""

from __future__ import annotations

import argparse

import numpy
from bn_common import digits, markdown_table, percent, pyplot, save_figure, write_section

from tinygrad_bn import Tensor, data, manual_seed, nn, no_grad, optim
from tinygrad_bn.train import evaluate, train_step

SETTINGS = {
    "full": {"sizes": (2, 4, 16, 64), "batches": 1000, "burn_in": 100, "epochs": 3, "train_sizes": (2, 4, 16, 64)},
    "tiny": {"sizes": (2, 64), "batches": 60, "burn_in": 20, "epochs": 1, "train_sizes": (64,)},
}
MOMENTUM = 0.1
WIDTH = 100


def activations() -> numpy.ndarray:
    """h = W·x for every training image, shape (1438, 100), float64."""
    manual_seed(0)
    layer = nn.Linear(64, WIDTH, bias=False)
    train_set, _ = data.load("digits")
    return train_set.features.reshape(len(train_set), -1).astype(numpy.float64) @ layer.weight.numpy().T


def noise(h: numpy.ndarray, n: int, batches: int, burn_in: int, rng) -> dict:
    """Spread of the batch statistics and of BatchNorm's running statistics, in population units."""
    mean, var = h.mean(axis=0), h.var(axis=0)
    bn = nn.BatchNorm1d(WIDTH, momentum=MOMENTUM, dtype="float64")
    batch_mean, batch_var, running_mean, running_var = [], [], [], []
    for step in range(batches):
        batch = h[rng.choice(len(h), n, replace=False)]
        batch_mean.append((batch.mean(axis=0) - mean) / numpy.sqrt(var))
        batch_var.append(batch.var(axis=0) / var)
        with no_grad():
            bn(Tensor(batch))
        if step >= burn_in:
            running_mean.append((bn.running_mean.numpy() - mean) / numpy.sqrt(var))
            running_var.append(bn.running_var.numpy() / var)
    # per channel over steps, then the average over the 100 channels
    return {
        "n": n,
        "batch_mean_std": float(numpy.std(batch_mean, axis=0).mean()),
        "batch_var_mean": float(numpy.mean(batch_var)),
        "batch_var_std": float(numpy.std(batch_var, axis=0).mean()),
        "running_mean_std": float(numpy.std(running_mean, axis=0).mean()),
        "running_mean_bias": float(numpy.abs(numpy.mean(running_mean, axis=0)).mean()),
        "running_var_mean": float(numpy.mean(running_var)),
        "running_var_std": float(numpy.std(running_var, axis=0).mean()),
    }


def train_at(n: int, epochs: int) -> dict:
    """Test accuracy of an MLP-BN trained at batch ``n``: eval mode, and training mode on test batches of ``n``."""
    manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 100, bias=False), nn.BatchNorm1d(100), nn.ReLU(),
                          nn.Linear(100, 100, bias=False), nn.BatchNorm1d(100), nn.ReLU(), nn.Linear(100, 10))
    optimizer = optim.SGD(model.parameters(), lr=0.1 * n / 64, momentum=0.9)
    loader, test_set = digits(n)
    for _ in range(epochs):
        model.train()
        for x, target in loader:
            train_step(model, optimizer, x, target)
    eval_accuracy = evaluate(model, test_set)[1]
    model.train()
    correct, seen = 0, 0
    with no_grad():
        for x, target in data.DataLoader(test_set, batch_size=n, drop_last=True):
            correct += int((model(x).numpy().argmax(axis=1) == target.numpy()).sum())
            seen += len(target)
    # training-mode forwards moved the running statistics; the model is not used after this
    return {"n": n, "steps": epochs * len(loader), "eval": eval_accuracy, "train_mode": correct / seen}


def tables(rows, trained) -> str:
    header = ["N", "std(μ_B)/σ", "1/√N", "mean σ²_B/σ²", "(N − 1)/N", "std(σ²_B/σ²)",
              "std(running_mean)/σ", "mean running_var/σ²", "std(running_var/σ²)"]
    noise_rows = [[r["n"], f"{r['batch_mean_std']:.3f}", f"{1 / numpy.sqrt(r['n']):.3f}",
                   f"{r['batch_var_mean']:.3f}", f"{(r['n'] - 1) / r['n']:.3f}", f"{r['batch_var_std']:.3f}",
                   f"{r['running_mean_std']:.3f}", f"{r['running_var_mean']:.3f}", f"{r['running_var_std']:.3f}"]
                  for r in rows]
    train_header = ["N", "steps", "test acc., eval mode (running statistics)",
                    "test acc., training mode (batch statistics of N test images)"]
    train_rows = [[t["n"], t["steps"], percent(t["eval"]), percent(t["train_mode"])] for t in trained]
    return markdown_table(header, noise_rows) + "\n\n" + markdown_table(train_header, train_rows)


def plot(rows):
    plt = pyplot()
    if plt is None:
        return
    figure, (means, variances) = plt.subplots(1, 2, figsize=(10, 3.8))
    n = numpy.array([r["n"] for r in rows])
    means.loglog(n, [r["batch_mean_std"] for r in rows], "o-", label="batch μ_B (training mode)")
    means.loglog(n, [r["running_mean_std"] for r in rows], "s-", label="running_mean (eval mode)")
    means.loglog(n, 1 / numpy.sqrt(n), "k:", label="1/√N")
    means.set(title="spread of the mean, in units of σ", xlabel="batch size N", xticks=n, xticklabels=n)
    for key, label, marker in (("batch_var", "batch σ²_B (training mode)", "o-"),
                               ("running_var", "running_var (eval mode)", "s-")):
        variances.errorbar(n, [r[f"{key}_mean"] for r in rows], yerr=[r[f"{key}_std"] for r in rows],
                           fmt=marker, capsize=3, label=label)
    variances.plot(n, (n - 1) / n, "k:", label="(N − 1)/N")
    variances.set(title="variance / population σ² (mean ± std over steps)", xlabel="batch size N", xscale="log",
                  xticks=n, xticklabels=n)
    for axes in (means, variances):
        axes.minorticks_off()
        axes.legend(fontsize=8)
        axes.grid(alpha=0.3)
    save_figure(figure, "bn_batch_noise.png")


def main(tiny: bool):
    settings = SETTINGS["tiny" if tiny else "full"]
    h, rng = activations(), numpy.random.default_rng(0)
    rows = [noise(h, n, settings["batches"], settings["burn_in"], rng) for n in settings["sizes"]]
    trained = [train_at(n, settings["epochs"]) for n in settings["train_sizes"]]
    body = tables(rows, trained) + (f"\n\n{settings['batches']} random batches per N; running statistics with "
                                    f"momentum {MOMENTUM}, after the first {settings['burn_in']} batches; spreads "
                                    "per channel, averaged over the 100 channels.")
    if tiny:
        print(body)
    else:
        write_section("bn_batch_noise", body)
        plot(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="fewer batches and one short training; print only")
    main(parser.parse_args().tiny)
