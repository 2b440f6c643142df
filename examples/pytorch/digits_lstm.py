"""A bidirectional LSTM reads the 8x8 digits row by row, each image cut to its first
4 to 8 rows: sequences of different lengths, padded, packed, and classified from the
LSTM's final states. Adam with gradient clipping.

A plain PyTorch script. It runs on tinygrad_bn when only its import lines change
(docs/porting.md); tests/test_pytorch_scripts.py runs it both ways and compares every
step's loss.

Run it with ``python examples/pytorch/digits_lstm.py [--epochs N]``.
"""

import argparse
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

# The digits bundled with tinygrad_bn, read with NumPy alone: 1,797 images of 8x8 pixels
# (values 0..16) and their labels 0..9.
DIGITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tinygrad_bn", "data", "digits.npz")


def digit_rows():
    """Each image as a sequence of its first 4 to 8 rows (8 pixels a step), with its label."""
    with np.load(DIGITS) as archive:
        images = archive["images"].astype(np.float32) / 16.0
        labels = archive["labels"].astype(np.int64)
    lengths = 4 + np.arange(len(images)) % 5
    sequences = [torch.tensor(image[:length]) for image, length in zip(images, lengths)]
    return sequences, torch.tensor(lengths), torch.tensor(labels)


class RowReader(nn.Module):
    def __init__(self, hidden=16, classes=10):
        super().__init__()
        self.lstm = nn.LSTM(8, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, classes)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        return self.out(torch.cat([h_n[0], h_n[1]], dim=1))  # the last state of each direction


def init_from_numpy(model, seed=0):
    """Initial weights drawn by NumPy, uniform in +-1/sqrt(size) as the layers draw their own.

    torch.manual_seed would give each framework's own numbers; a state dict built from
    NumPy's are the same everywhere, so two frameworks start from the same model."""
    rng = np.random.default_rng(seed)
    state = model.state_dict()
    for name, value in state.items():
        bound = 1 / math.sqrt(value.shape[-1] if name.startswith("out.") else model.lstm.hidden_size)
        state[name] = torch.tensor(rng.uniform(-bound, bound, tuple(value.shape)), dtype=torch.float32)
    model.load_state_dict(state)


def main(epochs=5, batch_size=64, steps=None, verbose=True):
    """Train for ``epochs`` passes over the first 1,500 digits (or ``steps`` batches);
    return each step's loss."""
    sequences, lengths, labels = digit_rows()
    model = RowReader()
    init_from_numpy(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-2)
    order = np.random.default_rng(1).permutation(1500)

    losses = []
    for epoch in range(epochs):
        model.train()
        for start in range(0, 1500 - batch_size + 1, batch_size):
            batch = order[start:start + batch_size].tolist()
            padded = pad_sequence([sequences[i] for i in batch], batch_first=True)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(padded, lengths[batch]), labels[batch])
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            losses.append(loss.item())
            if steps is not None and len(losses) == steps:
                return losses
        model.eval()
        with torch.no_grad():
            test = list(range(1500, len(sequences)))
            logits = model(pad_sequence([sequences[i] for i in test], batch_first=True), lengths[test])
            accuracy = (logits.argmax(1) == labels[test]).float().mean().item()
        if verbose:
            print(f"epoch {epoch}  train loss {losses[-1]:.4f}  test accuracy {accuracy:.2%}")
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="passes over the 1,500 training digits")
    main(parser.parse_args().epochs)
