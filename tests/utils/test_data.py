"""``tinygrad_bn.utils.data``: PyTorch's import path, and a user's own Dataset read one
sample at a time, also through a random split."""

import pathlib
import subprocess
import sys

import numpy

import tinygrad_bn as torch
from tinygrad_bn.utils.data import DataLoader, Dataset, Subset, TensorDataset, random_split


class Points(Dataset):
    def __init__(self, n):
        self.x = numpy.arange(2.0 * n).reshape(n, 2)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return torch.tensor(self.x[i]), int(i) % 3


def test_a_dataset_subclass_is_batched_sample_by_sample():
    batches = list(DataLoader(Points(5), batch_size=2))
    assert [tuple(x.shape) for x, _ in batches] == [(2, 2), (2, 2), (1, 2)]
    assert [y.tolist() for _, y in batches] == [[0, 1], [2, 0], [1]]
    assert batches[1][0].tolist() == [[4.0, 5.0], [6.0, 7.0]]


def test_a_random_split_of_a_dataset_subclass_loads():
    torch.manual_seed(0)
    train, test = random_split(Points(10), [7, 3])
    assert isinstance(train, Subset)
    rows = numpy.concatenate([x.numpy() for x, _ in DataLoader(train, batch_size=4, shuffle=True)])
    assert sorted(rows[:, 0].tolist()) == sorted(Points(10).x[train.indices, 0].tolist())


def test_the_names_are_the_data_packages():
    from tinygrad_bn import data

    assert (DataLoader, TensorDataset, Subset) == (data.DataLoader, data.TensorDataset, data.Subset)


def test_utils_data_is_reached_from_the_top_level_module_alone():
    code = "import tinygrad_bn as torch; print(torch.utils.data.DataLoader.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=pathlib.Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["DataLoader"]
