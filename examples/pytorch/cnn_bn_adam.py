"""A small CNN with BatchNorm2d on the 8x8 digits: Adam, a cosine learning-rate schedule,
and a shuffling DataLoader with a seeded generator.

A plain PyTorch script. It runs on tinygrad_bn when only its import lines change
(docs/porting.md); tests/test_pytorch_scripts.py runs it both ways and compares every
step's loss.

Run it with ``python examples/pytorch/cnn_bn_adam.py [--epochs N]``.
"""

import argparse
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import CosineAnnealingLR
from torch.utils.data import DataLoader, TensorDataset

# The digits bundled with tinygrad_bn, read with NumPy alone: 1,797 images of 8x8 pixels
# (values 0..16) and their labels 0..9.
DIGITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tinygrad_bn", "data", "digits.npz")


def digits_datasets():
    with np.load(DIGITS) as archive:
        images = torch.tensor(archive["images"][:, None, :, :], dtype=torch.float32) / 16.0
        labels = torch.tensor(archive["labels"], dtype=torch.long)
    return TensorDataset(images[:1500], labels[:1500]), TensorDataset(images[1500:], labels[1500:])


def make_model(dropout=0.25):
    return nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 8x8 -> 4x4
        nn.Conv2d(8, 16, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 4x4 -> 2x2
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(16 * 2 * 2, 10),
    )


def init_from_numpy(model, seed=0):
    """Initial weights drawn by NumPy, uniform in +-1/sqrt(fan_in) as the layers draw their own.

    torch.manual_seed would give each framework's own numbers; a state dict built from
    NumPy's are the same everywhere, so two frameworks start from the same model."""
    rng = np.random.default_rng(seed)
    state = model.state_dict()
    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            fan_in = module.weight[0].numel()
            bound = 1 / math.sqrt(fan_in)
            weight = rng.uniform(-bound, bound, tuple(module.weight.shape))
            state[f"{name}.weight"] = torch.tensor(weight, dtype=torch.float32)
            if module.bias is not None:
                bias = rng.uniform(-bound, bound, tuple(module.bias.shape))
                state[f"{name}.bias"] = torch.tensor(bias, dtype=torch.float32)
    model.load_state_dict(state)


def evaluate(model, loader):
    model.eval()
    correct, total, loss_sum = 0, 0, 0.0
    with torch.no_grad():
        for images, labels in loader:
            logits = model(images)
            loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
            correct += (logits.argmax(1) == labels).sum().item()
            total += labels.size(0)
    return loss_sum / total, correct / total


def main(epochs=3, batch_size=50, dropout=0.25, verbose=True):
    """Train for ``epochs`` passes over the training set; return each step's loss.

    The dropout masks come from each framework's own random numbers: a run that compares
    two frameworks step by step sets ``dropout=0`` (the shuffling order is the same in both,
    drawn from the seeded generator)."""
    train_set, test_set = digits_datasets()
    generator = torch.Generator().manual_seed(0)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=200)

    model = make_model(dropout)
    init_from_numpy(model)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    scheduler = CosineAnnealingLR(optimizer, T_max=epochs * len(train_loader))

    losses = []
    for epoch in range(epochs):
        model.train()
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
        test_loss, test_accuracy = evaluate(model, test_loader)
        if verbose:
            print(f"epoch {epoch}  train loss {losses[-1]:.4f}  test loss {test_loss:.4f}  "
                  f"test accuracy {test_accuracy:.2%}  lr {scheduler.get_last_lr()[0]:.5f}")
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="passes over the 1,500 training images")
    main(parser.parse_args().epochs)
