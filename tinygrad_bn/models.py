"""The toy models of the training job, an MLP or a small CNN with fused, composite
or no BatchNorm, and how much memory training one takes, known before it is built.
"""

from __future__ import annotations

import math
import os

from tinygrad_bn import nn

MODELS = ("mlp", "cnn")


def _normalized(layer, norm: str, features: int, batch_norm_cls) -> list:
    """``layer`` followed by BatchNorm of the chosen implementation (or by nothing)."""
    if norm == "none":
        return [layer]
    return [layer, batch_norm_cls(features, impl=norm)]


def build_model(model: str, norm: str, feature_shape: tuple, num_classes: int, hidden: int = 128):
    """An MLP (two hidden layers of ``hidden`` units) or a CNN (two 3×3 conv blocks
    with 2×2 max pooling), each hidden layer followed by BatchNorm (unless ``norm``
    is "none") and ReLU. Layers before a BatchNorm have no bias: BN's shift β
    takes its place.

    >>> build_model("mlp", "fused", (2,), 3, hidden=4)  # doctest: +ELLIPSIS
    Sequential(
      (0): Flatten(...)
      (1): Linear(in_features=2, out_features=4, bias=False)
      (2): BatchNorm1d(4, ...)
      ...
    """
    bias = norm == "none"
    if model == "mlp":
        layers, width = [nn.Flatten()], math.prod(feature_shape)
        for _ in range(2):
            layers += _normalized(nn.Linear(width, hidden, bias=bias), norm, hidden, nn.BatchNorm1d)
            layers.append(nn.ReLU())
            width = hidden
        return nn.Sequential(*layers, nn.Linear(width, num_classes))
    if model == "cnn":
        if len(feature_shape) != 3:
            raise ValueError(
                f"the cnn model needs images of shape (C, H, W), got samples of shape {feature_shape}: "
                "use --model mlp for this dataset"
            )
        channels, height, width = feature_shape
        layers = []
        for out in (16, 32):
            conv = nn.Conv2d(channels, out, kernel_size=3, padding=1, bias=bias)
            layers += [*_normalized(conv, norm, out, nn.BatchNorm2d), nn.ReLU(), nn.MaxPool2d(2)]
            channels, height, width = out, height // 2, width // 2
        return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * height * width, num_classes))
    raise ValueError(f"unknown model {model!r}: expected one of {', '.join(MODELS)}")


def model_size(model: str, feature_shape: tuple, num_classes: int, hidden: int) -> tuple[int, int]:
    """``(weights, widths)`` of :func:`build_model`'s model, without building it: the
    number of its Linear and Conv2d weights (all its parameters but the few per
    channel), and the sum of its layers' output widths per sample.

    >>> model_size("mlp", (64,), 10, hidden=128)
    (25856, 266)
    """
    if model == "mlp":
        widths = [math.prod(feature_shape), hidden, hidden, num_classes]
        return sum(a * b for a, b in zip(widths, widths[1:])), sum(widths[1:])
    channels, height, width = feature_shape
    weights = 9 * channels * 16 + 9 * 16 * 32 + 32 * (height // 4) * (width // 4) * num_classes
    return weights, 16 * height * width + 32 * (height // 2) * (width // 2) + num_classes


def training_bytes(model: str, feature_shape: tuple, num_classes: int, hidden: int, batch_size: int) -> int:
    """About how many bytes training the model takes in float32: each weight three
    times (its value, gradient and momentum), and each layer's outputs for a batch
    about four times (the layer's, BatchNorm's, ReLU's and their gradient)."""
    weights, widths = model_size(model, feature_shape, num_classes, hidden)
    return 4 * (3 * weights + 4 * batch_size * widths)


def machine_memory() -> int | None:
    """The bytes of this machine's physical memory, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_fits_in_memory(model: str, feature_shape: tuple, num_classes: int, hidden: int, batch_size: int):
    """Refuse, before anything is allocated, a model that would not fit in this machine's memory."""
    if model == "cnn" and len(feature_shape) != 3:
        return  # build_model refuses it
    needed, memory = training_bytes(model, feature_shape, num_classes, hidden, batch_size), machine_memory()
    if memory is not None and needed > memory:
        weights, _ = model_size(model, feature_shape, num_classes, hidden)
        raise ValueError(
            f"the {model} with hidden={hidden} and batch_size={batch_size} needs about {binary_units(needed)} "
            f"to train ({weights:.3g} weights), more than this machine's {binary_units(memory)} of memory: "
            "choose a smaller --hidden (or --batch-size)"
        )


def binary_units(count: float) -> str:
    """A byte count for people.

    >>> binary_units(512), binary_units(4 * 2**40)
    ('512 B', '4 TiB')
    """
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    power = 0
    while count >= 1024 and power < len(units) - 1:
        count, power = count / 1024, power + 1
    return f"{count:.3g} {units[power]}"
