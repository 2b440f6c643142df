"""``torch.func.jvp`` and ``torch.func.linearize`` against PyTorch's: outputs, products
and their nesting, the flags saying what stays on the graph and the gradients through
it, the compositions PyTorch documents (``jvp(grad(f))`` for Hessian-vector products,
``vmap`` of ``jvp`` and ``jvp`` of ``vmap``, ``jvp`` of ``jvp``), finite differences of
the products, and the errors."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck

RNG = numpy.random.default_rng(3)
X, W, V, U = (RNG.standard_normal(3) for _ in range(4))


def _f(a, b):
    return (a * b).sin() * a.sum()


JVPS = {
    "one primal": lambda f, lib, x, w, v, u: f.jvp(lambda a: a.exp() * a.sum(), (x,), (v,)),
    "two primals": lambda f, lib, x, w, v, u: f.jvp(_f, (x, w), (v, u)),
    "tuple output": lambda f, lib, x, w, v, u: f.jvp(lambda a, b: (a * b, {"s": (a - b).tanh()}), (x, w), (v, u)),
    "dict primal": lambda f, lib, x, w, v, u: f.jvp(lambda d: _f(d["x"], d["w"]), ({"x": x, "w": w},),
                                                    ({"x": v, "w": u},)),
    "has_aux": lambda f, lib, x, w, v, u: f.jvp(lambda a: (a.cos(), {"twice": a * 2}), (x,), (v,), has_aux=True),
    "independent output": lambda f, lib, x, w, v, u: f.jvp(lambda a: (a.sin(), w * 2), (x,), (v,)),
    "linear": lambda f, lib, x, w, v, u: f.jvp(lambda a: a * 3.0, (x,), (v,)),
    "hvp: jvp of grad": lambda f, lib, x, w, v, u: f.jvp(f.grad(lambda a: (_f(a, w) ** 2).sum()), (x,), (v,)),
    "vmap of jvp": lambda f, lib, x, w, v, u: f.vmap(lambda a, t: f.jvp(lambda p: p.sin() * p.sum(), (a,), (t,)))(
        x.reshape(3, 1) * w, v.reshape(3, 1) * u),
    "jvp of vmap": lambda f, lib, x, w, v, u: f.jvp(f.vmap(lambda a: a.cos() * a.sum()), (x.outer(w),),
                                                    (v.outer(u),)),
    "jvp of jvp": lambda f, lib, x, w, v, u: f.jvp(lambda a: f.jvp(lambda p: _f(p, w), (a,), (u,))[1], (x,), (v,)),
    "grad of jvp": lambda f, lib, x, w, v, u: f.grad(lambda a: f.jvp(lambda p: _f(p, w), (a,), (v,))[1].sum())(x),
    "linearize": lambda f, lib, x, w, v, u: (lambda out, fn: (out, fn(v, u), fn(u, v)))(*f.linearize(_f, x, w)),
    "linearize of a tuple": lambda f, lib, x, w, v, u: (lambda out, fn: (out, fn(v)))(
        *f.linearize(lambda a: (a.exp(), a.sum()), x)),
}


def _tensors(tree) -> list:
    if isinstance(tree, (tuple, list)):
        return [t for item in tree for t in _tensors(item)]
    if isinstance(tree, dict):
        return [t for item in tree.values() for t in _tensors(item)]
    return [tree]


def _structure(tree):
    if isinstance(tree, (tuple, list)):
        return type(tree).__name__, [_structure(item) for item in tree]
    if isinstance(tree, dict):
        return {key: _structure(item) for key, item in tree.items()}
    return tuple(tree.shape)


@pytest.mark.parametrize("name", JVPS)
@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jvp_and_linearize_are_pytorchs(torch, name, requires_grad, dtype):
    def run(lib):
        x, w, v, u = (lib.tensor(a.astype(dtype), requires_grad=requires_grad) for a in (X, W, V, U))
        result = JVPS[name](lib.func, lib, x, w, v, u)
        flat = _tensors(result)
        on_graph = [t.requires_grad for t in flat]
        if requires_grad:  # differentiable further, as PyTorch's
            upstream = [lib.tensor(RNG.standard_normal(tuple(t.shape)).astype(dtype)) for t in flat]
            total = sum((t * g).sum() for t, g in zip(flat, upstream) if t.requires_grad)
            grads = lib.autograd.grad(total, (x, w, v, u), allow_unused=True)
            flat += [lib.zeros_like(t) if g is None else g for g, t in zip(grads, (x, w, v, u))]  # unused: zeros
        return _structure(result), [t.detach().numpy() for t in flat], on_graph

    state = RNG.bit_generator.state  # the same upstream gradients for both
    mine = run(tg)
    RNG.bit_generator.state = state
    theirs = run(torch)
    assert mine[0] == theirs[0] and mine[2] == theirs[2]
    tolerance = {"float64": 1e-11, "float32": 1e-5}[dtype]
    for m, t in zip(mine[1], theirs[1], strict=True):
        assert m.dtype == t.dtype
        numpy.testing.assert_allclose(m, t, rtol=tolerance, atol=tolerance)


def test_the_product_is_the_directional_derivative():
    """J·v against finite differences, and its gradients in the primals and the tangents
    (linearize's in the tangents only, the primals being constants to its ``jvp_fn``)."""
    x, w, v = (tg.tensor(a, requires_grad=True) for a in (X, W, V))
    eps = 1e-6
    _, product = tg.func.jvp(lambda a: _f(a, w), (x,), (v,))
    difference = (_f(x + eps * v, w) - _f(x - eps * v, w)) / (2 * eps)
    numpy.testing.assert_allclose(product.detach().numpy(), difference.detach().numpy(), rtol=1e-7, atol=1e-9)
    upstream = tg.tensor(RNG.standard_normal(3))
    assert gradcheck(lambda a, b, t: tg.func.jvp(_f, (a, b), (t, t * 0.5))[1] * upstream, (x, w, v))
    jvp_fn = tg.func.linearize(lambda p: _f(p, w), x)[1]
    assert gradcheck(lambda t: jvp_fn(t) * upstream, (v,))


def test_linearize_runs_func_twice_as_pytorchs_and_reuses_the_second_run(torch):
    def count(lib):
        calls = []

        def f(a):
            calls.append(1)
            return a.sin()

        out, jvp_fn = lib.func.linearize(f, lib.tensor(X))
        products = [jvp_fn(lib.tensor(t)).numpy() for t in (V, U)]
        for t, product in zip((V, U), products):
            numpy.testing.assert_allclose(product, numpy.cos(X) * t, rtol=1e-14)
        return len(calls)

    assert count(tg) == count(torch) == 2


def test_a_tangent_of_another_dtype_is_cast_to_its_primals(torch):
    """PyTorch takes it too and gives the product in the tangent's dtype; here it is in the primal's."""
    mine = tg.func.jvp(tg.sin, (tg.tensor(X.astype("float32")),), (tg.tensor(V),))[1]
    theirs = torch.func.jvp(torch.sin, (torch.tensor(X.astype("float32")),), (torch.tensor(V),))[1]
    assert mine.dtype == "float32"
    numpy.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6)


ERRORS = {
    "primals not a tuple": lambda f, lib: f.jvp(lib.sin, lib.ones(2), (lib.ones(2),)),
    "tangents of another structure": lambda f, lib: f.jvp(lambda a, b: a * b, (lib.ones(2), lib.ones(2)),
                                                          (lib.ones(2),)),
    "tangents a list": lambda f, lib: f.jvp(lib.sin, (lib.ones(2),), [lib.ones(2)]),
    "tangent of another shape": lambda f, lib: f.jvp(lib.sin, (lib.ones(2),), (lib.ones(3),)),
    "strict, independent output": lambda f, lib: f.jvp(lambda a: lib.ones(2), (lib.ones(2),), (lib.ones(2),),
                                                       strict=True),
    "has_aux without aux": lambda f, lib: f.jvp(lib.sin, (lib.ones(2),), (lib.ones(2),), has_aux=True),
    "a number returned": lambda f, lib: f.jvp(lambda a: 3.0, (lib.ones(2),), (lib.ones(2),)),
    "linearize, tangents of another structure": lambda f, lib: f.linearize(lib.sin, lib.ones(2))[1](
        lib.ones(2), lib.ones(2)),
    "linearize, tangent of another dtype": lambda f, lib: f.linearize(lib.sin, lib.ones(2))[1](
        lib.ones(2, dtype=lib.float64)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs(torch, name):
    for lib in (torch, tg):
        with pytest.raises(RuntimeError):
            ERRORS[name](lib.func, lib)


def test_on_the_strict_device(strict_cuda):
    def run(device):
        x, w, v = (tg.tensor(a, device=device, requires_grad=True) for a in (X, W, V))
        out, product = tg.func.jvp(lambda a: _f(a, w), (x,), (v,))
        _, jvp_fn = tg.func.linearize(lambda a: _f(a, w), x)
        results = [out, product, jvp_fn(v), *tg.autograd.grad(product.sum(), (x, w, v))]
        assert all(t.device == device for t in results)
        return [t.detach().cpu().numpy() for t in results]

    for on_device, on_cpu in zip(run("cuda"), run("cpu"), strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-13)
