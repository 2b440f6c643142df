"""Axes moved, slices, splits (also hsplit, vsplit, dsplit), tiles, repeats, rotations: PyTorch's results for every
form of the arguments, and PyTorch's error classes with messages that say what was
expected and what was given. (Gradients: the op cases in conftest.py.)"""

import numpy
import pytest

import tinygrad_bn as tg

X = numpy.arange(24, dtype=numpy.int64).reshape(2, 3, 4)


def both(torch, data=X):
    return tg.tensor(data), torch.tensor(data)


@pytest.mark.parametrize("split", [3, 4, 7, 10, [1, 5], [3, 1, -1], [0], [], (2, 9)])
@pytest.mark.parametrize("dim", [0, -1])
def test_tensor_split_matches_pytorch(torch, agree, split, dim):
    ours, theirs = both(torch, numpy.arange(14.0).reshape(7, 2) if dim == 0 else numpy.arange(14.0).reshape(2, 7))
    agree(ours.tensor_split(split, dim), theirs.tensor_split(split, dim))


@pytest.mark.parametrize("split", [numpy.array(3), numpy.array([2, 5])], ids=["0-d", "1-d"])
def test_tensor_split_reads_a_tensor_as_sections_or_indices(torch, agree, split):
    ours, theirs = both(torch, numpy.arange(7))
    agree(tg.tensor_split(ours, tg.tensor(split)), torch.tensor_split(theirs, torch.tensor(split)))


@pytest.mark.parametrize("call", [
    lambda f, x: f.hsplit(x, 3),
    lambda f, x: x.hsplit([1, 2]),
    lambda f, x: f.hsplit(x.flatten(), 4),
    lambda f, x: f.hsplit(x.flatten(), (5, 20)),
    lambda f, x: f.vsplit(x, 2),
    lambda f, x: x[0].vsplit([2]),
    lambda f, x: f.dsplit(x, 2),
    lambda f, x: x.dsplit((1, 3)),
    lambda f, x: (f.narrow_copy(x, 2, 1, 2),),
    lambda f, x: (x.narrow_copy(-1, -2, 1),),
], ids=["hsplit", "hsplit method indices", "hsplit 1-d", "hsplit 1-d indices", "vsplit", "vsplit matrix",
        "dsplit", "dsplit indices", "narrow_copy", "narrow_copy method"])
def test_hsplit_vsplit_dsplit_match_pytorch(torch, agree, call):
    ours, theirs = both(torch)
    agree(call(tg, ours), call(torch, theirs))


@pytest.mark.parametrize("call, words", [
    (lambda f, x: f.hsplit(x, 2), "split along dimension 1, but the size of the dimension 3 is not divisible by "
                                  "the split_size 2"),
    (lambda f, x: f.vsplit(x.flatten(), 2), "requires a tensor with at least 2 dimension, but got a tensor with 1 "
                                            "dimensions"),
    (lambda f, x: f.dsplit(x[0], [1]), "requires a tensor with at least 3 dimension"),
    (lambda f, x: f.hsplit(x.sum(), 1), "requires a tensor with at least 1 dimension"),
])
def test_hsplit_vsplit_dsplit_errors_are_pytorchs(torch, raises_like_torch, call, words):
    ours, theirs = both(torch)
    raises_like_torch(lambda: call(tg, ours), lambda: call(torch, theirs), words)


@pytest.mark.parametrize("call", [
    lambda f, x: x.repeat_interleave(2),
    lambda f, x: x.repeat_interleave(3, dim=-1),
    lambda f, x: x.repeat_interleave(f.tensor([1, 0, 2]), dim=1),
    lambda f, x: x.repeat_interleave(f.tensor([2]), dim=0),
    lambda f, x: x.repeat_interleave(f.tensor(2), dim=2, output_size=8),
    lambda f, x: f.repeat_interleave(f.tensor([1, 3, 0, 2])),
    lambda f, x: f.repeat_interleave(x, 2, dim=0),
], ids=["flattened", "dim=-1", "tensor", "one count", "0-d count, output_size", "counts alone", "function"])
def test_repeat_interleave_matches_pytorch(torch, agree, call):
    ours, theirs = both(torch)
    agree(call(tg, ours), call(torch, theirs))


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (2, 0), (-1, 1)])
def test_rot90_matches_pytorch(torch, agree, k, dims):
    ours, theirs = both(torch)
    agree(ours.rot90(k, dims), theirs.rot90(k, dims))


@pytest.mark.parametrize("call", [
    lambda f, x: x.movedim(0, -1),
    lambda f, x: x.movedim((0, 2), (1, 0)),
    lambda f, x: f.moveaxis(x, [-1, 0], [0, -1]),
    lambda f, x: f.swapdims(x, 0, 2),
    lambda f, x: f.swapaxes(x, 1, -1),
    lambda f, x: x.narrow(2, f.tensor(1), 3),
    lambda f, x: f.narrow(x, -1, -2, 2),
    lambda f, x: x.narrow(1, 3, 0),
    lambda f, x: x.select(-1, -4),
    lambda f, x: f.select(x, 1, 2),
    lambda f, x: x.unflatten(-1, (2, 1, -1)),
    lambda f, x: f.unflatten(x, 0, [1, 2]),
    lambda f, x: x.tile((2,)),
    lambda f, x: f.tile(x, (2, 1, 1, 2)),
    lambda f, x: x.tile(2, 1),
    lambda f, x: x.transpose(0, 2).ravel(),
    lambda f, x: f.ravel(x[0, 0, 0]),
    lambda f, x: x.fliplr(),
    lambda f, x: f.flipud(x),
], ids=["movedim", "movedim tuples", "moveaxis lists", "swapdims", "swapaxes", "narrow tensor start",
        "narrow negative", "narrow empty", "select", "select function", "unflatten -1", "unflatten list",
        "tile fewer", "tile more", "tile ints", "ravel", "ravel 0-d", "fliplr", "flipud"])
def test_layout_matches_pytorch(torch, agree, call):
    ours, theirs = both(torch)
    agree(call(tg, ours), call(torch, theirs))


ERRORS = {
    "narrow start": (lambda f, x: x.narrow(1, 5, 1), r"start 5 is out of range for dim 1 of size 3: expected one in "
                                                    r"\[-3, 3\]"),
    "narrow length": (lambda f, x: x.narrow(2, 2, 3), r"start 2 \+ length 3 goes past the end of dim 2 of size 4"),
    "select index": (lambda f, x: x.select(0, 2), r"index 2 is out of range for dim 0 of size 2 .*expected one in "
                                                  r"\[-2, 1\]"),
    "select 0-d": (lambda f, x: x[0, 0, 0].select(0, 0), r"at least one dimension, got shape \(\)"),
    "movedim counts": (lambda f, x: x.movedim((0, 1), (0,)), r"as many destination dims as source dims, got source "
                                                             r"\(0, 1\) and destination \(0,\)"),
    "movedim repeats": (lambda f, x: x.movedim((0, 0), (1, 2)), r"source \[0, 0\] repeats a dim"),
    "unflatten sizes": (lambda f, x: x.unflatten(2, (3, 2)), r"sizes \(3, 2\) do not multiply up to the length 4 of "
                                                             r"dim 2"),
    "unflatten empty": (lambda f, x: x.unflatten(2, ()), r"sizes \(\) do not multiply .*give at least one size"),
    "tensor_split 0": (lambda f, x: x.tensor_split(0), "a positive number of sections, got 0"),
    "tensor_split dtype": (lambda f, x: x.tensor_split(f.tensor([1.0])), r"int64 tensor .*got dtype float32"),
    "repeats negative": (lambda f, x: x.repeat_interleave(f.tensor([1, -2]), dim=0), r"repeats >= 0, got \[1, -2\]"),
    "repeats length": (lambda f, x: x.repeat_interleave(f.tensor([1, 2]), dim=1),
                       r"one repeat per slice along dim 1 \(3\), got 2"),
    "output_size": (lambda f, x: x.repeat_interleave(2, dim=0, output_size=3), "output_size=3 but the repeats add up "
                                                                               "to 4"),
    "rot90 same dims": (lambda f, x: x.rot90(1, (1, 1)), r"two different dims, got \(1, 1\)"),
    "rot90 three dims": (lambda f, x: x.rot90(1, (0, 1, 2)), r"two dims .*got dims \(0, 1, 2\)"),
    "rot90 1-d": (lambda f, x: x[0, 0].rot90(), r"at least 2 dimensions, got dims \(0, 1\) and shape \(4,\)"),
    "fliplr 1-d": (lambda f, x: x[0, 0].fliplr(), r"at least 2 dimensions, got shape \(4,\)"),
    "flipud 0-d": (lambda f, x: x[0, 0, 0].flipud(), r"at least 1 dimension, got shape \(\)"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    ours, theirs = both(torch)
    raises_like_torch(lambda: call(tg, ours), lambda: call(torch, theirs), words)


def test_narrow_copy_is_a_tensor_of_its_own():
    x = tg.arange(6.0).reshape(2, 3)
    copy = x.narrow_copy(1, 0, 2)
    copy += 10
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
