"""``autograd.forward_ad``: tangents against PyTorch's forward AD and finite differences,
levels, checks, and how duals meet reverse mode."""

import numpy
import pytest

import tinygrad_bn
import tinygrad_bn.autograd.forward_ad as fwAD
import tinygrad_bn.nn.functional as tg_F


def _batch_norm(lib, impl, running=False):
    """Training-mode batch norm of (x, weight, bias), through ``impl`` here; with
    ``running``, also updating running statistics (outside the graph)."""
    def bn(x, weight, bias):
        stats = (lib.zeros(3, dtype=x.dtype), lib.ones(3, dtype=x.dtype)) if running else (None, None)
        if lib is tinygrad_bn:
            return tg_F.batch_norm(x, *stats, weight, bias, training=True, momentum=0.3, eps=1e-5, impl=impl)
        return lib.nn.functional.batch_norm(x, *stats, weight, bias, training=True, momentum=0.3, eps=1e-5)
    return bn


# name -> (shapes of the inputs, function of (lib, *inputs)); every input is a dual
CASES = {
    "sin_times_x": ([(2, 3)], lambda lib, x: x.sin() * x),
    "exp_tanh_div": ([(4,), (4,)], lambda lib, x, y: x.exp() / (1.5 + y.tanh())),
    "broadcast": ([(3, 1), (4,)], lambda lib, x, y: x * y + y ** 2),
    "matmul": ([(3, 4), (4, 2)], lambda lib, a, b: a @ b),
    "sum_mean": ([(3, 4)], lambda lib, x: (x * x).sum(dim=1) + x.mean(dim=0).sum()),
    "indexing": ([(5, 3)], lambda lib, x: x[1:4, [0, 2]] * x[0, :2]),
    "softmax": ([(2, 5)], lambda lib, x: lib.softmax(x, dim=-1)),
    "conv2d": ([(2, 3, 5, 5), (4, 3, 3, 3), (4,)],
               lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1)),
    "batch_norm_fused": ([(4, 3, 2, 2), (3,), (3,)], lambda lib, *xs: _batch_norm(lib, "fused")(*xs)),
    "batch_norm_composite": ([(4, 3, 2, 2), (3,), (3,)], lambda lib, *xs: _batch_norm(lib, "composite")(*xs)),
    "batch_norm_1d_fused": ([(6, 3), (3,), (3,)], lambda lib, *xs: _batch_norm(lib, "fused")(*xs)),
    "batch_norm_running_fused": ([(4, 3, 2), (3,), (3,)], lambda lib, *xs: _batch_norm(lib, "fused", True)(*xs)),
    "batch_norm_running_composite": ([(4, 3, 2), (3,), (3,)],
                                     lambda lib, *xs: _batch_norm(lib, "composite", True)(*xs)),
}
TOLERANCE = {name: 1e-10 for name in CASES if name.startswith("batch_norm")}


def _arrays(shapes, seed):
    rng = numpy.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes], [rng.standard_normal(s) for s in shapes]


def _tangent(lib, func, primals, tangents):
    """(output, tangent) of ``func`` at the float64 ``primals``, every input a dual, through ``lib``."""
    ad = lib.autograd.forward_ad
    with ad.dual_level():
        duals = [ad.make_dual(lib.tensor(p), lib.tensor(t))
                 for p, t in zip(primals, tangents)]
        primal, tangent = ad.unpack_dual(func(lib, *duals))
        return primal.detach().numpy(), tangent.detach().numpy()


@pytest.mark.parametrize("name", CASES)
def test_tangents_match_pytorchs(name, torch):
    shapes, func = CASES[name]
    primals, tangents = _arrays(shapes, seed=1)
    ours = _tangent(tinygrad_bn, func, primals, tangents)
    theirs = _tangent(torch, func, primals, tangents)
    tolerance = TOLERANCE.get(name, 1e-12)
    numpy.testing.assert_allclose(ours[0], theirs[0], rtol=tolerance, atol=tolerance)
    numpy.testing.assert_allclose(ours[1], theirs[1], rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("name", CASES)
def test_tangents_are_central_differences(name):
    shapes, func = CASES[name]
    primals, tangents = _arrays(shapes, seed=2)
    _, tangent = _tangent(tinygrad_bn, func, primals, tangents)
    h = 1e-6

    def at(step):
        values = [tinygrad_bn.tensor(p + step * t) for p, t in zip(primals, tangents)]
        return func(tinygrad_bn, *values).numpy()

    numpy.testing.assert_allclose(tangent, (at(h) - at(-h)) / (2 * h), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_first_example_of_the_docs(dtype, torch):
    def run(lib):
        ad = lib.autograd.forward_ad
        with ad.dual_level():
            d = ad.make_dual(lib.tensor([1.0, 2.0], dtype=getattr(lib, dtype)),
                             lib.tensor([1.0, 0.0], dtype=getattr(lib, dtype)))
            tangent = ad.unpack_dual(d.sin() * d).tangent
            return tangent.numpy(), str(tangent.dtype).rsplit(".", 1)[-1]

    (ours, our_dtype), (theirs, their_dtype) = run(tinygrad_bn), run(torch)
    assert our_dtype == their_dtype == dtype
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-6 if dtype == "float32" else 1e-14)


def test_some_inputs_dual_others_not(torch):
    def run(lib):
        ad = lib.autograd.forward_ad
        w = lib.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=lib.float64)
        with ad.dual_level():
            d = ad.make_dual(lib.tensor([0.3, 0.7], dtype=lib.float64), lib.tensor([1.0, -1.0], dtype=lib.float64))
            out = (w @ d).relu() + w.sum()
            return ad.unpack_dual(out).tangent.numpy(), ad.unpack_dual(w * 2).tangent

    (ours, our_none), (theirs, their_none) = run(tinygrad_bn), run(torch)
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-14)
    assert our_none is None and their_none is None


# ---- levels ----


def test_make_dual_outside_a_level_raises():
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(tinygrad_bn.ones(2), tinygrad_bn.ones(2))


def test_unpack_dual_outside_a_level_gives_the_tensor_and_no_tangent():
    x = tinygrad_bn.ones(2)
    primal, tangent = fwAD.unpack_dual(x)
    assert primal is x and tangent is None


def test_levels_do_not_nest(torch):
    for lib in (torch, tinygrad_bn):
        with lib.autograd.forward_ad.dual_level() as level:
            assert level == 0
            with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
                lib.autograd.forward_ad.enter_dual_level()


def test_levels_enter_and_exit_by_hand():
    level = fwAD.enter_dual_level()
    try:
        with pytest.raises(RuntimeError, match="level 3"):
            fwAD.exit_dual_level(level=3)
        with pytest.raises(RuntimeError, match="level=3"):
            fwAD.make_dual(tinygrad_bn.ones(2), tinygrad_bn.ones(2), level=3)
    finally:
        fwAD.exit_dual_level(level=level)
    with pytest.raises(RuntimeError, match="no dual level open"):
        fwAD.exit_dual_level()


def test_tangents_are_gone_after_the_level():
    with fwAD.dual_level():
        d = fwAD.make_dual(tinygrad_bn.ones(2), tinygrad_bn.ones(2))
        out = d * 3
        assert fwAD.unpack_dual(out).tangent is not None
    assert fwAD.unpack_dual(d).tangent is None and fwAD.unpack_dual(out).tangent is None


def test_dual_level_is_a_decorator():
    @fwAD.dual_level()
    def tangent_of_square(x, t):
        return fwAD.unpack_dual(fwAD.make_dual(x, t) ** 2).tangent

    assert tangent_of_square(tinygrad_bn.tensor([3.0]), tinygrad_bn.tensor([1.0])).tolist() == [6.0]
    with fwAD.dual_level() as level:  # the decorator closed its level, so this one can open
        assert level == 0


# ---- what unpack_dual gives ----


def test_a_duals_tangent_is_the_one_given():
    t = tinygrad_bn.tensor([1.0, 2.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(tinygrad_bn.zeros(2), t)
        assert fwAD.unpack_dual(d).tangent is t


def test_make_dual_under_no_grad_keeps_its_tangent(torch):
    def run(lib):
        ad = lib.autograd.forward_ad
        with ad.dual_level():
            with lib.no_grad():
                d = ad.make_dual(lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0]))
            return ad.unpack_dual(d).tangent.tolist(), ad.unpack_dual(d.exp()).primal.tolist()

    ours, theirs = run(tinygrad_bn), run(torch)
    assert ours[0] == theirs[0]
    numpy.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


def test_tangents_of_intermediate_and_final_outputs(torch):
    def run(lib):
        ad = lib.autograd.forward_ad
        x = lib.tensor([0.2, -1.0, 3.0], dtype=lib.float64)
        with ad.dual_level():
            d = ad.make_dual(x, lib.tensor([1.0, 2.0, -1.0], dtype=lib.float64))
            hidden = d.tanh() * x
            first = ad.unpack_dual(hidden).tangent
            out = (hidden * d).sum()
            return first.numpy(), ad.unpack_dual(out).tangent.numpy()

    for ours, theirs in zip(run(tinygrad_bn), run(torch)):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_a_tangent_is_computed_once_per_output():
    with fwAD.dual_level():
        out = fwAD.make_dual(tinygrad_bn.ones(2), tinygrad_bn.ones(2)).exp()
        assert fwAD.unpack_dual(out).tangent is fwAD.unpack_dual(out).tangent


def test_the_primal_carries_no_tangent(torch):
    def run(lib):
        ad = lib.autograd.forward_ad
        with ad.dual_level():
            primal = ad.unpack_dual(ad.make_dual(lib.tensor([1.0, 2.0]), lib.ones(2)) * 3).primal
            return primal.tolist(), ad.unpack_dual(primal * 2).tangent

    assert run(tinygrad_bn) == run(torch) == ([3.0, 6.0], None)


def test_an_output_independent_of_the_duals_values_has_zero_tangent(torch):
    def run(lib):
        ad = lib.autograd.forward_ad
        with ad.dual_level():
            d = ad.make_dual(lib.tensor([1.5, -2.0]), lib.ones(2))
            return ad.unpack_dual(d.sign() * 2).tangent.tolist()

    assert run(tinygrad_bn) == run(torch)


# ---- checks ----


@pytest.mark.parametrize(("primal", "tangent", "error", "match"), [
    ((2,), (3,), RuntimeError, r"shape \(3,\) but the primal has shape \(2,\)"),
    ((2,), "int", ValueError, "Expected tangent to be floating point"),
    ("int", (2,), ValueError, "Expected primal to be floating point"),
    ((2,), "list", TypeError, "expected the tangent to be a Tensor, got list"),
])
def test_make_dual_checks_its_arguments(primal, tangent, error, match):
    def made(spec):
        if spec == "int":
            return tinygrad_bn.tensor([1, 2])
        if spec == "list":
            return [1.0, 2.0]
        return tinygrad_bn.ones(*spec)

    with fwAD.dual_level(), pytest.raises(error, match=match):
        fwAD.make_dual(made(primal), made(tangent))


def test_a_dual_of_a_dual_raises_as_pytorchs(torch):
    for lib in (torch, tinygrad_bn):
        ad = lib.autograd.forward_ad
        with ad.dual_level():
            out = ad.make_dual(lib.ones(2), lib.ones(2)) * 2
            with pytest.raises(RuntimeError, match="already has a forward gradient"):
                ad.make_dual(out, lib.ones(2))


def test_unpack_dual_wants_a_tensor():
    with pytest.raises(TypeError, match="expected a Tensor, got float"):
        fwAD.unpack_dual(1.0)


# ---- in place ----


def test_in_place_on_a_dual_raises_and_names_clone():
    with fwAD.dual_level():
        d = fwAD.make_dual(tinygrad_bn.ones(2), tinygrad_bn.ones(2))
        with pytest.raises(RuntimeError, match=r"clone\(\)"):
            d.mul_(2)


def test_in_place_on_what_is_computed_from_duals(torch):
    def run(lib):
        ad = lib.autograd.forward_ad
        with ad.dual_level():
            d = ad.make_dual(lib.tensor([1.0, -2.0], dtype=lib.float64), lib.tensor([0.5, 1.0], dtype=lib.float64))
            y = d.clone()
            y.mul_(3.0)
            z = lib.zeros(2, dtype=lib.float64)
            z.add_(y * d)
            return ad.unpack_dual(y).tangent.numpy(), ad.unpack_dual(z).tangent.numpy()

    for ours, theirs in zip(run(tinygrad_bn), run(torch)):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-14)


# ---- reverse mode ----


def test_backward_through_a_dual_reaches_its_primal(torch):
    def run(lib):
        ad = lib.autograd.forward_ad
        x = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        with ad.dual_level():
            out = (ad.make_dual(x, lib.ones(2, dtype=lib.float64)).exp() * x).sum()
            out.backward()
        return x.grad.numpy()

    numpy.testing.assert_allclose(run(tinygrad_bn), run(torch), rtol=1e-14)


def test_backward_through_a_primal_and_a_dual(torch):
    def run(lib):
        ad = lib.autograd.forward_ad
        x = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        with ad.dual_level():
            d = ad.make_dual(x, lib.tensor([1.0, -1.0], dtype=lib.float64))
            out = (ad.unpack_dual(d).primal.sin() * d).sum()
            tangent = ad.unpack_dual(out).tangent
            out.backward()
        return tangent.detach().numpy(), x.grad.numpy()

    for ours, theirs in zip(run(tinygrad_bn), run(torch)):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_the_tangent_is_differentiable_in_primal_and_tangent(torch):
    def run(lib):
        ad = lib.autograd.forward_ad
        x = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        t = lib.tensor([1.0, -3.0], dtype=lib.float64, requires_grad=True)
        with ad.dual_level():
            primal, tangent = ad.unpack_dual((ad.make_dual(x, t) ** 3).sin().sum())
            flags = primal.requires_grad, tangent.requires_grad, ad.unpack_dual(tangent * primal).tangent
            tangent.backward()
        return flags, x.grad.numpy(), t.grad.numpy()

    ours, theirs = run(tinygrad_bn), run(torch)
    assert ours[0] == theirs[0] == (True, True, None)
    for a, b in zip(ours[1:], theirs[1:]):
        numpy.testing.assert_allclose(a, b, rtol=1e-13)


def test_a_tangent_off_any_gradient_is_detached(torch):
    def run(lib):
        ad = lib.autograd.forward_ad
        with ad.dual_level():
            primal, tangent = ad.unpack_dual(ad.make_dual(lib.ones(2), lib.ones(2)).exp())
            return primal.requires_grad, tangent.requires_grad

    assert run(tinygrad_bn) == run(torch) == (False, False)
