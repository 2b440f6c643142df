"""An MLP with BatchNorm1d on the 8x8 digits: SGD with momentum and weight decay, then
torch.save / torch.load of the state dict into a fresh model that gives the same outputs.

A plain PyTorch script. It runs on tinygrad_bn when only its import lines change
(docs/porting.md); tests/test_pytorch_scripts.py runs it both ways and compares every
step's loss.

Run it with ``python examples/pytorch/mlp_bn_sgd.py [--steps N]``.
"""

import argparse
import math
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

# The digits bundled with tinygrad_bn, read with NumPy alone: 1,797 images of 8x8 pixels
# (values 0..16) and their labels 0..9.
DIGITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tinygrad_bn", "data", "digits.npz")
BATCH_SIZE = 64


def load_digits():
    """Train and test tensors: the first 1,500 images for training, the rest for testing."""
    with np.load(DIGITS) as archive:
        images = archive["images"].reshape(-1, 64).astype(np.float32) / 16.0
        labels = archive["labels"].astype(np.int64)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    return (x[:1500], y[:1500]), (x[1500:], y[1500:])


class MLP(nn.Module):
    def __init__(self, in_features=64, hidden=32, classes=10):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden, bias=False)  # BatchNorm's shift makes a bias redundant
        self.bn1 = nn.BatchNorm1d(hidden)
        self.fc2 = nn.Linear(hidden, hidden, bias=False)
        self.bn2 = nn.BatchNorm1d(hidden)
        self.out = nn.Linear(hidden, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.fc1(x)))
        x = F.relu(self.bn2(self.fc2(x)))
        return self.out(x)


def init_from_numpy(model, seed=0):
    """Initial weights drawn by NumPy, uniform in +-1/sqrt(fan_in) as nn.Linear draws its own.

    torch.manual_seed would give each framework's own numbers; weights drawn by NumPy
    are the same everywhere, so two frameworks start from the same model."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                bound = 1 / math.sqrt(module.in_features)
                weight = rng.uniform(-bound, bound, (module.out_features, module.in_features))
                module.weight.copy_(torch.from_numpy(weight.astype(np.float32)))
                if module.bias is not None:
                    bias = rng.uniform(-bound, bound, module.out_features)
                    module.bias.copy_(torch.from_numpy(bias.astype(np.float32)))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        predicted = model(x).argmax(dim=1)
    return (predicted == y).float().mean().item()


def main(steps=120, verbose=True):
    """Train for ``steps`` batches (in order, no shuffling); return each step's loss."""
    (x_train, y_train), (x_test, y_test) = load_digits()
    model = MLP()
    init_from_numpy(model)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)

    losses = []
    batches_per_epoch = len(x_train) // BATCH_SIZE
    for step in range(steps):
        model.train()
        start = (step % batches_per_epoch) * BATCH_SIZE
        inputs, targets = x_train[start : start + BATCH_SIZE], y_train[start : start + BATCH_SIZE]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if verbose and (step % 10 == 0 or step == steps - 1):
            print(f"step {step:4d}  loss {loss.item():.6f}")

    test_accuracy = accuracy(model, x_test, y_test)
    if verbose:
        print(f"test accuracy {test_accuracy:.2%}")

    # Save the state dict, load it into a fresh model, and check it computes the same.
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mlp.pt")
        torch.save(model.state_dict(), path)
        fresh = MLP()
        fresh.load_state_dict(torch.load(path))
    fresh.eval()
    model.eval()
    with torch.no_grad():
        assert torch.equal(fresh(x_test), model(x_test)), "the reloaded model computes something else"
    assert accuracy(fresh, x_test, y_test) == test_accuracy
    if verbose:
        print("reloaded model: same outputs")
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120, help="training steps (batches of 64)")
    main(parser.parse_args().steps)
