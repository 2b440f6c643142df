"""Order in ``sort``, ``argsort`` and ``topk``: values and indices as PyTorch's wherever
PyTorch's own order is defined (no ties, NaN the largest value, ``stable=True``, up to
16 elements along the dim), equal elements in index order beyond; and
``max(dim)``/``min(dim)``/``argmax``/``argmin`` pick the first of tied extremes."""

import numpy
import pytest

import tinygrad_bn as tg

RNG = numpy.random.default_rng(7)
NAN = float("nan")
DTYPES = ["float32", "int64"]


def _ties(shape, dtype, levels=3):
    return RNG.integers(0, levels, shape).astype(dtype)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", [*DTYPES, "uint8", "bool"])
@pytest.mark.parametrize(("shape", "dim"), [((40,), 0), ((300,), 0), ((3, 40), 1), ((40, 3), 0), ((2, 5, 30), -1)])
def test_stable_sort_of_ties_is_pytorchs(torch, shape, dim, dtype, descending):
    a = _ties(shape, dtype, levels=2 if dtype == "bool" else 3)
    theirs = torch.tensor(a).sort(dim=dim, descending=descending, stable=True)
    ours = tg.tensor(a).sort(dim, descending, stable=True)
    assert ours.indices.tolist() == theirs.indices.tolist()
    assert ours.values.tolist() == theirs.values.tolist()


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", [*DTYPES, "uint8", "bool"])
@pytest.mark.parametrize(("shape", "dim"), [((16,), 0), ((5, 16), 1), ((16, 3), 0)])
def test_sort_and_argsort_of_up_to_16_ties_are_pytorchs(torch, shape, dim, dtype, descending):
    """Up to 16 elements along the dim PyTorch's CPU sort keeps equal ones in index order."""
    a = _ties(shape, dtype, levels=2 if dtype == "bool" else 3)
    t, x = torch.tensor(a), tg.tensor(a)
    theirs, ours = t.sort(dim=dim, descending=descending), x.sort(dim, descending)
    assert ours.indices.tolist() == theirs.indices.tolist()
    assert ours.values.tolist() == theirs.values.tolist()
    assert x.argsort(dim, descending).tolist() == torch.argsort(t, dim=dim, descending=descending).tolist()


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "dim"), [((100,), 0), ((3, 20), 1), ((20, 3), 0), ((4, 5, 6), 1)])
def test_topk_values_are_pytorchs_and_ties_come_in_index_order(torch, shape, dim, dtype, largest):
    a = _ties(shape, dtype)
    for k in sorted({1, 2, shape[dim] // 2, shape[dim]}):
        theirs = torch.topk(torch.tensor(a), k, dim=dim, largest=largest)
        ours = tg.tensor(a).topk(k, dim=dim, largest=largest)
        assert ours.values.tolist() == theirs.values.tolist()
        stable = numpy.take(numpy.argsort(-a if largest else a, axis=dim, kind="stable"), range(k), axis=dim)
        assert ours.indices.tolist() == stable.tolist()


@pytest.mark.parametrize("largest", [True, False])
def test_topk_of_distinct_values_is_pytorchs(torch, largest):
    a = RNG.permutation(200).reshape(4, 50).astype("float32")
    for k in (1, 7, 50):
        theirs, ours = torch.topk(torch.tensor(a), k, largest=largest), tg.tensor(a).topk(k, largest=largest)
        assert ours.indices.tolist() == theirs.indices.tolist()


def test_descending_sorts_of_bools_keep_ties_in_index_order():
    x = tg.tensor([True, False, True, False, True] * 5)
    falses = [i for i in range(25) if i % 5 in (1, 3)]
    trues = [i for i in range(25) if i % 5 not in (1, 3)]
    assert x.sort(descending=True).indices.tolist() == trues + falses
    assert x.sort().indices.tolist() == falses + trues


def test_nan_is_the_largest_value(torch):
    a = numpy.array([1.0, NAN, 3.0, NAN, 1.0, 3.0])
    x, t = tg.tensor(a), torch.tensor(a)
    assert x.sort(descending=True).indices.tolist()[:2] == [1, 3]
    assert x.sort().indices.tolist()[-2:] == [1, 3]
    assert x.topk(2).indices.tolist() == [1, 3]
    for ours, theirs in [(x.sort(descending=True), t.sort(descending=True)), (x.sort(), t.sort())]:
        assert ours.indices.tolist() == theirs.indices.tolist()
        numpy.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    for ours, theirs in [(x.topk(3), t.topk(3)), (x.topk(3, largest=False), t.topk(3, largest=False))]:
        numpy.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())


def test_topk_of_a_number_is_itself_at_index_0(torch):
    ours, theirs = tg.tensor(2.5).topk(1), torch.tensor(2.5).topk(1)
    assert (ours.values.item(), ours.indices.item()) == (theirs.values.item(), theirs.indices.item()) == (2.5, 0)


def test_topk_gradient_reaches_the_picked_elements(torch):
    a = numpy.array([[2.0, 4.0, 1.0, 3.0, 0.0, 5.0], [0.0, 1.0, 6.0, 2.0, 3.0, 4.0]])
    weights = numpy.arange(1.0, 4.0)
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        (x.topk(3, dim=1).values * lib.tensor(weights)).sum().backward()
        grads.append(x.grad.numpy())
    numpy.testing.assert_array_equal(*grads)


def test_order_on_a_device_is_as_on_the_cpu(strict_cuda):
    a = _ties((3, 40), "float32")
    for op in (lambda x: x.topk(5, dim=1).indices, lambda x: x.topk(30, dim=1, largest=False).indices,
               lambda x: x.sort(dim=1).indices, lambda x: x.argsort(dim=1, descending=True)):
        on_device = op(tg.tensor(a, device="cuda"))
        assert on_device.device == "cuda"
        assert on_device.tolist() == op(tg.tensor(a)).tolist()


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_and_min_along_a_dim_pick_the_first_of_ties(torch, dtype):
    a = numpy.array([[3, 1, 3, 3], [0, 2, 0, 2], [1, 1, 1, 1]], dtype=dtype)
    x, t = tg.tensor(a), torch.tensor(a)
    assert x.max(1).indices.tolist() == [0, 1, 0] == t.max(1).indices.tolist()
    assert x.min(1).indices.tolist() == [1, 0, 0] == t.min(1).indices.tolist()
    assert x.max(0).indices.tolist() == t.max(0).indices.tolist()
    assert x.min(0).indices.tolist() == t.min(0).indices.tolist()
    assert x.argmax(1).tolist() == t.argmax(1).tolist() and x.argmin().item() == t.argmin().item() == 4


def test_max_and_min_pick_the_first_nan(torch):
    a = numpy.array([[1.0, NAN, 3.0, NAN]])
    x, t = tg.tensor(a), torch.tensor(a)
    assert x.max(1).indices.tolist() == x.min(1).indices.tolist() == [1] == t.max(1).indices.tolist()
    assert t.min(1).indices.tolist() == [1]
