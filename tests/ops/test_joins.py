"""Broadcasting (broadcast_tensors and broadcast_shapes), atleast_*, the stacks, grids
and block_diag: PyTorch's shapes, dtypes and values, one tensor or a tuple as PyTorch
returns them, meshgrid's warning, and PyTorch's error classes. (Gradients: the op cases in conftest.py.)"""

import warnings

import numpy
import pytest

import tinygrad_bn as tg

SHAPES = [(), (3,), (2, 3), (2, 3, 4), (1, 2, 1, 2)]


def pair(torch, shape, dtype="float32"):
    data = numpy.arange(int(numpy.prod(shape)), dtype=dtype).reshape(shape)
    return tg.tensor(data), torch.tensor(data)


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast_matches_pytorch_for_one_tensor_several_and_a_list(torch, agree, name):
    tensors = [pair(torch, shape) for shape in SHAPES]
    ours, theirs = [t for t, _ in tensors], [t for _, t in tensors]
    for a, b in tensors:
        agree(getattr(tg, name)(a), getattr(torch, name)(b))  # one tensor: a tensor
    agree(getattr(tg, name)(*ours), getattr(torch, name)(*theirs))  # several: a tuple
    agree(getattr(tg, name)(ours), getattr(torch, name)(theirs))  # a list: a tuple


@pytest.mark.parametrize("name, shapes", [
    ("hstack", [(2,), (3,), ()]),
    ("hstack", [(2, 1), (2, 3)]),
    ("vstack", [(3,), (2, 3), (1, 3)]),
    ("row_stack", [(3,), (3,)]),
    ("column_stack", [(2,), (2, 2), (2, 1)]),
    ("column_stack", [(), ()]),
    ("dstack", [(2,), (2,)]),
    ("dstack", [(2, 3), (2, 3, 2)]),
])
def test_stacks_match_pytorch(torch, agree, name, shapes):
    tensors = [pair(torch, shape, dtype) for shape, dtype in zip(shapes, ["int64", "float32", "float64"])]
    ours = getattr(tg, name)([t for t, _ in tensors])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PyTorch's row_stack is deprecated
        theirs = getattr(torch, name)([t for _, t in tensors])
    agree(ours, theirs)


def test_broadcast_tensors_matches_pytorch(torch, agree):
    tensors = [pair(torch, shape) for shape in [(3, 1), (4,), (), (2, 1, 1)]]
    agree(tg.broadcast_tensors(*(t for t, _ in tensors)), torch.broadcast_tensors(*(t for _, t in tensors)))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [[(3,), (2,)], [(2,), (), (4,)], [(3,)]])
def test_meshgrid_matches_pytorch(torch, agree, indexing, shapes):
    tensors = [pair(torch, shape) for shape in shapes]
    ours = tg.meshgrid(*(t for t, _ in tensors), indexing=indexing)
    agree(ours, torch.meshgrid(*(t for _, t in tensors), indexing=indexing))
    agree(tg.meshgrid([t for t, _ in tensors], indexing=indexing),
          torch.meshgrid([t for _, t in tensors], indexing=indexing))


def test_meshgrid_without_indexing_is_ij_and_warns_as_pytorch_does(torch, agree):
    (a, ta), (b, tb) = pair(torch, (2,)), pair(torch, (3,))
    with pytest.warns(UserWarning, match="meshgrid without indexing= uses matrix indexing .*pass indexing='ij'"):
        ours = tg.meshgrid(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        agree(ours, torch.meshgrid(ta, tb))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.meshgrid(a, b, indexing="ij")  # no warning when told


@pytest.mark.parametrize("shapes", [[(2, 3), (2,)], [(3,)], [(2, 2), (), (1, 3)]])
def test_cartesian_prod_and_block_diag_match_pytorch(torch, agree, shapes):
    tensors = [pair(torch, shape, dtype) for shape, dtype in zip(shapes, ["int64", "float64", "float32"])]
    agree(tg.block_diag(*(t for t, _ in tensors)), torch.block_diag(*(t for _, t in tensors)))
    vectors = [pair(torch, (n,)) for n in (3, 1, 2)[:len(shapes)]]
    agree(tg.cartesian_prod(*(t for t, _ in vectors)), torch.cartesian_prod(*(t for _, t in vectors)))


def test_block_diag_of_nothing_is_pytorchs_empty_matrix(torch, agree):
    agree(tg.block_diag(), torch.block_diag())


ERRORS = {
    "broadcast": (lambda f: f.broadcast_tensors(f.ones(3), f.ones(4)), r"shapes \[\(3,\), \(4,\)\] do not broadcast"),
    "meshgrid 2-d": (lambda f: f.meshgrid(f.ones(2, 2), indexing="ij"), r"0-d or 1-d tensors, got shape \(2, 2\) "
                                                                         "at position 0"),
    "meshgrid dtypes": (lambda f: f.meshgrid(f.ones(2), f.arange(2), indexing="ij"), "one dtype, got float32 at "
                                                                                      "position 0 and int64"),
    "meshgrid indexing": (lambda f: f.meshgrid(f.ones(2), indexing="ab"), "indexing 'ij' or 'xy', got 'ab'"),
    "cartesian_prod 2-d": (lambda f: f.cartesian_prod(f.ones(2, 2)), r"1-d tensors, got shape \(2, 2\)"),
    "block_diag 3-d": (lambda f: f.block_diag(f.ones(2), f.ones(1, 2, 2)), r"at most 2 dimensions, got shape "
                                                                           r"\(1, 2, 2\) at position 1"),
    "hstack empty": (lambda f: f.hstack([]), "hstack needs at least one tensor"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)


@pytest.mark.parametrize("shapes", [((3, 1), (1, 4), (2, 1, 1)), (5, (3, 1)), (), ((0, 1), (3,)), ([2, 1], (1,)),
                                    ((4,),)], ids=str)
def test_broadcast_shapes_is_pytorchs(torch, shapes):
    ours = tg.broadcast_shapes(*shapes)
    assert ours == tuple(torch.broadcast_shapes(*shapes))
    assert isinstance(ours, tg.Size)


def test_broadcast_shapes_refuses_shapes_that_do_not_broadcast(torch, raises_like_torch):
    raises_like_torch(lambda: tg.broadcast_shapes((3,), (2, 4)), lambda: torch.broadcast_shapes((3,), (2, 4)),
                      r"shapes \[\(3,\), \(2, 4\)\] do not broadcast together")
    with pytest.raises(TypeError, match="tuples of non-negative ints, got 'ab'"):
        tg.broadcast_shapes("ab")
