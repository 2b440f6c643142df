"""``torch.func``: ``stack_module_state``, ``vmap`` and the transforms ``grad``,
``grad_and_value``, ``vjp``, ``jacrev``, ``jacfwd`` and ``hessian`` against PyTorch's;
and ``torch.func.functional_call`` and ``torch.nn.utils.stateless.functional_call``: the
module called with the given tensors in place of its parameters and buffers, as
PyTorch's (outputs, gradients to the given tensors, buffers updated, tied weights,
strict keys, errors), the module's own members put back afterwards, also on error."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.func import functional_call
from tinygrad_bn.nn.utils import stateless

RNG = numpy.random.default_rng(0)
X = RNG.standard_normal((6, 3))


def _model(lib):
    """Linear → BatchNorm1d → Tanh → Linear, in float64, with the same members in both frameworks."""
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Tanh(), lib.nn.Linear(4, 2)).double()
    members = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    with lib.no_grad():
        for name, value in _values(NAMES, seed=9).items():
            members[name].copy_(lib.tensor(value))
    return model


def _values(names_shapes, seed=2) -> dict:
    rng = numpy.random.default_rng(seed)
    values = {name: rng.standard_normal(shape) for name, shape in names_shapes}
    return {name: numpy.abs(v) + 0.5 if name.endswith("running_var") else v for name, v in values.items()}


NAMES = [("0.weight", (4, 3)), ("0.bias", (4,)), ("1.weight", (4,)), ("1.bias", (4,)), ("1.running_mean", (4,)),
         ("1.running_var", (4,)), ("3.weight", (2, 4)), ("3.bias", (2,))]

CALLS = {
    "all members": lambda f, m, d, x: f(m, d, (x,)),
    "args not a tuple": lambda f, m, d, x: f(m, d, x),
    "keyword args": lambda f, m, d, x: f(m, d, (), {"input": x}),
    "some members": lambda f, m, d, x: f(m, {k: d[k] for k in ("0.weight", "3.bias")}, (x,)),
    "a tuple of dicts": lambda f, m, d, x: f(m, ({k: v for k, v in d.items() if "running" not in k},
                                                 {k: v for k, v in d.items() if "running" in k}), (x,)),
    "a list of dicts": lambda f, m, d, x: f(m, [{"0.weight": d["0.weight"]}, {"1.bias": d["1.bias"]}], (x,)),
    "strict": lambda f, m, d, x: f(m, {**d, "1.num_batches_tracked": m[1].num_batches_tracked}, (x,), strict=True),
    "eval mode": lambda f, m, d, x: f(m.eval(), d, (x,)),
}


def _run(lib, name):
    model = _model(lib)
    if name == "keyword args":
        model = _Keyword(lib, model)
        given = {f"inner.{k}": lib.tensor(v, requires_grad="running" not in k) for k, v in _values(NAMES).items()}
    else:
        given = {k: lib.tensor(v, requires_grad="running" not in k) for k, v in _values(NAMES).items()}
    own = {k: v.detach().clone() for k, v in model.state_dict().items()}
    y = CALLS[name](lib.func.functional_call, model, given, lib.tensor(X))
    (y * y).sum().backward()
    grads = {k: v.grad for k, v in given.items() if v.requires_grad}
    changed = sorted(k for k, v in model.state_dict().items() if not lib.equal(own[k], v))
    changed += sorted(f"{k}.grad" for k, p in model.named_parameters() if p.grad is not None)  # those not given
    return y, grads, {k: v for k, v in given.items() if "running" in k}, changed


class _Keyword:
    """A module taking its input by keyword: ``inner(input)``."""

    def __new__(cls, lib, inner):
        class Keyword(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = inner

            def forward(self, *, input):  # noqa: A002 - the keyword under test
                return self.inner(input)

        return Keyword()


@pytest.mark.parametrize("name", CALLS)
def test_outputs_gradients_and_buffers_are_pytorchs(torch, name):
    (y, grads, buffers, changed), (ty, tgrads, tbuffers, tchanged) = _run(tg, name), _run(torch, name)
    numpy.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    assert sorted(k for k, g in grads.items() if g is not None) == sorted(k for k, g in tgrads.items() if g is not None)
    for key, g in grads.items():
        if g is not None:
            numpy.testing.assert_allclose(g.numpy(), tgrads[key].numpy(), rtol=1e-11, atol=1e-13)
    for key, b in buffers.items():
        numpy.testing.assert_allclose(b.numpy(), tbuffers[key].numpy(), rtol=1e-12)
    assert changed == tchanged  # the module's own num_batches_tracked counts the call in training


def test_gradcheck_and_gradgradcheck_in_the_given_tensors():
    layer = tg.nn.Linear(3, 2).double()
    x = tg.tensor(X[:2], requires_grad=True)
    w, b = (tg.tensor(RNG.standard_normal(shape), requires_grad=True) for shape in ((2, 3), (2,)))

    def function(x, w, b):
        return functional_call(layer, {"weight": w, "bias": b}, (x,)).tanh()

    assert gradcheck(function, (x, w, b), atol=1e-6, rtol=1e-5)
    assert gradgradcheck(function, (x, w, b), atol=1e-5, rtol=1e-4)


class _Tied:
    def __new__(cls, lib):
        class Tied(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.first = lib.nn.Linear(2, 2, bias=False).double()
                self.second = lib.nn.Linear(2, 2, bias=False).double()
                self.second.weight = self.first.weight

            def forward(self, x):
                return self.second(self.first(x))

        return Tied()


TIED = {
    "one name given": (lambda lib: {"first.weight": lib.eye(2, dtype=lib.float64) * 2}, {}),
    "the other name given": (lambda lib: {"second.weight": lib.eye(2, dtype=lib.float64) * 3}, {}),
    "both, one tensor": (lambda lib: (lambda w: {"first.weight": w, "second.weight": w})(
        lib.eye(2, dtype=lib.float64) * 2), {}),
    "untied": (lambda lib: {"first.weight": lib.eye(2, dtype=lib.float64) * 2}, {"tie_weights": False}),
    "untied, both": (lambda lib: {"first.weight": lib.eye(2, dtype=lib.float64) * 2,
                                  "second.weight": lib.eye(2, dtype=lib.float64) * 5}, {"tie_weights": False}),
}


@pytest.mark.parametrize("name", TIED)
def test_tied_weights_as_pytorch(torch, name):
    def run(lib):
        model = _Tied(lib)
        with lib.no_grad():
            model.first.weight.copy_(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
        given, options = TIED[name]
        return lib.func.functional_call(model, given(lib), (lib.ones(1, 2, dtype=lib.float64),), **options)

    numpy.testing.assert_array_equal(run(tg).detach().numpy(), run(torch).detach().numpy())


def test_an_unknown_name_is_an_attribute_for_the_call_only(torch):
    def run(lib):
        class Scaled(lib.nn.Module):
            def forward(self, x):
                return x * getattr(self, "scale", 1.0)

        model = Scaled()
        y = lib.func.functional_call(model, {"scale": lib.tensor(3.0)}, (lib.ones(2),))
        return y.tolist(), hasattr(model, "scale")

    assert run(tg) == run(torch) == ([3.0, 3.0], False)


def test_a_member_reassigned_in_the_call_is_written_back(torch):
    def run(lib):
        class Counter(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("count", lib.zeros(()))

            def forward(self, x):
                self.count = self.count + 1
                return x

        model, given = Counter(), {"count": lib.tensor(5.0)}
        lib.func.functional_call(model, given, (lib.ones(1),))
        return given["count"].item(), model.count.item()

    assert run(tg) == run(torch) == (6.0, 0.0)


def test_the_members_are_put_back_when_the_call_raises():
    model = _model(tg)
    own = dict(model.named_parameters())

    def failing(x):
        raise KeyError("inside")

    model[2].forward = failing
    with pytest.raises(KeyError, match="inside"):
        functional_call(model, {"0.weight": tg.zeros(4, 3, dtype=tg.float64)}, (tg.tensor(X),))
    assert all(p is own[name] for name, p in model.named_parameters())


ERRORS = {
    "not a dict": (lambda f, m: f.func.functional_call(m, 3, (f.ones(1, 3),)), ValueError,
                   "a dict, or a list/tuple of dicts, but got int"),
    "not dicts": (lambda f, m: f.func.functional_call(m, ({}, 3), (f.ones(1, 3),)), ValueError,
                  "all elements of parameter_and_buffer_dicts to be dictionaries"),
    "repeated keys": (lambda f, m: f.func.functional_call(m, ({"0.bias": f.zeros(4)}, {"0.bias": f.ones(4)}),
                                                          (f.ones(1, 3),)), ValueError,
                      r"\['0.bias'\] appeared in more than one"),
    "strict": (lambda f, m: f.func.functional_call(m, {"0.bias": f.zeros(4), "extra": f.ones(1)}, (f.ones(1, 3),),
                                                   strict=True), RuntimeError,
               "Error.s. in reparametrizing for Sequential:\n\tUnexpected key.s.: 'extra'.\n\tMissing key.s.: "
               "'0.weight', '1.bias'"),
    "not a tensor": (lambda f, m: f.func.functional_call(m, {"0.bias": 3.0}, (f.ones(1, 3),)), TypeError,
                     "Tensors .or None. as values, got float for '0.bias'"),
    "no such sub-module": (lambda f, m: f.func.functional_call(m, {"7.bias": f.zeros(4)}, (f.ones(1, 3),)),
                           AttributeError, "Sequential has no attribute '7'"),
    "tied, two tensors": (lambda f, m: f.func.functional_call(_Tied(f), {"first.weight": f.eye(2),
                                                                         "second.weight": f.eye(2)}, f.ones(1, 2)),
                          ValueError, r"tied members \['first.weight', 'second.weight'\]"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs(torch, name):
    call, kind, words = ERRORS[name]
    with pytest.raises(kind):
        call(torch, _model(torch))
    model = _model(tg)
    own = dict(model.named_parameters())
    with pytest.raises(kind, match=words):
        call(tg, model)
    assert all(p is own[key] for key, p in model.named_parameters())


def test_the_stateless_form_warns_as_deprecated_and_calls_the_same(torch):
    layer = tg.nn.Linear(3, 2).double()
    given = {"weight": tg.ones(2, 3, dtype=tg.float64), "bias": tg.zeros(2, dtype=tg.float64)}
    with pytest.warns(FutureWarning):
        torch.nn.utils.stateless.functional_call(torch.nn.Linear(3, 2), {"bias": torch.zeros(2)}, torch.ones(1, 3))
    with pytest.warns(FutureWarning, match="torch.func.functional_call"):
        y = stateless.functional_call(layer, given, tg.tensor(X))
    assert tg.equal(y, functional_call(layer, given, tg.tensor(X)))
    with pytest.warns(FutureWarning), pytest.raises(TypeError, match="a dict of dotted names to Tensors, got tuple"):
        stateless.functional_call(layer, (given,), tg.tensor(X))


def test_torch_func_has_its_functions_and_says_what_it_lacks():
    assert tg.func.functional_call is functional_call
    assert all(callable(getattr(tg.func, name)) for name in tg.func.__all__)
    assert "jvp" in tg.func.__doc__ and "functionalize" in tg.func.__doc__


def test_on_the_strict_device(strict_cuda):
    def run(device):
        layer = tg.nn.Linear(3, 2).double().to(device)
        w, b = (tg.tensor(a, requires_grad=True, device=device) for a in (X[:2], X[2, :2]))
        y = functional_call(layer, {"weight": w, "bias": b}, tg.tensor(X, device=device)).tanh()
        y.sum().backward()
        assert y.device == device
        return [t.cpu().detach().numpy() for t in (y, w.grad, b.grad)]

    for on_device, on_cpu in zip(run("cuda"), run("cpu")):
        numpy.testing.assert_array_equal(on_device, on_cpu)


# ---- stack_module_state, vmap and the transforms ----


def _models(lib):
    models = [lib.nn.Linear(3, 2).double() for _ in range(3)]
    with lib.no_grad():
        for k, model in enumerate(models):
            for name, p in model.named_parameters():
                p.copy_(lib.tensor(_values([(name, tuple(p.shape))], seed=k)[name]))
    return models


def test_stack_module_state_as_pytorchs(torch):
    def run(lib):
        models = [lib.nn.BatchNorm1d(2).double() for _ in range(2)]
        models[1].bias.requires_grad_(False)
        models[0].bias.requires_grad_(False)
        params, buffers = lib.func.stack_module_state(models)
        flags = {k: (v.is_leaf, v.requires_grad, tuple(v.shape)) for k, v in params.items()}
        return flags, {k: tuple(v.shape) for k, v in buffers.items()}

    assert run(tg) == run(torch)
    (params, _), (tparams, _) = (lib.func.stack_module_state(_models(lib)) for lib in (tg, torch))
    for name, p in params.items():
        numpy.testing.assert_array_equal(p.detach().numpy(), tparams[name].detach().numpy())


STACK_ERRORS = {
    "no models": lambda lib: [],
    "mixed modes": lambda lib: [lib.nn.Linear(1, 1), lib.nn.Linear(1, 1).eval()],
    "mixed requires_grad": lambda lib: [lib.nn.Linear(1, 1), lib.nn.Linear(1, 1).requires_grad_(False)],
}


@pytest.mark.parametrize("name", STACK_ERRORS)
def test_stack_module_state_errors_as_pytorchs(torch, name):
    for lib in (torch, tg):
        with pytest.raises(RuntimeError):
            lib.func.stack_module_state(STACK_ERRORS[name](lib))


A, B = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 4))

VMAPS = {
    "default": lambda f, lib, a, b: f.vmap(lib.mv)(a.reshape(4, 1, 3).expand(4, 2, 3), a),
    "in_dims with None": lambda f, lib, a, b: f.vmap(lambda x, y: x @ y, in_dims=(0, None))(a, b),
    "in_dims 1 and out_dims 1": lambda f, lib, a, b: f.vmap(lambda x, y: x * y, in_dims=(1, 0), out_dims=1)(b, a),
    "negative dims": lambda f, lib, a, b: f.vmap(lambda x: x.exp(), in_dims=-1, out_dims=-1)(a),
    "nested inputs": lambda f, lib, a, b: f.vmap(lambda p, d: p[0] * d["k"] + p[1], in_dims=((0, None), {"k": 0}))(
        (a, b[0, :3]), {"k": b.T[:, :3]}),
    "tuple outputs": lambda f, lib, a, b: f.vmap(lambda x: (x.sum(), x * 2), out_dims=(0, 1))(a),
    "nested vmap": lambda f, lib, a, b: f.vmap(f.vmap(lambda x, y: x * y, in_dims=(0, None)), in_dims=(None, 1))(a, b),
    "keyword arguments": lambda f, lib, a, b: f.vmap(lambda x, scale: x * scale)(a, scale=b[0, 0]),
}


@pytest.mark.parametrize("name", VMAPS)
def test_vmap_outputs_and_gradients_are_pytorchs(torch, name):
    def run(lib):
        a, b = lib.tensor(A, requires_grad=True), lib.tensor(B, requires_grad=True)
        outputs = VMAPS[name](lib.func, lib, a, b)
        outputs = list(outputs) if isinstance(outputs, tuple) else [outputs]
        sum((o * o).sum() for o in outputs).backward()
        return [o.detach().numpy() for o in outputs] + [a.grad.numpy(), b.grad.numpy() if b.grad is not None else 0]

    for mine, theirs in zip(run(tg), run(torch)):
        numpy.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


VMAP_ERRORS = {
    "sizes differ": lambda f, lib: f.vmap(lambda x, y: x + y)(lib.ones(2), lib.ones(3)),
    "in_dims length": lambda f, lib: f.vmap(lambda x, y: x + y, in_dims=(0,))(lib.ones(2), lib.ones(2)),
    "in_dim out of range": lambda f, lib: f.vmap(lambda x: x, in_dims=1)(lib.ones(2)),
    "a number mapped": lambda f, lib: f.vmap(lambda x, y: x * y)(lib.ones(2), 3.0),
    "nothing mapped": lambda f, lib: f.vmap(lambda x: x, in_dims=(None,))(lib.ones(2)),
    "in_dims a list": lambda f, lib: f.vmap(lambda x: x, in_dims=[0])(lib.ones(2)),
    "a number returned": lambda f, lib: f.vmap(lambda x: 3.0)(lib.ones(2)),
}


@pytest.mark.parametrize("name", VMAP_ERRORS)
def test_vmap_errors_are_pytorchs(torch, name):
    for lib in (torch, tg):
        with pytest.raises(ValueError):
            VMAP_ERRORS[name](lib.func, lib)


def _loss(lib):
    model = _models(lib)[0]

    def loss(params, x, y):
        return ((lib.func.functional_call(model, params, (x,)) - y) ** 2).sum()

    return loss


def test_per_sample_gradients_as_pytorchs(torch):
    def run(lib):
        model = _models(lib)[1]
        params = {k: v.detach() for k, v in model.named_parameters()}
        x, y = lib.tensor(X), lib.tensor(X[:, :2] * 2)
        grads = lib.func.vmap(lib.func.grad(_loss(lib)), in_dims=(None, 0, 0))(params, x, y)
        return {k: (g.detach().numpy(), g.requires_grad) for k, g in grads.items()}

    mine, theirs = run(tg), run(torch)
    for key, (g, flag) in theirs.items():
        numpy.testing.assert_allclose(mine[key][0], g, rtol=1e-12)
        assert mine[key][1] == flag


def test_ensembles_with_stack_module_state_as_pytorchs(torch):
    def run(lib):
        models = _models(lib)
        params, buffers = lib.func.stack_module_state(models)
        y = lib.func.vmap(lambda p, b, x: lib.func.functional_call(models[0], (p, b), (x,)),
                          in_dims=(0, 0, None))(params, buffers, lib.tensor(X))
        (y ** 2).sum().backward()
        return [y.detach().numpy()] + [p.grad.numpy() for p in params.values()]

    for mine, theirs in zip(run(tg), run(torch)):
        numpy.testing.assert_allclose(mine, theirs, rtol=1e-12)


def _f(lib):
    return lambda x, w: ((x * w).sin() * x).sum()


TRANSFORMS = {
    "grad": lambda f, lib, x, w: f.grad(_f(lib))(x, w),
    "grad argnums": lambda f, lib, x, w: f.grad(_f(lib), argnums=(0, 1))(x, w),
    "grad negative argnums": lambda f, lib, x, w: f.grad(_f(lib), argnums=-1)(x, w),
    "grad of grad": lambda f, lib, x, w: f.grad(lambda a: f.grad(_f(lib))(a, w).sum())(x),
    "grad has_aux": lambda f, lib, x, w: f.grad(lambda a: (_f(lib)(a, w), {"aux": a * 2}), has_aux=True)(x),
    "grad_and_value": lambda f, lib, x, w: f.grad_and_value(_f(lib), argnums=1)(x, w),
    "grad of a dict": lambda f, lib, x, w: f.grad(lambda d: _f(lib)(d["x"], d["w"]))({"x": x, "w": w}),
    "vjp": lambda f, lib, x, w: (lambda out, fn: (out, fn(lib.ones_like(out) * 0.5)))(
        *f.vjp(lambda a, b: (a * b).tanh(), x, w)),
    "vjp has_aux": lambda f, lib, x, w: (lambda out, fn, aux: (out, fn(out), aux))(
        *f.vjp(lambda a: ((a.exp(), a * w), a.sum()), x, has_aux=True)),
    "jacrev": lambda f, lib, x, w: f.jacrev(lambda a, b: (a * b).sin())(x, w),
    "jacrev argnums": lambda f, lib, x, w: f.jacrev(lambda a, b: ((a * b).sin(), a.sum()), argnums=(0, 1))(x, w),
    "jacfwd": lambda f, lib, x, w: f.jacfwd(lambda a, b: a.outer(b), argnums=1)(x, w),
    "jacfwd has_aux": lambda f, lib, x, w: f.jacfwd(lambda a: (a.exp(), a.cos()), has_aux=True)(x),
    "hessian": lambda f, lib, x, w: f.hessian(_f(lib))(x, w),
    "hessian argnums": lambda f, lib, x, w: f.hessian(_f(lib), argnums=(0, 1))(x, w),
    "vmap of jacrev": lambda f, lib, x, w: f.vmap(f.jacrev(lambda a: a.sin() * a.sum()))(x.reshape(3, 1) * w),
}


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("requires_grad", [False, True])
def test_transforms_are_pytorchs(torch, name, requires_grad):
    if requires_grad and name == "jacrev argnums":
        pytest.xfail("a Jacobian block of zeros (a.sum() in w) stays off the graph here; PyTorch's requires grad")
    def run(lib):
        x, w = (lib.tensor(a, requires_grad=requires_grad) for a in (X[0], X[1]))
        flat = _tensors(TRANSFORMS[name](lib.func, lib, x, w))
        on_graph = [t.requires_grad for t in flat]
        if requires_grad:  # differentiable further, as PyTorch's
            grads = lib.autograd.grad(sum((t * t).sum() for t in flat if t.requires_grad), (x, w), allow_unused=True)
            flat += [lib.zeros_like(t) if g is None else g for g, t in zip(grads, (x, w))]  # unused: zeros
        return [t.detach().numpy() for t in flat], on_graph

    (mine, mine_flags), (theirs, their_flags) = run(tg), run(torch)
    assert mine_flags == their_flags and len(mine) == len(theirs)
    for m, t in zip(mine, theirs):
        numpy.testing.assert_allclose(m, t, rtol=1e-11, atol=1e-13)


def _tensors(tree) -> list:
    if isinstance(tree, (tuple, list)):
        return [t for item in tree for t in _tensors(item)]
    if isinstance(tree, dict):
        return [t for item in tree.values() for t in _tensors(item)]
    return [tree]


TRANSFORM_ERRORS = {
    "not a scalar": (lambda f, lib: f.grad(lambda x: x * 2)(lib.ones(2)), RuntimeError),
    "no aux": (lambda f, lib: f.grad(lambda x: x.sum(), has_aux=True)(lib.ones(2)), RuntimeError),
    "argnums out of range": (lambda f, lib: f.grad(lambda x: x.sum(), argnums=1)(lib.ones(2)), RuntimeError),
    "argnums empty": (lambda f, lib: f.jacrev(lambda x: x, argnums=())(lib.ones(2)), RuntimeError),
    "cotangents": (lambda f, lib: f.vjp(lambda x: (x, x), lib.ones(2))[1](lib.ones(2)), RuntimeError),
}


@pytest.mark.parametrize("name", TRANSFORM_ERRORS)
def test_transform_errors_are_pytorchs(torch, name):
    call, kind = TRANSFORM_ERRORS[name]
    for lib in (torch, tg):
        with pytest.raises(kind):
            call(lib.func, lib)
