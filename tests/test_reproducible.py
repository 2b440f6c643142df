"""``manual_seed`` seeds every random source: two identical runs give identical numbers."""

import numpy

import tinygrad_bn as torch
import tinygrad_bn.nn as nn
from tinygrad_bn.utils.data import DataLoader, TensorDataset, random_split


def _run(seed):
    torch.manual_seed(seed)
    data = TensorDataset(torch.randn(40, 3), torch.randint(0, 2, (40,)))
    train, _ = random_split(data, [30, 10])
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for x, y in DataLoader(train, batch_size=8, shuffle=True):
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, torch.randperm(5).tolist(), model[0].weight.numpy().copy()


def test_two_runs_with_one_seed_are_identical_and_another_seed_differs():
    first, second, other = _run(3), _run(3), _run(4)
    assert first[0] == second[0] and first[1] == second[1]
    numpy.testing.assert_array_equal(first[2], second[2])
    assert first[0] != other[0]
