"""``backward(inputs=...)`` (Tensor method and ``autograd.backward``) and the confined
passes behind it and ``autograd.grad``: gradients accumulate into the given tensors
only, leaves and non-leaves, as PyTorch's do; only the nodes that lead to them run, so
hooks elsewhere are not called and nodes elsewhere keep what they saved."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import Tensor

pytestmark = pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf",
                                        "ignore:Using backward.. with create_graph=True")

X = numpy.array([1.0, -2.0, 0.5])
W = numpy.array([3.0, 0.25, -1.0])


def _graph(lib):
    """z = Σ (x·w)² + Σ sin(b)·w; h = x·w is the non-leaf; u is a leaf z does not use."""
    x, w, b, u = (lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in (X, W, X * W, W))
    h = x * w
    z = (h * h).sum() + (b.sin() * w).sum()
    return {"x": x, "w": w, "b": b, "u": u, "h": h}, z


INPUTS = {
    "one leaf": ["w"],
    "a leaf as a tensor": "w",
    "the non-leaf": ["h"],
    "a leaf below the non-leaf and the non-leaf": ["x", "h"],
    "the same leaf twice": ["w", "w"],
    "a leaf it does not use": ["u"],
    "all": ["x", "w", "b", "h", "u"],
}


def _run(lib, inputs, twice=False):
    tensors, z = _graph(lib)
    chosen = tensors[inputs] if isinstance(inputs, str) else [tensors[name] for name in inputs]
    z.backward(inputs=chosen, retain_graph=twice)
    if twice:
        z.backward(inputs=chosen)
    return {name: None if t.grad is None else t.grad.detach().numpy() for name, t in tensors.items()}


@pytest.mark.parametrize("twice", [False, True], ids=["once", "twice"])
@pytest.mark.parametrize("name", INPUTS)
def test_accumulates_into_the_inputs_only_as_pytorch(torch, name, twice):
    ours, theirs = _run(tg, INPUTS[name], twice), _run(torch, INPUTS[name], twice)
    for key in ours:
        assert (ours[key] is None) == (theirs[key] is None), key
        if ours[key] is not None:
            numpy.testing.assert_allclose(ours[key], theirs[key], rtol=1e-15, atol=0)


def test_a_non_leaf_input_keeps_its_gradients_afterwards(torch):
    def run(lib):
        tensors, z = _graph(lib)
        z.backward(inputs=[tensors["h"]], retain_graph=True)
        z.backward(inputs=[tensors["w"]])
        return tensors["h"].grad.detach().numpy(), tensors["w"].grad.detach().numpy()

    for ours, theirs in zip(run(tg), run(torch)):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-15)


def test_autograd_backward_takes_inputs(torch):
    def run(lib):
        tensors, z = _graph(lib)
        lib.autograd.backward([z, tensors["h"].sum()], inputs=[tensors["x"]])
        return tensors["x"].grad.detach().numpy(), tensors["w"].grad

    (ours, none), (theirs, also_none) = run(tg), run(torch)
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-15)
    assert none is None and also_none is None


def _hook_calls(lib, call):
    """Which hooks a backward with only some inputs calls: one on the leaf b, one on
    the non-leaf h (on the path to x and w), one on sin(b) (off it)."""
    tensors, _ = _graph(lib)
    called = []
    s = tensors["b"].sin()
    z = (tensors["h"] * tensors["h"]).sum() + (s * tensors["w"]).sum()
    tensors["b"].register_hook(lambda g: called.append("b"))
    tensors["h"].register_hook(lambda g: called.append("h"))
    s.register_hook(lambda g: called.append("sin(b)"))
    call(lib, z, tensors)
    return sorted(called)


@pytest.mark.parametrize("call", [
    lambda lib, z, t: z.backward(inputs=[t["x"]]),
    lambda lib, z, t: z.backward(inputs=[t["w"]]),
    lambda lib, z, t: z.backward(inputs=[t["b"]]),
    lambda lib, z, t: lib.autograd.grad(z, [t["x"]]),
    lambda lib, z, t: lib.autograd.grad(z, [t["h"], t["b"]]),
], ids=["backward x", "backward w", "backward b", "grad x", "grad h and b"])
def test_hooks_off_the_path_are_not_called(torch, call):
    assert _hook_calls(tg, call) == _hook_calls(torch, call)


def test_nodes_off_the_path_keep_what_they_saved():
    a, b, c, d = (Tensor(numpy.array([v]), requires_grad=True) for v in (1.0, 2.0, 3.0, 4.0))
    left, right = a * b, c * d
    (left + right).sum().backward(inputs=[a])
    assert left.grad_fn.released and not right.grad_fn.released
    right.sum().backward()
    assert c.grad.tolist() == [4.0] and a.grad.tolist() == [2.0] and b.grad is None


def test_grad_of_an_input_that_is_an_output_runs_nothing_below_it():
    x = Tensor(numpy.array([1.0, 2.0]), requires_grad=True)
    y = x.exp()
    (g,) = tg.autograd.grad(y, y, grad_outputs=tg.ones(2, dtype=tg.float64))
    assert g.tolist() == [1.0, 1.0] and not y.grad_fn.released


@pytest.mark.parametrize("name", ["one leaf", "the non-leaf", "a leaf below the non-leaf and the non-leaf"])
def test_second_order_through_inputs_as_pytorch(torch, name):
    def run(lib):
        tensors, z = _graph(lib)
        chosen = [tensors[n] for n in INPUTS[name]]
        z.backward(inputs=chosen, create_graph=True)
        first = [t.grad for t in chosen]
        values = [g.detach().numpy().copy() for g in first]  # PyTorch adds the next ones into these in place
        lib.autograd.backward([g.sum() for g in first], inputs=[tensors["x"]])
        return values + [tensors["x"].grad.detach().numpy()]

    for ours, theirs in zip(run(tg), run(torch)):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_retain_graph_defaults_to_create_graph(torch):
    for lib in (tg, torch):
        x = lib.tensor([2.0], requires_grad=True)
        y = (x ** 3).sum()
        y.backward(create_graph=True)
        y.backward()  # the graph was kept, as retain_graph=None means create_graph
        assert x.grad.item() == 24.0


ERRORS = {
    "empty": (lambda lib, t: t["z"].backward(inputs=[]), "empty inputs"),
    "not a tensor": (lambda lib, t: t["z"].backward(inputs=[1.0]), "expects Tensors in inputs=, got float"),
    "no grad": (lambda lib, t: t["z"].backward(inputs=[lib.ones(2)]), r"shape \(2,\)\) that does not require grad"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, name):
    call, words = ERRORS[name]
    with pytest.raises(RuntimeError):
        tensors, z = _graph(torch)
        call(torch, {**tensors, "z": z})
    tensors, z = _graph(tg)
    with pytest.raises(RuntimeError, match=words):
        call(tg, {**tensors, "z": z})
    assert all(t.grad is None for t in tensors.values())


def test_on_the_strict_device(strict_cuda):
    def run(device):
        x = Tensor(X, requires_grad=True, device=device)
        w = Tensor(W, requires_grad=True, device=device)
        ((x * w).exp().sum() + w.sum()).backward(inputs=[w])
        return x.grad, w.grad.cpu().numpy()

    (none, on_device), (also_none, on_cpu) = run("cuda"), run("cpu")
    assert none is None and also_none is None
    numpy.testing.assert_array_equal(on_device, on_cpu)
