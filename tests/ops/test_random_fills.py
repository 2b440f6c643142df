"""In-place random fills (normal_, uniform_, exponential_, geometric_, log_normal_, cauchy_, random_):
PyTorch's numbers bit for bit after the same seed, in every dtype and size (PyTorch's
vectorized paths start at 16 numbers), the stream left where PyTorch leaves it, memory
order for transposed tensors, PyTorch's argument checks, and the autograd rules."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn
from tinygrad_bn import Generator, no_grad

SIZES = [1, 7, 16, 100, 1000]
SEEDS = [0, 11, 2**40 + 3]
FLOATS = ["float16", "float32", "float64"]
INTEGERS = ["int64", "int32", "int16", "int8", "uint8"]
CONTINUOUS = [("exponential_", ()), ("exponential_", (2.5,)), ("log_normal_", ()), ("log_normal_", (0.2, 0.7)),
              ("cauchy_", ()), ("cauchy_", (1.5, 0.2)), ("geometric_", (0.3,)), ("geometric_", (1e-6,))]


def _both(torch, seed, draw):
    """``draw(framework)`` after ``manual_seed(seed)`` in each framework, then the next
    float64 uniform of each stream (equal when both streams stand at the same place)."""
    results = []
    for framework in (tinygrad_bn, torch):
        framework.manual_seed(seed)
        drawn = draw(framework)
        results.append((drawn.numpy(), framework.rand(1, dtype=framework.float64).item()))
    return results


def _assert_same_draws(torch, seed, draw):
    (mine, my_next), (theirs, their_next) = _both(torch, seed, draw)
    assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
    numpy.testing.assert_array_equal(mine, theirs)
    assert my_next == their_next, "the stream stands elsewhere than PyTorch's after the fill"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("name", "args"), CONTINUOUS)
def test_floating_fills_are_pytorchs_bit_for_bit(torch, name, args, dtype, size, seed):
    _assert_same_draws(torch, seed, lambda fw: getattr(fw.empty(size, dtype=getattr(fw, dtype)), name)(*args))


@pytest.mark.parametrize("size", [1, 16, 1000])
@pytest.mark.parametrize("dtype", INTEGERS)
@pytest.mark.parametrize("p", [0.3, 1e-4, 1e-12])  # 1e-12: trials beyond int32, cast as C++ casts them
def test_geometric_into_integers_is_pytorchs(torch, p, dtype, size):
    _assert_same_draws(torch, 3, lambda fw: fw.empty(size, dtype=getattr(fw, dtype)).geometric_(p))


RANDOM_FORMS = [(), (2,), (100,), (-7, 100), (1, 2), (0, None), (-1, None), (0, 2**28 - 1), (0, 2**28),
                (-5, 2**31 - 1), (-2**31, None), (0, 2**33), (-2**40, 2**40), (-2**63, None), (-2**63, 2**63 - 1),
                (2**20, None), (0, 2**53 + 5), (2**25 + 1, 2**25 + 9), (2**25 + 3, 2**25 + 31),
                (-2**25 - 3, -2**25 + 5)]


def _pytorch_refuses(torch, dtype, bounds) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.empty(1, dtype=getattr(torch, dtype)).random_(*bounds)
        except (RuntimeError, NotImplementedError):
            return True
    return False


@pytest.mark.parametrize("size", [1, 16, 1000])
@pytest.mark.parametrize("dtype", [*FLOATS, *INTEGERS, "bool"])
@pytest.mark.parametrize("bounds", RANDOM_FORMS, ids=str)
def test_random_is_pytorchs_or_refused_as_pytorch_refuses(torch, bounds, dtype, size):
    kind = getattr(tinygrad_bn, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if _pytorch_refuses(torch, dtype, bounds):
            with pytest.raises(RuntimeError, match="random_"):
                tinygrad_bn.empty(size, dtype=kind).random_(*bounds)
            return
        _assert_same_draws(torch, 5, lambda fw: fw.empty(size, dtype=getattr(fw, dtype)).random_(*bounds))


@pytest.mark.parametrize("named", [{"to": 9}, {"from": 3, "to": 9}, {"from": -4, "to": None}])
def test_random_takes_from_and_to_by_name(torch, named):
    _assert_same_draws(torch, 2, lambda fw: fw.empty(20, dtype=fw.int64).random_(**named))


def test_random_with_from_by_position_and_to_by_name(torch):
    _assert_same_draws(torch, 2, lambda fw: fw.empty(20, dtype=fw.int64).random_(3, to=9))


@pytest.mark.parametrize(("name", "args"), [*CONTINUOUS, ("random_", (-3, 50)), ("normal_", (0.5, 2.0)),
                                           ("uniform_", (-1.0, 3.0))])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5)])
def test_a_transposed_tensor_is_filled_along_its_memory(torch, name, args, shape):
    _assert_same_draws(torch, 1, lambda fw: getattr(fw.empty(*shape, dtype=fw.float64).transpose(0, -1), name)(*args))


def test_log_normal_shares_the_normal_that_normal_keeps(torch):
    def draw(fw):
        first = fw.randn(1, dtype=fw.float64)  # keeps the sine of its pair
        middle = fw.empty(3, dtype=fw.float64).log_normal_(0.5, 0.3)  # takes it, keeps one of its own
        return fw.cat([first, middle, fw.randn(1, dtype=fw.float64)])  # which the last takes

    _assert_same_draws(torch, 4, draw)


@pytest.mark.parametrize(("name", "args"), [("exponential_", (1.0,)), ("cauchy_", (0.0, 2.0)), ("random_", (7,))])
def test_an_own_generator_draws_apart_from_the_default_one(torch, name, args):
    def draw(fw):
        own = fw.Generator().manual_seed(21)
        return getattr(fw.empty(5, dtype=fw.float32), name)(*args, generator=own)

    _assert_same_draws(torch, 0, draw)


def test_gumbel_noise_as_gumbel_softmax_draws_it_is_pytorchs(torch):
    """``-empty_like(logits).exponential_().log()``: the same exponentials, and their
    logarithms within float32 rounding (PyTorch's vectorized log rounds otherwise)."""
    _assert_same_draws(torch, 8, lambda fw: fw.empty_like(fw.zeros(4, 10)).exponential_())
    (mine, _), (theirs, _) = _both(torch, 8, lambda fw: -fw.empty_like(fw.zeros(4, 10)).exponential_().log())
    numpy.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-6)


# Arguments ---------------------------------------------------------------------------

REFUSED = [
    ("exponential_", "int64", (1.0,), "floating-point"), ("exponential_", "bool", (1.0,), "floating-point"),
    ("cauchy_", "int32", (), "floating-point"), ("log_normal_", "int64", (), "floating-point"),
    ("geometric_", "bool", (0.5,), "bool"),
    ("exponential_", "float32", (0.0,), "lambd > 0, got lambd=0.0"),
    ("exponential_", "float32", (-1.0,), "lambd > 0, got lambd=-1.0"),
    ("exponential_", "float32", (float("nan"),), "lambd=nan"),
    ("geometric_", "float32", (0.0,), r"p in \(0, 1\), got p=0.0"),
    ("geometric_", "float32", (1.0,), "got p=1.0"), ("geometric_", "int64", (-0.1,), "got p=-0.1"),
    ("geometric_", "float32", (float("nan"),), "got p=nan"),
    ("log_normal_", "float32", (0.0, 0.0), "std > 0, got std=0.0"),
    ("log_normal_", "float64", (1.0, -2.0), "std=-2.0"),
    ("cauchy_", "float32", (0.0, 0.0), "sigma > 0, got sigma=0.0"),
    ("cauchy_", "float64", (0.0, float("nan")), "sigma=nan"),
    ("random_", "float32", (5, 5), "from < to, got from=5 >= to=5"),
    ("random_", "int64", (5, 3), "from=5 >= to=3"),
    ("random_", "uint8", (-5, 10), r"uint8's values \[0, 255\], got from=-5"),
    ("random_", "int8", (0, 257), "got to - 1=256"), ("random_", "bool", (10,), "got to - 1=9"),
    ("random_", "float16", (0, 2**32), "float16"), ("random_", "int16", (2**20, None), "got from=1048576"),
    ("random_", "int32", (-2**63, None), "int64, float32 or float64"),
]


@pytest.mark.parametrize(("name", "dtype", "args", "message"), REFUSED)
def test_refused_as_pytorch_refuses_naming_expected_and_given(torch, name, dtype, args, message):
    with pytest.raises((RuntimeError, NotImplementedError)):
        getattr(torch.empty(3, dtype=getattr(torch, dtype)), name)(*args)
    tinygrad_bn.manual_seed(0)
    x = tinygrad_bn.zeros(3, dtype=getattr(tinygrad_bn, dtype))
    with pytest.raises(RuntimeError, match=message):
        getattr(x, name)(*args)
    assert not x.numpy().any() and x._version == 0
    torch.manual_seed(0)
    assert tinygrad_bn.rand(1).item() == torch.rand(1).item(), "a refused fill drew from the stream"


@pytest.mark.parametrize(("call", "message"), [
    (lambda x: x.random_(2.5), "integer bounds, got to=2.5"),
    (lambda x: x.random_(0, 2.5), "integer bounds, got to=2.5"),
    (lambda x: x.random_(1, 2, 3), "at most 2 bounds"),
    (lambda x: x.random_(1, lower=2), "unexpected keyword"),
    (lambda x: x.random_(**{"from": 2}), "from alone"),
    (lambda x: x.random_(to=None), "only with from"),
    (lambda x: x.exponential_("fast"), "a number for lambd, got str"),
    (lambda x: x.exponential_(generator=3), "generator must be a tinygrad_bn.Generator, got int"),
])
def test_arguments_of_the_wrong_type_are_type_errors(torch, call, message):
    with pytest.raises(TypeError):
        call(torch.empty(3))
    with pytest.raises(TypeError, match=message):
        call(tinygrad_bn.empty(3))


def test_bounds_beyond_the_exact_integers_of_float32_warn_as_pytorch_warns(torch):
    with pytest.warns(UserWarning):
        torch.empty(3).random_(0, 2**25)
    with pytest.warns(UserWarning, match=r"beyond ±2\*\*24"):
        tinygrad_bn.empty(3).random_(0, 2**25)


@pytest.mark.parametrize("bounds", [(2**64,), (0, 2**63), (-2**63 - 1, 0)])
def test_bounds_beyond_int64_are_value_errors(torch, bounds):
    with pytest.raises(ValueError):
        torch.empty(3, dtype=torch.float64).random_(*bounds)
    with pytest.raises(ValueError, match=r"within int64 \[-2\*\*63, 2\*\*63\)"):
        tinygrad_bn.empty(3, dtype=tinygrad_bn.float64).random_(*bounds)


@pytest.mark.parametrize("lambd", [float("inf"), 1e-300, 1e300])
def test_extreme_rates_give_pytorchs_zeros_and_infinities(torch, lambd):
    _assert_same_draws(torch, 6, lambda fw: fw.empty(20).exponential_(lambd))


# Autograd ----------------------------------------------------------------------------

FILLS = [("normal_", ()), ("uniform_", ()), ("exponential_", ()), ("geometric_", (0.5,)), ("log_normal_", ()),
         ("cauchy_", ()), ("random_", ()), ("random_", (5, 3))]


@pytest.mark.parametrize(("name", "args"), FILLS)
def test_a_leaf_that_requires_grad_is_refused_before_any_draw(torch, name, args):
    torch.manual_seed(0)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        getattr(torch.zeros(3, requires_grad=True), name)(*args)
    tinygrad_bn.manual_seed(0)
    with pytest.raises(RuntimeError, match="leaf Variable"):  # before the bad bounds of random_(5, 3)
        getattr(tinygrad_bn.zeros(3, requires_grad=True), name)(*args)
    assert tinygrad_bn.rand(1).item() == torch.rand(1).item()


@pytest.mark.parametrize(("name", "args"), FILLS[:-1])
def test_under_no_grad_a_leaf_is_filled_and_stays_a_leaf(name, args):
    p = tinygrad_bn.zeros(50, requires_grad=True)
    with no_grad():
        out = getattr(p, name)(*args)
    assert out is p and p._version == 1 and p.is_leaf and p.requires_grad and p.grad_fn is None
    assert p.detach().numpy().any()


@pytest.mark.parametrize(("name", "args"), FILLS[:-1])
def test_the_gradient_through_a_fill_is_zero_as_in_pytorch(torch, name, args):
    grads = []
    for framework in (tinygrad_bn, torch):
        leaf = framework.ones(4, dtype=framework.float64, requires_grad=True)
        x = leaf * 2
        getattr(x, name)(*args)
        (x * framework.arange(4, dtype=framework.float64)).sum().backward()
        grads.append(leaf.grad.numpy())
    numpy.testing.assert_array_equal(*grads)
    assert not grads[0].any()


def test_a_view_sees_the_fill_and_both_versions_move_on():
    x = tinygrad_bn.zeros(2, 3, dtype=tinygrad_bn.int64)
    view = x.transpose(0, 1)
    view.random_(1, 10, generator=Generator().manual_seed(3))
    assert (x.numpy() >= 1).all() and numpy.array_equal(view.numpy(), x.numpy().T)
    assert x._version == view._version == 1


@pytest.mark.parametrize(("name", "args"), [*CONTINUOUS, ("random_", ()), ("random_", (-3, 50))])
def test_on_the_strict_device_as_on_the_cpu(strict_cuda, name, args):
    def run(device):
        x = tinygrad_bn.zeros(3, 5, device=device).transpose(0, 1)
        getattr(x, name)(*args, generator=Generator().manual_seed(9))
        return x.to("cpu").numpy()

    numpy.testing.assert_array_equal(run("cuda"), run("cpu"))
