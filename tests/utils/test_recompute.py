"""The recomputing node behind activation checkpoints (``utils.recompute``) and the
``recording`` of nodes it relies on: the part of the graph a function records becomes
one node hanging from the right tensors, its saved arrays are freed, and backward runs
the function again to give the gradients of the uncheckpointed graph, to second order,
whatever the function closes over and returns."""

import gc
import weakref

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.annotations import region
from tinygrad_bn.autograd import Tensor, graph
from tinygrad_bn.autograd.function import on_record, recording
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.utils.recompute import CheckpointError, recompute

RNG = numpy.random.default_rng(0)
X = RNG.standard_normal((3, 4))
W = RNG.standard_normal((4, 4))
B = RNG.standard_normal(4)


def _tensors(*arrays):
    return [Tensor(a.copy(), requires_grad=True) for a in arrays]


def _plain(function, args, kwargs, **options):
    """What :func:`recompute` stands for: the function itself, recorded as usual."""
    return function(*args, **kwargs)


# Functions of r (recompute or _plain) and (x, w, b): x the argument, w and b closed over, as parameters are
FUNCTIONS = {
    "one output": lambda r, x, w, b: r(lambda t: (t @ w + b).tanh() * t.sum(), (x,), {}),
    "two outputs": lambda r, x, w, b: _sum_all(r(lambda t: ((t @ w).sin(), (t * b).exp()), (x,), {})),
    "an output twice": lambda r, x, w, b: _sum_all(r(lambda t: (lambda y: (y, y * 2.0, y))((t @ w).tanh()),
                                                     (x,), {})),
    "a dict and a number": lambda r, x, w, b: _sum_all(r(lambda t: {"y": (t * b).cos(), "n": 3}, (x,), {})),
    "outputs of two dtypes": lambda r, x, w, b: _sum_all(r(lambda t: ((t @ w).float(), t.exp()), (x,), {})),
    "the argument returned": lambda r, x, w, b: _sum_all(r(lambda t: (t, (t @ w).relu()), (x,), {})),
    "a non-leaf argument": lambda r, x, w, b: r(lambda t: (t @ w).tanh(), (x.exp(),), {}),
    "a non-leaf closed over": lambda r, x, w, b: (lambda h: r(lambda t: (t * h).sin(), (x,), {}))(b.exp() @ w),
    "keywords": lambda r, x, w, b: r(lambda t, *, scale: (t * scale).tanh(), (x,), {"scale": w[0]}),
    "nested": lambda r, x, w, b: r(lambda t: r(lambda u: (u @ w).tanh(), (t * b,), {}).exp(), (x,), {}),
}


def _sum_all(outputs):
    values = outputs.values() if isinstance(outputs, dict) else outputs
    return sum((t.double().sum() for t in values if isinstance(t, Tensor)), Tensor(numpy.array(0.0)))


def _run(name, checkpointed: bool):
    """The value and the gradients of x, w and b (None where none reached them)."""
    tensors = _tensors(X, W, B)
    y = FUNCTIONS[name](recompute if checkpointed else _plain, *tensors)
    y.sum().backward()
    return [y.detach().numpy()] + [None if t.grad is None else t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_values_and_gradients_are_those_of_the_plain_graph(name):
    for got, expected in zip(_run(name, True), _run(name, False)):
        assert (got is None) == (expected is None)
        if got is not None:
            numpy.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", ["one output", "two outputs", "a non-leaf closed over", "keywords", "nested"])
def test_gradcheck_and_gradgradcheck(name):
    x, w, b = (Tensor(a, requires_grad=True) for a in (X[:2], W, B))

    def function(*tensors):
        return FUNCTIONS[name](recompute, *tensors)

    assert gradcheck(function, (x, w, b), atol=1e-6, rtol=1e-5)
    assert gradgradcheck(function, (x, w, b), atol=1e-5, rtol=1e-4)


def test_hangs_from_the_argument_and_what_the_function_closes_over():
    x, w, b = _tensors(X, W, B)
    h = b * 2.0
    y = recompute(lambda t: (t @ w + h).tanh(), (x,), {})
    assert y.grad_fn.name == "Recompute"
    parents = y.grad_fn.parents
    assert len(parents) == 3 and any(p is x for p in parents) and any(p is w for p in parents)
    assert any(p is h.grad_fn for p in parents)


def test_frees_what_the_function_saved():
    x, w, b = _tensors(numpy.ones((64, 4)), W, B)
    kept = []

    def function(t):
        hidden = (t @ w).tanh()
        kept.append(weakref.ref(hidden.grad_fn))
        return (hidden * b).exp().sum(1)

    y = recompute(function, (x,), {})
    gc.collect()
    assert kept[0]() is None
    assert graph.saved_bytes(y) == x.numpy().nbytes  # the argument alone, for the second run
    assert graph.saved_bytes(function(x)) > 3 * x.numpy().nbytes


def test_a_second_backward_needs_retain_graph():
    x, w, b = _tensors(X, W, B)
    y = FUNCTIONS["one output"](recompute, x, w, b).sum()
    y.backward(retain_graph=True)
    first = w.grad.numpy().copy()
    y.backward()
    numpy.testing.assert_allclose(w.grad.numpy(), 2 * first, rtol=1e-15)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_an_argument_changed_in_place_after_forward_is_refused():
    x, w, b = _tensors(X, W, B)
    h = x * 1.0
    y = recompute(lambda t: (t @ w).tanh(), (h,), {})
    with tg.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation|changed in place"):
        y.sum().backward()


def test_a_second_run_of_another_shape_is_a_checkpoint_error():
    x, w, b = _tensors(X, W, B)
    runs = []

    def shrinking(t):
        runs.append(1)
        return (t[: 4 - len(runs)] @ w).tanh()

    y = recompute(shrinking, (x,), {})
    with pytest.raises(CheckpointError, match=r"shape \(2, 4\) .* of shape \(3, 4\) and dtype float64 the first"):
        y.sum().backward()


def test_random_draws_are_the_same_in_the_second_run_and_the_generator_goes_on_as_before():
    x, w, b = _tensors(X, W, B)
    noise = []

    def noisy(t):
        noise.append(tg.rand(3, 4, dtype=tg.float64))
        return t * noise[-1]

    tg.manual_seed(7)
    y = recompute(noisy, (x,), {})
    after_forward = tg.default_generator.get_state()
    y.sum().backward()
    assert tg.equal(noise[0], noise[1]) and tg.equal(x.grad, noise[0])
    assert tg.equal(tg.default_generator.get_state(), after_forward)
    y = recompute(noisy, (x,), {}, preserve_rng_state=False)
    y.sum().backward()
    assert not tg.equal(noise[2], noise[3])


def test_without_grad_mode_the_function_just_runs():
    x, w, b = _tensors(X, W, B)
    with tg.no_grad():
        y = recompute(lambda t: (t @ w).tanh(), (x,), {})
    assert y.grad_fn is None and not y.requires_grad


def test_the_contexts_are_entered_once_per_run():
    entered = []

    class Noting:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            entered.append(self.name)

        def __exit__(self, *exc):
            return False

    x, w, b = _tensors(X, W, B)
    y = recompute(lambda t: (t @ w).tanh(), (x,), {}, contexts=(Noting("forward"), Noting("again")))
    assert entered == ["forward"]
    y.sum().backward()
    assert entered == ["forward", "again"]


def test_recording_gathers_nodes_through_regions_and_keeps_their_notes():
    x = Tensor(numpy.ones(2), requires_grad=True)
    with recording() as outer:
        y = x * 2.0
        with region("module", "inner"), recording() as inner:
            z = y.exp()
    assert [n.name for n in outer] == ["Mul", "Exp"] and [n.name for n in inner] == ["Exp"]
    from tinygrad_bn import annotations

    assert [r.label for r in annotations.of(z.grad_fn).regions] == ["inner"]
    assert on_record(None) is None  # nothing was left behind


def test_on_the_strict_device(strict_cuda):
    def run(device):
        x, w, b = (Tensor(a, requires_grad=True, device=device) for a in (X, W, B))
        y = recompute(lambda t: ((t @ w).tanh() * b, t.exp()), (x,), {})
        (y[0].sum() + y[1].sum()).backward()
        return [t.grad.cpu().numpy() for t in (x, w, b)]

    for on_device, on_cpu in zip(run("cuda"), run("cpu")):
        numpy.testing.assert_array_equal(on_device, on_cpu)
