"""Inference with BatchNorm folded into the layer before it, against the unfolded model.

The model: a small CNN, conv → BN → ReLU twice, then Linear → BN1d → ReLU → Linear,
in eval mode with running statistics far from (0, 1), on a batch of float32 images.
Folding (``nn.utils.fold_batch_norm``) turns each conv/Linear → BN pair into one
layer, so the folded model skips three BatchNorms per forward. When PyTorch is
installed, the same model with the same state runs in PyTorch, unfolded and fused by
``torch.nn.utils.fuse_conv_bn_eval`` / ``fuse_linear_bn_eval``. All candidates are
timed in alternating blocks (:func:`time_apart`); the report gives medians, each
framework's folded/unfolded ratio, and the error budget of folding (``fold_error``).
"""

from __future__ import annotations

import statistics

import numpy

from tinygrad_bn import Tensor, nn, no_grad
from tinygrad_bn.timing import RUNS, format_ms, interleaved_runs, median_of_runs, optional_torch, ratios_of_runs

BATCH = 64
HEADING = "fold: eval-mode inference of a CNN with 3 BatchNorms, median per call over {runs} interleaved runs"
IMAGE = (3, 16, 16)
WIDTHS = (16, 32)
HIDDEN = 64
CLASSES = 10


def cnn_bn(nn_namespace, image=IMAGE, widths=WIDTHS, hidden=HIDDEN, classes=CLASSES):
    """The benchmark's model, built from ``torch.nn`` or ``tinygrad_bn.nn``."""
    layers, channels = [], image[0]
    for width in widths:
        layers += [nn_namespace.Conv2d(channels, width, 3, padding=1, bias=False),
                   nn_namespace.BatchNorm2d(width), nn_namespace.ReLU()]
        channels = width
    flat = channels * image[1] * image[2]
    return nn_namespace.Sequential(
        *layers, nn_namespace.Flatten(),
        nn_namespace.Linear(flat, hidden), nn_namespace.BatchNorm1d(hidden), nn_namespace.ReLU(),
        nn_namespace.Linear(hidden, classes),
    )


def trained_state(model, rng) -> dict:
    """``model``'s state with running statistics and γ, β as after training, as NumPy arrays."""
    state = {key: value.numpy().copy() for key, value in model.state_dict().items()}
    for key, value in state.items():
        if key.endswith("running_var"):
            state[key] = rng.uniform(0.5, 2.0, value.shape).astype(value.dtype)
        elif value.ndim == 1:  # running means, γ, β and the biases
            state[key] = rng.standard_normal(value.shape).astype(value.dtype)
    return state


def _pytorch_fused(torch, model):
    """The torch Sequential ``model`` (eval mode) with each layer → BN pair fused by PyTorch's functions."""
    layers, modules = [], list(model)
    for index, module in enumerate(modules):
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            continue
        following = modules[index + 1] if index + 1 < len(modules) else None
        if isinstance(following, torch.nn.modules.batchnorm._BatchNorm):
            fuse = torch.nn.utils.fuse_linear_bn_eval if isinstance(module, torch.nn.Linear) \
                else torch.nn.utils.fuse_conv_bn_eval
            module = fuse(module, following)
        layers.append(module)
    return torch.nn.Sequential(*layers).eval()


def candidates(batch: int = BATCH) -> tuple:
    """name -> inference call, and our unfolded model and its input (for the error budget)."""
    rng = numpy.random.default_rng(0)
    ours = cnn_bn(nn)
    state = trained_state(ours, rng)
    ours.load_state_dict(state)
    ours.eval()
    folded = nn.utils.fold_batch_norm(ours)
    x = (rng.standard_normal((batch, *IMAGE))).astype(numpy.float32)
    tx = Tensor(x)

    def infer(model, inputs):
        with no_grad():
            return model(inputs)

    calls = {"unfolded": lambda: infer(ours, tx), "folded": lambda: infer(folded, tx)}
    torch = optional_torch()
    if torch is not None:
        theirs = cnn_bn(torch.nn)
        theirs.load_state_dict({key: torch.from_numpy(value) for key, value in state.items()})
        theirs.eval()
        their_folded = _pytorch_fused(torch, theirs)
        x_torch = torch.from_numpy(x)

        def infer_torch(model):
            with torch.inference_mode():
                return model(x_torch)

        calls["pytorch unfolded"] = lambda: infer_torch(theirs)
        calls["pytorch folded"] = lambda: infer_torch(their_folded)
    return calls, ours, tx


def run(rounds: int = 3, batch: int = BATCH, runs: int = RUNS) -> dict:
    """All candidates in ``runs`` interleaved runs; each ratio is the median of the runs' ratios."""
    calls, model, x = candidates(batch)
    per_run = interleaved_runs(calls, rounds, runs)

    def ratio(numerator, denominator):
        return statistics.median(ratios_of_runs(per_run, numerator, denominator))

    result = {"batch": batch, "image": list(IMAGE), "runs": runs, "median_seconds": median_of_runs(per_run),
              "folded_over_unfolded": ratio("folded", "unfolded"),
              "error_budget": {dtype: error._asdict() for dtype, error in nn.utils.fold_error(model, x).items()}}
    if "pytorch folded" in calls:
        result["pytorch_folded_over_unfolded"] = ratio("pytorch folded", "pytorch unfolded")
        result["folded_over_pytorch_folded"] = ratio("folded", "pytorch folded")
    return result


def report(result: dict, heading: bool = True) -> str:
    seconds = result["median_seconds"]
    image = "x".join(str(n) for n in result["image"])
    lines = [HEADING.format(runs=result["runs"])] if heading else []
    lines += [f"  batch {result['batch']} of {image} float32",
              f"  {'':<12} {'unfolded':>11} {'folded':>11}   folded/unfolded",
             f"  {'tinygrad_bn':<12} {format_ms(seconds['unfolded'])} {format_ms(seconds['folded'])}   "
             f"{result['folded_over_unfolded']:15.2f}"]
    if "pytorch_folded_over_unfolded" in result:
        lines.append(f"  {'pytorch':<12} {format_ms(seconds['pytorch unfolded'])} "
                     f"{format_ms(seconds['pytorch folded'])}   {result['pytorch_folded_over_unfolded']:15.2f}")
        lines.append(f"  folded tinygrad_bn / folded pytorch = {result['folded_over_pytorch_folded']:.2f}")
    else:
        lines.append("  (PyTorch is not installed: pip install -e '.[torch]' for its fused model beside ours)")
    budget = ", ".join(f"{dtype} {error['max_abs']:.2e} | {error['max_rel']:.2e}"
                       for dtype, error in result["error_budget"].items())
    lines.append(f"  error budget, max |folded - unfolded| (absolute | relative to max |unfolded|): {budget}")
    return "\n".join(lines)
