"""take, take_along_dim, masked_select, masked_scatter, index_fill, index_copy and slice_scatter:
PyTorch's values and dtypes for every form of the arguments, indices checked against
the lengths they index, and PyTorch's error classes. (Gradients: the op cases in
conftest.py.)"""

import numpy
import pytest

import tinygrad_bn as tg

X = numpy.arange(12, dtype=numpy.int64).reshape(3, 4)


def both(torch, data=X):
    return tg.tensor(data), torch.tensor(data)


@pytest.mark.parametrize("call", [
    lambda f, x: x.take(f.tensor([[0, -1], [11, 5]])),
    lambda f, x: f.take(x.float(), f.tensor(3)),
    lambda f, x: x.take_along_dim(f.tensor([[0], [3], [1]]), 1),
    lambda f, x: x.take_along_dim(f.tensor([[2, 0]]).t(), dim=0),
    lambda f, x: f.take_along_dim(x, x.argsort(dim=0, descending=True), dim=0),
    lambda f, x: x.take_along_dim(f.tensor([7, 0, 7])),
    lambda f, x: x.masked_select(x % 3 == 0),
    lambda f, x: f.masked_select(x.double(), f.tensor([[True], [False], [True]])),
    lambda f, x: x.unsqueeze(0).masked_select(f.tensor([True, False, False, True])),
    lambda f, x: x.masked_scatter(x % 3 == 0, f.arange(100, 112).reshape(3, 4)),
    lambda f, x: x[0].masked_scatter(f.tensor([[True], [False]]), f.arange(-10, 0)),
    lambda f, x: x.clone().masked_scatter_(f.tensor([False, True, True, False]), -x),
    lambda f, x: x.index_fill(1, f.tensor([0, 2, 0]), -1),
    lambda f, x: x.float().index_fill(0, f.tensor(1), f.tensor(2.5)),
    lambda f, x: x.index_fill(-1, f.tensor([-1]), 7),
    lambda f, x: x.index_copy(0, f.tensor([2, 0]), f.tensor([[9, 9, 9, 9], [8, 8, 8, 8]])),
    lambda f, x: f.index_copy(x, 1, f.tensor([3]), f.tensor([[1], [2], [3]])),
    lambda f, x: x.slice_scatter(f.tensor([[0, 0], [0, 0], [0, 0]]), dim=1, start=1, end=4, step=2),
    lambda f, x: f.slice_scatter(x, f.zeros(1, 4, dtype=f.int64), start=-1),
    lambda f, x: x.float().slice_scatter(f.ones(3, 2, dtype=f.float64), 1, None, None, 2),
], ids=["take", "take 0-d", "take_along_dim", "take_along_dim broadcast", "sorted by argsort",
        "take_along_dim flattened", "masked_select", "masked_select broadcast", "masked_select broadcast input",
        "masked_scatter", "masked_scatter broadcast input", "masked_scatter_ broadcast mask",
        "index_fill", "index_fill 0-d index, tensor value", "index_fill negative", "index_copy",
        "index_copy function", "slice_scatter", "slice_scatter negative start", "slice_scatter cast"])
def test_selection_matches_pytorch(torch, agree, call):
    ours, theirs = both(torch)
    agree(call(tg, ours), call(torch, theirs))


def test_index_fill_value_gets_the_gradient_of_every_filled_element(torch):
    x, value = tg.ones(3, 4, requires_grad=True), tg.tensor(2.0, requires_grad=True)
    tx, tvalue = torch.ones(3, 4, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    upstream = numpy.arange(12.0, dtype=numpy.float32).reshape(3, 4)
    (x.index_fill(1, tg.tensor([3, 0]), value) * tg.tensor(upstream)).sum().backward()
    (tx.index_fill(1, torch.tensor([3, 0]), tvalue) * torch.tensor(upstream)).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    assert value.grad.item() == tvalue.grad.item() == 0 + 3 + 4 + 7 + 8 + 11


ERRORS = {
    "take out of range": (lambda f, x: x.take(f.tensor([12])), r"an index in \[12\] is out of range for dim 0 of "
                                                               "length 12"),
    "take int32": (lambda f, x: x.take(f.tensor([1], dtype=f.int32)), "int64 index, got dtype int32"),
    "take_along_dim dims": (lambda f, x: x.take_along_dim(f.tensor([0, 1]), 1), r"indices of the input's 2 "
                                                                                r"dimensions, got shape \(2,\)"),
    "take_along_dim shapes": (lambda f, x: x.take_along_dim(f.tensor([[0, 1], [0, 1]]), 1),
                              r"shapes \(3, 4\) and \(2, 2\) do not broadcast off dim 1"),
    "masked_select mask": (lambda f, x: x.masked_select(f.tensor([1, 0, 1, 0])), "boolean mask, got dtype int64"),
    "masked_scatter mask": (lambda f, x: x.masked_scatter(x.int(), x), "boolean mask"),
    "masked_scatter dtype": (lambda f, x: x.masked_scatter(x > 3, x.float()), "of the input's dtype int64, got "
                                                                             "dtype float32"),
    "masked_scatter too few": (lambda f, x: x.masked_scatter(x > 3, x[0]), "source has 4 elements, fewer than the "
                                                                          "8 trues"),
    "masked_scatter_ shape": (lambda f, x: x[0].masked_scatter_(x > 3, x), r"result of shape \(3, 4\) does not fit "
                                                                           r"the tensor of shape \(4,\)"),
    "index_fill index dims": (lambda f, x: x.index_fill(1, f.tensor([[1]]), -1), r"0-d or 1-d index, got shape "
                                                                                  r"\(1, 1\)"),
    "index_fill out of range": (lambda f, x: x.index_fill(1, f.tensor([7]), -1), r"an index in \[7\] is out of "
                                                                                  "range for dim 1 of length 4"),
    "index_fill value": (lambda f, x: x.index_fill(1, f.tensor([1]), f.tensor([1])), "a number or a 0-d tensor as "
                                                                                     r"value, got shape \(1,\)"),
    "index_copy source": (lambda f, x: x.index_copy(0, f.tensor([2, 0]), f.ones(2, 3, dtype=f.int64)),
                          r"a source of shape \(3, 4\) but for its length along dim 0.*source \(2, 3\)"),
    "index_copy dtype": (lambda f, x: x.index_copy(0, f.tensor([2]), f.ones(1, 4)), "a source of the tensor's "
                                                                                    "dtype int64, got float32"),
    "index_copy out of range": (lambda f, x: x.index_copy(0, f.tensor([5]), f.ones(1, 4, dtype=f.int64)),
                                r"an index in \[5\] is out of range for dim 0 of length 3"),
    "slice_scatter shape": (lambda f, x: x.slice_scatter(f.ones(3, 3, dtype=f.int64), 1, 0, None, 2),
                            r"src of the slice's shape \(3, 2\), got \(3, 3\)"),
    "slice_scatter step": (lambda f, x: x.slice_scatter(f.ones(3, 2, dtype=f.int64), 1, 0, None, -1),
                           "a positive step, got -1"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    ours, theirs = both(torch)
    raises_like_torch(lambda: call(tg, ours), lambda: call(torch, theirs), words)


def test_masked_scatter_in_place_records_the_gradient_of_self_and_source(torch):
    grads = []
    for f in (tg, torch):
        x = f.arange(6.0, dtype=f.float64).reshape(2, 3).requires_grad_()
        src = f.ones(2, 3, dtype=f.float64, requires_grad=True)
        y = x * 2
        y.masked_scatter_(f.tensor([True, False, True]), src * 3)
        (y * f.arange(1.0, 7.0, dtype=f.float64).reshape(2, 3)).sum().backward()
        grads.append((x.grad.numpy(), src.grad.numpy()))
    for ours, theirs in zip(*grads, strict=True):
        numpy.testing.assert_array_equal(ours, theirs)


# integers beside index arrays: PyTorch takes the integers first, NumPy reads them as index arrays
MIXED_INDICES = [(0, slice(None), [1, 2], [0, 3]), (0, slice(None), [1, 2]), ([0, 1], slice(None), 0),
                 (slice(None), 0, [1, 2]), (1, Ellipsis, [0, 2]), (0, None, slice(None), [1, 2]),
                 (1, [[0], [2]], slice(1, 3), [0, 4])]


@pytest.mark.parametrize("index", MIXED_INDICES)
def test_integers_beside_index_arrays_are_read_as_pytorch_reads_them(torch, index):
    x = numpy.arange(120.0).reshape(2, 3, 4, 5)
    results = []
    for framework in (tg, torch):
        t = framework.tensor(x, requires_grad=True)
        picked = t[index]
        upstream = framework.tensor(numpy.arange(picked.numel(), dtype=float).reshape(tuple(picked.shape)))
        (picked * upstream).sum().backward()
        written = framework.tensor(x)
        written[index] = -upstream
        results.append((picked.detach().numpy(), t.grad.numpy(), written.numpy()))
    for ours, theirs in zip(*results, strict=True):
        numpy.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("index", MIXED_INDICES[:3])
def test_a_recorded_write_beside_index_arrays_has_pytorchs_gradients(torch, index):
    x = numpy.arange(120.0).reshape(2, 3, 4, 5)
    results = []
    for framework in (tg, torch):
        t = framework.tensor(x, requires_grad=True)
        shape = tuple(framework.tensor(x)[index].shape)
        value = framework.tensor(numpy.linspace(1.0, 2.0, int(numpy.prod(shape))).reshape(shape), requires_grad=True)
        changed = t * 1.0
        changed[index] = value * 3
        (changed * framework.tensor(x + 1)).sum().backward()
        results.append((changed.detach().numpy(), t.grad.numpy(), value.grad.numpy()))
    for ours, theirs in zip(*results, strict=True):
        numpy.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("size, stride, offset", [((3, 3), (1, 3), 0), ((4, 3), (2, 1), 0), ((2, 2), (1, 2), 1),
                                                  ((3,), (4,), 0), ((2, 3, 2), (0, 2, 1), 2), ((), (), 5)])
def test_as_strided_of_a_contiguous_tensor_is_pytorchs_with_its_gradient(torch, size, stride, offset):
    results = []
    for framework in (tg, torch):
        x = framework.tensor(numpy.linspace(-1.0, 2.0, 10), requires_grad=True)
        y = x.as_strided(size, stride, offset)
        upstream = framework.tensor(numpy.arange(1.0, 1.0 + y.numel()).reshape(tuple(y.shape)))
        (y * upstream).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    for ours, theirs in zip(*results, strict=True):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-15)


@pytest.mark.parametrize("size, stride, words", [((11,), (1,), "out of bounds"), ((2,), (-1,), "Negative strides"),
                                                 ((2, 2), (1,), "mismatch in length")])
def test_as_strided_refuses_what_pytorch_refuses(torch, size, stride, words):
    for framework in (tg, torch):
        with pytest.raises(RuntimeError, match=words):
            framework.arange(10.0).as_strided(size, stride)
