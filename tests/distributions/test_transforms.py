"""Transforms and biject_to/transform_to against PyTorch's in float64: values of the map,
its inverse and its log-Jacobian, their gradients with respect to the input and the
transform's parameters, domains, codomains, shapes, signs and reprs; log-Jacobians
against the autograd's Jacobian; round trips, caching, equality, the strict device,
and the errors."""

from __future__ import annotations

import math

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, distributions
from tinygrad_bn.autograd import grad
from tinygrad_bn.distributions import constraints, transforms

RNG = numpy.random.default_rng(0)
REALS = RNG.standard_normal((2, 3))
POSITIVE = RNG.uniform(0.2, 3.0, (2, 3))
UNIT = RNG.uniform(0.05, 0.95, (2, 3))
MATRICES = RNG.standard_normal((2, 3, 3))
LOC, SCALE, SIGNED = RNG.standard_normal(3), RNG.uniform(0.5, 2.0, 3), RNG.uniform(0.5, 2.0, 3) * [1, -1, 1]
GRID = RNG.standard_normal((2, 3))
TOLERANCE = dict(rtol=1e-12, atol=1e-13)

# label -> (maker(transforms module, parameters by name) -> transform, host parameters, input)
TRANSFORMS = {
    "Exp": (lambda T, p: T.ExpTransform(), {}, REALS),
    "Affine of numbers": (lambda T, p: T.AffineTransform(1.5, -2.0), {}, REALS),
    "Affine of tensors": (lambda T, p: T.AffineTransform(p["loc"], p["scale"]), dict(loc=LOC, scale=SIGNED), REALS),
    "Affine, event_dim 1": (lambda T, p: T.AffineTransform(p["loc"], p["scale"], event_dim=1),
                            dict(loc=LOC, scale=SIGNED), REALS),
    "Affine, event_dim 2": (lambda T, p: T.AffineTransform(0.5, p["scale"], event_dim=2), dict(scale=GRID), REALS),
    "Sigmoid": (lambda T, p: T.SigmoidTransform(), {}, REALS),
    "logit (Sigmoid.inv)": (lambda T, p: T.SigmoidTransform().inv, {}, UNIT),
    "Tanh": (lambda T, p: T.TanhTransform(), {}, REALS),
    "Softplus": (lambda T, p: T.SoftplusTransform(), {}, REALS),
    "Power": (lambda T, p: T.PowerTransform(p["exponent"]), dict(exponent=SIGNED), POSITIVE),
    "Power of a number": (lambda T, p: T.PowerTransform(0.5), {}, POSITIVE),
    "Abs": (lambda T, p: T.AbsTransform(), {}, REALS),
    "Softmax": (lambda T, p: T.SoftmaxTransform(), {}, REALS),
    "StickBreaking": (lambda T, p: T.StickBreakingTransform(), {}, REALS),
    "StickBreaking.inv": (lambda T, p: T.StickBreakingTransform().inv, {}, UNIT / UNIT.sum(-1, keepdims=True)),
    "Independent(Tanh, 1)": (lambda T, p: T.IndependentTransform(T.TanhTransform(), 1), {}, REALS),
    "Independent(Affine, 2)": (lambda T, p: T.IndependentTransform(T.AffineTransform(p["loc"], p["scale"]), 2),
                               dict(loc=LOC, scale=SCALE), REALS),
    "Reshape": (lambda T, p: T.ReshapeTransform((3,), (3, 1)), {}, REALS),
    "Compose": (lambda T, p: T.ComposeTransform([T.AffineTransform(p["loc"], p["scale"]), T.ExpTransform(),
                                                 T.StickBreakingTransform(), T.AffineTransform(0.5, 2.0)]),
                dict(loc=LOC, scale=SCALE), REALS),
    "Compose.inv": (lambda T, p: T.ComposeTransform([T.SigmoidTransform(), T.PowerTransform(p["exponent"])]).inv,
                    dict(exponent=SCALE), UNIT / 2),
    "identity_transform": (lambda T, p: T.identity_transform, {}, REALS),
    "LowerCholesky": (lambda T, p: T.LowerCholeskyTransform(), {}, MATRICES),
    "PositiveDefinite": (lambda T, p: T.PositiveDefiniteTransform(), {}, MATRICES),
}


def build(framework, label, **device):
    """The transform in ``framework`` (tinygrad_bn or torch), a float64 leaf for its input,
    and float64 leaves for its parameters."""
    make, host, x = TRANSFORMS[label]
    module = transforms if framework is tg else framework.distributions.transforms

    def leaf(value):
        return framework.tensor(value, dtype=framework.float64, requires_grad=True, **device)

    parameters = {name: leaf(value) for name, value in host.items()}
    return make(module, parameters), leaf(x), parameters


def log_jacobian(t, x, y):
    """t.log_abs_det_jacobian(x, y), or None where the transform has none."""
    try:
        return t.log_abs_det_jacobian(x, y)
    except NotImplementedError:
        return None


def outputs(framework, label):
    """y = t(x), t.inv at a fresh leaf holding y, and the log-Jacobian, with the leaves."""
    t, x, parameters = build(framework, label)
    y = t(x)
    y_leaf = framework.tensor(y.detach().numpy(), dtype=framework.float64, requires_grad=True)
    leaves = [x, y_leaf, *parameters.values()]
    return t, {"forward": y, "inverse": t.inv(y_leaf), "log_abs_det_jacobian": log_jacobian(t, x, y)}, leaves


def assert_same(torch, ours, theirs, our_leaves, their_leaves, what):
    """Values alike, and gradients alike for one random upstream gradient."""
    assert ours.shape == tuple(theirs.shape), what
    numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), err_msg=what, **TOLERANCE)
    assert ours.requires_grad == theirs.requires_grad, what
    if not ours.requires_grad:
        return
    upstream = numpy.random.default_rng(1).standard_normal(ours.shape)
    mine = grad(ours, our_leaves, Tensor(upstream), retain_graph=True, allow_unused=True)
    other = torch.autograd.grad(theirs, their_leaves, torch.from_numpy(upstream), retain_graph=True,
                                allow_unused=True)
    for leaf, a, b in zip(our_leaves, mine, other, strict=True):
        a = numpy.zeros(leaf.shape) if a is None else a.numpy()
        b = numpy.zeros(leaf.shape) if b is None else b.numpy()
        numpy.testing.assert_allclose(a, b, err_msg=f"gradient of {what}", **TOLERANCE)


def sign_of(t):
    """The transform's sign as an array, or None where it has none."""
    try:
        sign = t.sign
    except NotImplementedError:
        return None
    return numpy.asarray(sign.detach().numpy() if hasattr(sign, "detach") else sign)


@pytest.mark.parametrize("label", TRANSFORMS)
def test_values_and_gradients_match_pytorch(torch, label):
    ours, our_outputs, our_leaves = outputs(tg, label)
    theirs, their_outputs, their_leaves = outputs(torch, label)
    for name, mine in our_outputs.items():
        other = their_outputs[name]
        assert (mine is None) == (other is None), name
        if mine is not None:
            assert_same(torch, mine, other, our_leaves, their_leaves, f"{label} {name}")


@pytest.mark.parametrize("label", TRANSFORMS)
def test_description_matches_pytorch(torch, label):
    made = []
    for framework in (tg, torch):
        t, x, _ = build(framework, label)
        shape = tuple(x.shape)
        sign = sign_of(t)
        made.append((repr(t), repr(t.domain), repr(t.codomain), t.domain.event_dim, t.codomain.event_dim,
                     t.bijective, None if sign is None else sign.tolist(), repr(t.inv),
                     tuple(t.forward_shape(shape)), tuple(t.inverse_shape(tuple(t(x).shape))),
                     tuple(t.forward_shape((5, *shape)))))
    assert made[0] == made[1]


@pytest.mark.parametrize("label", TRANSFORMS)
def test_inverse_undoes_the_transform(label):
    t, x, _ = build(tg, label)
    y = t(x)
    if t.bijective:
        numpy.testing.assert_allclose(t.inv(y).detach().numpy(), x.detach().numpy(), **TOLERANCE)
    else:  # a right inverse: t(t.inv(y)) is y
        numpy.testing.assert_allclose(t(t.inv(y)).detach().numpy(), y.detach().numpy(), **TOLERANCE)
    assert t.inv.inv is t
    assert repr(t.inv.domain) == repr(t.codomain) and repr(t.inv.codomain) == repr(t.domain)
    assert t.inv.bijective == t.bijective
    jacobian = log_jacobian(t, x, y)
    if jacobian is not None:
        numpy.testing.assert_allclose(t.inv.log_abs_det_jacobian(y, x).detach().numpy(),
                                      -jacobian.detach().numpy(), **TOLERANCE)


@pytest.mark.parametrize("label", ["Exp", "Affine of tensors", "Affine, event_dim 1", "Sigmoid", "Tanh", "Softplus",
                                   "Power", "StickBreaking", "StickBreaking.inv"])
def test_log_abs_det_jacobian_is_the_log_determinant_of_the_autograd_jacobian(label):
    """Σ log|J| over all events is log|det| of the Jacobian of the whole input, which is
    block-diagonal by events; on the simplex, in its free coordinates (all but the last)."""
    t, x, _ = build(tg, label)
    y = t(x)
    flat = y.reshape(-1)
    jacobian = numpy.array([grad(flat[i], x, retain_graph=True)[0].numpy().reshape(-1) for i in range(flat.shape[0])])
    if y.shape[-1] > x.shape[-1]:  # onto the simplex
        jacobian = jacobian[numpy.arange(jacobian.shape[0]) % y.shape[-1] != y.shape[-1] - 1]
    if x.shape[-1] > y.shape[-1]:  # from it: the last coordinate is not read
        jacobian = jacobian[:, numpy.arange(jacobian.shape[1]) % x.shape[-1] != x.shape[-1] - 1]
    expected = numpy.linalg.slogdet(jacobian)[1]
    assert math.isclose(t.log_abs_det_jacobian(x, y).sum().item(), expected, rel_tol=1e-11)


@pytest.mark.parametrize("label", TRANSFORMS)
def test_runs_on_the_device_as_on_the_cpu(strict_cuda, label):
    results = {}
    for device in ("cpu", "cuda"):
        t, x, parameters = build(tg, label, device=device)
        y = t(x)
        ladj = log_jacobian(t, x, y)
        total = (y * y).sum() + t.inv(y.detach()).sum() + (0 if ladj is None else ladj.sum())
        assert y.device == device
        leaves = [x, *parameters.values()]
        results[device] = [y.detach().numpy(), *(g.numpy() for g in grad(total, leaves))]
    for on_cpu, on_device in zip(results["cpu"], results["cuda"], strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-13)


def test_tanh_log_jacobian_stays_finite_where_one_minus_tanh_squared_rounds_to_zero(same_as_pytorch):
    x = [-40.0, -20.0, -3.0, 0.0, 0.5, 3.0, 20.0, 40.0]
    ladj = same_as_pytorch(lambda D, t: D.transforms.TanhTransform().log_abs_det_jacobian(t(x), t(x).tanh()))
    assert numpy.isfinite(ladj).all()
    naive = numpy.log1p(-numpy.tanh(numpy.array(x[2:6])) ** 2)
    numpy.testing.assert_allclose(ladj[2:6], naive, rtol=1e-12)
    numpy.testing.assert_allclose(ladj[[0, -1]], 2 * (math.log(2) - 40), rtol=1e-15)


def test_sigmoid_holds_its_values_inside_the_open_interval(same_as_pytorch):
    x = [-800.0, -40.0, 0.0, 40.0, 800.0]
    y = same_as_pytorch(lambda D, t: D.transforms.SigmoidTransform()(t(x)))
    assert 0 < y.min() and y.max() < 1
    logits = same_as_pytorch(lambda D, t: D.transforms.SigmoidTransform().inv(t([0.0, 1e-300, 0.5, 1.0])))
    assert numpy.isfinite(logits).all()
    # PyTorch's softplus is x itself past 20 (off by log(1 + e⁻ˣ)); both are within that of the exact value
    same_as_pytorch(lambda D, t: D.transforms.SigmoidTransform().log_abs_det_jacobian(t(x), None), rtol=1e-10)


def test_a_0_d_tensor_scale_counts_once_per_element_of_the_event(torch):
    """Σ log|scale| over the event: 3 log 2 for events of 3 elements, whether the scale
    is the number 2 or a 0-d tensor (PyTorch gives log 2 for the 0-d tensor)."""
    x = tg.zeros(4, 3, dtype=tg.float64)
    for scale in (2.0, tg.tensor(2.0, dtype=tg.float64)):
        ladj = transforms.AffineTransform(0.0, scale, event_dim=1).log_abs_det_jacobian(x, x)
        assert ladj.shape == (4,)
        numpy.testing.assert_allclose(ladj.numpy(), 3 * math.log(2), rtol=1e-15)
    theirs = torch.distributions.transforms.AffineTransform(0.0, 2.0, event_dim=1).log_abs_det_jacobian(
        torch.zeros(4, 3, dtype=torch.float64), None)
    numpy.testing.assert_allclose(theirs.numpy(), 3 * math.log(2), rtol=1e-15)


# Caching --------------------------------------------------------------------------------


def test_a_cached_transform_returns_the_same_objects():
    t = transforms.ExpTransform(cache_size=1)
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    y = t(x)
    assert t(x) is y and t.inv(y) is x
    other = tg.tensor([0.0, 1.0])
    assert t(other) is not y and t.inv(t(other)) is other
    uncached = transforms.ExpTransform()
    assert uncached(x) is not uncached(x)


@pytest.mark.filterwarnings("ignore:divide by zero encountered in arctanh:RuntimeWarning")  # atanh(±1) = ±∞
def test_a_cached_inverse_recovers_what_rounding_lost(torch):
    for framework, module in ((tg, transforms), (torch, torch.distributions.transforms)):
        x = framework.tensor([30.0, -30.0], dtype=framework.float64)
        t = module.TanhTransform(cache_size=1)
        y = t(x)
        assert y.tolist() == [1.0, -1.0]
        assert t.inv(y) is x
        assert numpy.isinf(module.TanhTransform().inv(y).numpy()).all()


def test_compose_passes_its_cache_to_the_parts_and_its_inverse_uses_it():
    t = transforms.ComposeTransform([transforms.AffineTransform(0.0, 30.0), transforms.TanhTransform()],
                                    cache_size=1)
    assert all(part._cache_size == 1 for part in t.parts)
    x = tg.tensor([1.0, -2.0], dtype=tg.float64, requires_grad=True)
    y = t(x)
    assert t.inv(y) is x
    assert t.inv.inv is t and repr(t.inv) == "ComposeTransform(\n    _InverseTransform(TanhTransform()),\n    " \
                                               "_InverseTransform(AffineTransform())\n)"


def test_with_cache():
    exp = transforms.ExpTransform()
    assert exp.with_cache()._cache_size == 1 and exp.with_cache(0) is exp
    cached = exp.with_cache()
    assert cached.with_cache(1) is cached and exp.inv.with_cache()._cache_size == 1
    affine = transforms.AffineTransform(1.0, 2.0, event_dim=1).with_cache()
    assert (affine.loc, affine.scale, affine.event_dim, affine._cache_size) == (1.0, 2.0, 1, 1)
    independent = transforms.IndependentTransform(exp, 1, cache_size=1)
    assert independent.base_transform._cache_size == 1
    for t in (transforms.PowerTransform(2.0), transforms.ReshapeTransform((2,), (2, 1)),
              transforms.ComposeTransform([exp]), independent):
        assert t.with_cache(1 - t._cache_size)._cache_size == 1 - t._cache_size

    class Shifted(transforms.Transform):
        def __init__(self, shift):
            super().__init__()
            self.shift = shift

    with pytest.raises(NotImplementedError, match="Shifted.with_cache is not implemented"):
        Shifted(1.0).with_cache()


# Equality ---------------------------------------------------------------------------------


def test_transforms_are_equal_when_they_are_the_same_map(torch):
    for module, t in ((transforms, tg.tensor), (torch.distributions.transforms, torch.tensor)):
        T = module
        assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform() != T.SigmoidTransform()
        assert T.AffineTransform(0.0, 2.0) == T.AffineTransform(0.0, 2.0) != T.AffineTransform(0.0, 3.0)
        assert T.AffineTransform(t([0.0, 1.0]), 2.0) == T.AffineTransform(t([0.0, 1.0]), 2.0)
        assert T.AffineTransform(t([0.0, 1.0]), 2.0) != T.AffineTransform(t([0.0, 2.0]), 2.0)
        assert T.PowerTransform(2.0) == T.PowerTransform(2.0) != T.PowerTransform(3.0)
        assert T.ExpTransform().inv == T.ExpTransform().inv and T.ExpTransform().inv != T.ExpTransform()
        assert T.ComposeTransform([T.ExpTransform(), T.TanhTransform()]) == T.ComposeTransform(
            [T.ExpTransform(), T.TanhTransform()])
        assert T.ComposeTransform([T.ExpTransform()]) != T.ComposeTransform([T.TanhTransform()])
        independent = T.IndependentTransform(T.ExpTransform(), 1)
        assert independent == independent and independent != T.IndependentTransform(T.ExpTransform(), 1)
        with pytest.raises(TypeError, match="unhashable"):
            hash(T.ExpTransform())


# Errors ---------------------------------------------------------------------------------

REFUSED = {
    "cache_size 2": lambda D, t: D.transforms.ExpTransform(cache_size=2),
    "event_dim of a reshape to more axes": lambda D, t: D.transforms.ReshapeTransform((6,), (2, 3)).event_dim,
    "reshape to another number of elements": lambda D, t: D.transforms.ReshapeTransform((2, 3), (5,)),
    "too few axes for an IndependentTransform": lambda D, t: D.transforms.IndependentTransform(
        D.transforms.ExpTransform(), 2)(t([1.0])),
    "too few axes for its inverse": lambda D, t: D.transforms.IndependentTransform(
        D.transforms.ExpTransform(), 2).inv(t([1.0])),
    "stick breaking of a number": lambda D, t: D.transforms.StickBreakingTransform().forward_shape(()),
    "softmax of a number": lambda D, t: D.transforms.SoftmaxTransform().inverse_shape(()),
}


@pytest.mark.parametrize("label", REFUSED)
def test_errors_match_pytorch(refused_alike, label):
    refused_alike(REFUSED[label])


def test_what_a_transform_does_not_have_is_not_implemented(torch):
    for module in (transforms, torch.distributions.transforms):
        x = tg.zeros(3) if module is transforms else torch.zeros(3)
        for t in (module.AbsTransform(), module.SoftmaxTransform(), module.LowerCholeskyTransform()):
            with pytest.raises(NotImplementedError):
                t.log_abs_det_jacobian(x, x)
        with pytest.raises(NotImplementedError):
            _ = module.StickBreakingTransform().sign
        with pytest.raises(NotImplementedError):
            module.Transform()(x)


def test_shape_mismatches_are_refused():
    with pytest.raises(ValueError, match=r"expected events of shape \(2, 3\), got \(3, 2\)"):
        transforms.ReshapeTransform((2, 3), (6,)).forward_shape((4, 3, 2))
    with pytest.raises(RuntimeError, match=r"parameter of shape \(3,\) does not broadcast with values of shape "
                                           r"\(4, 2\)"):
        transforms.AffineTransform(tg.zeros(3), 1.0).forward_shape((4, 2))
    with pytest.raises(RuntimeError):
        transforms.PowerTransform(tg.ones(3)).inverse_shape((2,))


def test_exports_match_pytorch(torch):
    names = set(transforms.__all__)
    assert names <= set(torch.distributions.transforms.__all__)
    assert names <= set(distributions.__all__)


# biject_to and transform_to ---------------------------------------------------------------

# label -> maker(constraints module, tensor maker) of the constraint, and the shape of unconstrained input
CONSTRAINTS = {
    "real": (lambda C, t: C.real, (4, 3)),
    "positive": (lambda C, t: C.positive, (4, 3)),
    "nonnegative": (lambda C, t: C.nonnegative, (4, 3)),
    "unit_interval": (lambda C, t: C.unit_interval, (4, 3)),
    "interval": (lambda C, t: C.interval(-1.0, 2.0), (4, 3)),
    "interval of tensors": (lambda C, t: C.interval(t([0.0, -1.0, 2.0]), t([1.0, 0.5, 4.0])), (4, 3)),
    "interval of 0 and 1 as tensors": (lambda C, t: C.interval(t(0.0), t(1.0)), (4, 3)),
    "greater_than": (lambda C, t: C.greater_than(1.5), (4, 3)),
    "greater_than_eq": (lambda C, t: C.greater_than_eq(t([-1.0, 0.0, 1.0])), (4, 3)),
    "less_than": (lambda C, t: C.less_than(2.0), (4, 3)),
    "simplex": (lambda C, t: C.simplex, (4, 3)),
    "real_vector": (lambda C, t: C.real_vector, (4, 3)),
    "independent(positive, 2)": (lambda C, t: C.independent(C.positive, 2), (4, 3)),
    "independent(unit_interval, 1)": (lambda C, t: C.independent(C.unit_interval, 1), (4, 3)),
    "lower_cholesky": (lambda C, t: C.lower_cholesky, (2, 3, 3)),
    "positive_definite": (lambda C, t: C.positive_definite, (2, 3, 3)),
    "boolean": (lambda C, t: C.boolean, (4,)),
    "one_hot": (lambda C, t: C.one_hot, (4, 3)),
    "integer_interval": (lambda C, t: C.integer_interval(0, 3), (4,)),
    "nonnegative_integer": (lambda C, t: C.nonnegative_integer, (4,)),
    "square": (lambda C, t: C.square, (2, 3, 3)),
    "symmetric": (lambda C, t: C.symmetric, (2, 3, 3)),
    "lower_triangular": (lambda C, t: C.lower_triangular, (2, 3, 3)),
}


def _registered(registry, constraint):
    try:
        return registry(constraint)
    except NotImplementedError:
        return None


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("label", CONSTRAINTS)
def test_registries_match_pytorch(torch, label, registry):
    make, shape = CONSTRAINTS[label]
    host = numpy.random.default_rng(2).standard_normal(shape)
    results = []
    for framework, module in ((tg, distributions), (torch, torch.distributions)):
        constraint = make(module.constraints, lambda v, f=framework: f.tensor(v, dtype=f.float64))
        t = _registered(getattr(module, registry), constraint)
        if t is None:
            results.append(None)
            continue
        x = framework.tensor(host, dtype=framework.float64, requires_grad=True)
        y = t(x)
        assert bool(constraint.check(y).all()), label
        if registry == "biject_to":
            assert t.bijective
            numpy.testing.assert_allclose(t.inv(y).detach().numpy(), host, **TOLERANCE)
        results.append((t, x, y, log_jacobian(t, x, y)))
    if results[0] is None or results[1] is None:
        assert results[0] is None and results[1] is None, "registered in one library only"
        return
    (ours, x, y, ladj), (theirs, their_x, their_y, their_ladj) = results
    assert repr(ours) == repr(theirs) and repr(ours.domain) == repr(theirs.domain)
    assert_same(torch, y, their_y, [x], [their_x], f"{registry}({label})")
    assert (ladj is None) == (their_ladj is None)
    if ladj is not None:
        assert_same(torch, ladj, their_ladj, [x], [their_x], f"log_abs_det_jacobian of {registry}({label})")


def test_a_constraint_without_a_rule_is_not_implemented():
    with pytest.raises(NotImplementedError, match="Cannot transform Boolean constraints"):
        distributions.biject_to(constraints.boolean)
    with pytest.raises(NotImplementedError, match="Cannot transform LowerCholesky constraints"):
        distributions.biject_to(constraints.lower_cholesky)


def test_register_takes_a_class_or_an_instance_and_refuses_anything_else():
    from tinygrad_bn.distributions.constraint_registry import ConstraintRegistry

    registry = ConstraintRegistry()
    registry.register(constraints.positive, lambda c: transforms.ExpTransform())
    assert repr(registry(constraints.greater_than(3.0))) == "ExpTransform()"

    @registry.register(constraints.Interval)
    def _scaled_sigmoid(constraint):
        return transforms.SigmoidTransform()

    assert registry(constraints.unit_interval) == transforms.SigmoidTransform()
    with pytest.raises(TypeError, match="Expected constraint to be either a Constraint subclass or instance, but got "
                                        "<class 'float'>"):
        registry.register(float, _scaled_sigmoid)


def test_an_unconstrained_parameter_gets_the_gradient_pytorch_gives(torch):
    """The potential of a sampler in unconstrained space: −log p(f(u)) − log|J_f(u)|."""
    host = numpy.random.default_rng(3).standard_normal((5, 3))
    gradients = []
    for framework, module in ((tg, distributions), (torch, torch.distributions)):
        u = framework.tensor(host, dtype=framework.float64, requires_grad=True)
        dist = module.Dirichlet(framework.tensor([0.5, 2.0, 3.0, 1.5], dtype=framework.float64))
        t = module.biject_to(dist.support)
        y = t(u)
        potential = -(dist.log_prob(y) + t.log_abs_det_jacobian(u, y)).sum()
        potential.backward()
        gradients.append(u.grad.numpy())
    numpy.testing.assert_allclose(gradients[0], gradients[1], **TOLERANCE)
