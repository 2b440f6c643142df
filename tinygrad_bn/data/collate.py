"""`default_collate`: a list of samples made into one batch, by PyTorch's rules.

Each field of the samples is batched by its type, recursively:

* Tensors are stacked, and so are NumPy arrays (their dtype kept);
* Python floats become a float64 Tensor, ints an int64 one, bools a bool one,
  and NumPy scalars a Tensor of their dtype;
* strings and bytes stay as they came (a tuple of a field, the list itself);
* dicts give a dict of the batched values, key by key;
* tuples and lists give a list with one batched entry per position (a
  namedtuple gives its own type), all samples having as many positions.

So samples ``(x, y)`` give a batch ``[xs, ys]``, and a sample that is one Tensor
gives one stacked Tensor.

A loader that does not batch (``batch_size=None``) gives each sample through
:func:`default_convert` instead, which only makes NumPy arrays and scalars into
Tensors, field by field, leaving numbers and strings as they are.

>>> from tinygrad_bn import tensor
>>> xs, ys = default_collate([(tensor([1.0, 2.0]), 0), (tensor([3.0, 4.0]), 1)])
>>> xs.shape, ys.dtype, ys.tolist()
((2, 2), dtype('int64'), [0, 1])
"""

from __future__ import annotations

import collections.abc
import numbers

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.ops import stack, tensor


def default_collate(batch):
    """The samples of ``batch`` (a list or tuple) as one batch (see the module's rules)."""
    sample = batch[0]
    if isinstance(sample, collections.abc.Mapping):
        return {key: default_collate([each[key] for each in batch]) for key in sample}
    if isinstance(sample, collections.abc.Sequence) and not isinstance(sample, (str, bytes)):
        if any(len(each) != len(sample) for each in batch):
            raise RuntimeError("default_collate: each sample in a batch must have the same number of fields, "
                               f"got {sorted({len(each) for each in batch})}")
        fields = [default_collate(values) for values in zip(*batch)]
        return type(sample)(*fields) if hasattr(sample, "_fields") else fields
    return _values(batch, sample)


def _values(batch, sample):
    """A batch of single values: Tensors, arrays, numbers or strings."""
    if isinstance(sample, Tensor):
        return stack(batch)
    if isinstance(sample, numpy.ndarray) and sample.dtype.kind not in "OSUV":
        return stack([tensor(value) for value in batch])
    if isinstance(sample, numpy.generic) and sample.dtype.kind in "biufc":
        return tensor(numpy.array(batch))
    if isinstance(sample, (str, bytes)):
        return batch
    if isinstance(sample, bool):
        return tensor(batch, dtype="bool")
    if isinstance(sample, numbers.Integral):
        return tensor(batch, dtype="int64")
    if isinstance(sample, numbers.Real):
        return tensor(batch, dtype="float64")
    raise TypeError("default_collate: a batch must hold Tensors, NumPy arrays, numbers, strings, dicts, "
                    f"tuples or lists; got {type(sample).__name__}")


def default_convert(sample):
    """One sample as an unbatched loader gives it, by PyTorch's rules: NumPy arrays and
    scalars become Tensors of their dtype (arrays of strings or objects stay arrays);
    dicts, namedtuples, tuples and lists are converted field by field (a tuple gives a
    list); anything else, Tensors and Python numbers included, stays as it came.

    >>> x, y = default_convert((numpy.zeros(2, dtype=numpy.float32), numpy.int64(1)))
    >>> x.dtype, y.dtype, default_convert([1, "a"])
    (dtype('float32'), dtype('int64'), [1, 'a'])
    """
    if isinstance(sample, numpy.ndarray) and sample.dtype.kind not in "OSUV":
        return tensor(sample)
    if isinstance(sample, numpy.generic) and sample.dtype.kind in "biufc":
        return tensor(sample)
    if isinstance(sample, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(value) for value in sample))
    if isinstance(sample, collections.abc.Sequence) and not isinstance(sample, (str, bytes)):
        return [default_convert(value) for value in sample]
    return sample
