"""default_collate and the DataLoader on datasets of every kind, against PyTorch's."""

import collections

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn.data import ArrayDataset, DataLoader, Dataset, TensorDataset, default_collate

Pair = collections.namedtuple("Pair", "image label")


class Duck:
    """A dataset by its methods alone, not a Dataset subclass (PyTorch needs no base class)."""

    def __init__(self, make, n=5):
        self.make, self.n = make, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.make(i)


class Subclass(Duck, Dataset):
    """The same dataset, a Dataset subclass."""


# Each sample maker takes the framework (tinygrad_bn or torch) and gives sample i in it.
SAMPLES = {
    "tensor and int": lambda t: lambda i: (t.tensor([float(i), -i]), i),
    "one tensor": lambda t: lambda i: t.tensor([[float(i)], [2.0 * i]]),
    "array and float": lambda t: lambda i: (numpy.full(3, i, dtype=numpy.float64), i / 4),
    "numpy scalars": lambda t: lambda i: (numpy.float32(i), numpy.int32(i), numpy.bool_(i % 2)),
    "bool and str": lambda t: lambda i: [i % 2 == 0, f"s{i}"],
    "dict": lambda t: lambda i: {"x": t.tensor([float(i)] * 2), "y": i, "meta": {"w": i * 0.5}},
    "namedtuple": lambda t: lambda i: Pair(t.tensor([float(i)]), i),
}


def _plain(batch):
    """A batch as plain Python: lists of values with their dtypes, for comparison."""
    if hasattr(batch, "numpy") and hasattr(batch, "dtype"):
        return ("tensor", str(batch.dtype).replace("torch.", ""), batch.numpy().tolist())
    if isinstance(batch, dict):
        return {key: _plain(value) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [_plain(value) for value in batch])
    return batch


@pytest.mark.parametrize("kind", [Duck, Subclass])
@pytest.mark.parametrize("name", list(SAMPLES))
def test_batches_of_any_dataset_are_pytorchs(torch, name, kind):
    ours = DataLoader(kind(SAMPLES[name](tinygrad_bn)), batch_size=2)
    theirs = torch.utils.data.DataLoader(kind(SAMPLES[name](torch)), batch_size=2)
    assert [_plain(batch) for batch in ours] == [_plain(batch) for batch in theirs]


@pytest.mark.parametrize("make", [lambda t: t.arange(12.0).reshape(6, 2),
                                  lambda t: [(1, 2.0), (3, 4.0), (5, 6.0)]])
def test_a_tensor_or_a_list_is_a_dataset_as_in_pytorch(torch, make):
    ours = DataLoader(make(tinygrad_bn), batch_size=2, drop_last=True)
    theirs = torch.utils.data.DataLoader(make(torch), batch_size=2, drop_last=True)
    assert [_plain(batch) for batch in ours] == [_plain(batch) for batch in theirs]


def test_a_sample_of_one_tensor_gives_a_tensor_batch():
    batch = next(iter(DataLoader(Duck(lambda i: tinygrad_bn.ones(3) * i), batch_size=4)))
    assert isinstance(batch, tinygrad_bn.Tensor) and batch.shape == (4, 3)
    assert batch.numpy()[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_python_numbers_batch_as_pytorch_types_them():
    ints, floats, flags = default_collate([(1, 0.5, True), (2, 1.5, False)])
    assert (ints.dtype, floats.dtype, flags.dtype) == (numpy.int64, numpy.float64, numpy.bool_)
    assert ints.tolist() == [1, 2] and floats.tolist() == [0.5, 1.5] and flags.tolist() == [True, False]


def test_a_collate_fn_gets_the_list_of_samples():
    seen = []

    def collate(samples):
        seen.append(samples)
        return len(samples)

    loader = DataLoader(TensorDataset(tinygrad_bn.arange(5)), batch_size=2, collate_fn=collate)
    assert list(loader) == [2, 2, 1]
    assert [[sample[0].item() for sample in samples] for samples in seen] == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize("dataset", [ArrayDataset(numpy.arange(12.0).reshape(6, 2), numpy.arange(6) % 2),
                                     TensorDataset(tinygrad_bn.arange(12.0).reshape(6, 2), tinygrad_bn.arange(6))])
def test_in_memory_datasets_read_in_one_go_give_what_sample_by_sample_reading_gives(dataset):
    fast = list(DataLoader(dataset, batch_size=4))
    by_sample = list(DataLoader(dataset, batch_size=4, collate_fn=default_collate))
    assert [_plain(batch) for batch in fast] == [_plain(batch) for batch in by_sample]
    assert all(isinstance(batch, list) for batch in fast)


def test_samples_of_different_lengths_are_refused():
    with pytest.raises(RuntimeError, match=r"same number of fields, got \[1, 2\]"):
        default_collate([(1,), (1, 2)])


def test_an_unbatchable_sample_is_named():
    with pytest.raises(TypeError, match="got object"):
        default_collate([object(), object()])


def test_batches_of_any_dataset_go_to_the_device(strict_cuda):
    loader = DataLoader(Duck(lambda i: {"x": tinygrad_bn.ones(2) * i, "pair": (i, 0.5)}), batch_size=2, device="cuda")
    batch = next(iter(loader))
    assert batch["x"].device == "cuda" and all(part.device == "cuda" for part in batch["pair"])
    as_tuples = DataLoader(Duck(lambda i: (tinygrad_bn.ones(2) * i, Pair(tinygrad_bn.ones(1), i))), batch_size=2,
                           device="cuda", collate_fn=lambda samples: tuple(default_collate(samples)))
    x, pair = next(iter(as_tuples))
    assert x.device == "cuda" and isinstance(pair, Pair) and pair.image.device == pair.label.device == "cuda"
