"""nn.utils.parametrizations.orthogonal against PyTorch's: the weight at registration,
forward outputs, gradients and weights after optimizer steps, for the three maps,
tall, square, wide and batched weights, with and without trivialization; the default
map; assigning a matrix (right_inverse); the state-dict keys; the random draws;
errors; and gradcheck and gradgradcheck of each map."""

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn import nn
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.nn.utils.parametrizations import orthogonal

TOLERANCE = {"float32": {"rtol": 1e-4, "atol": 2e-5}, "float64": {"rtol": 1e-10, "atol": 1e-12}}
MAPS = [None, "matrix_exp", "cayley", "householder"]
# (out_features, in_features) of a Linear: its weight is square, tall or wide. A tall or wide n × k weight
# draws n·(n − k) normal numbers at registration; PyTorch's stream is ours for fewer than 16 of them
SHAPES = [(4, 4), (5, 3), (3, 5)]


def _orthogonal(lib):
    return orthogonal if lib is tb else lib.nn.utils.parametrizations.orthogonal


def _trained(lib, shape, orthogonal_map, use_trivialization, dtype, steps=3):
    """A Linear made orthogonal after seed 0: its weight at registration, and after ``steps``
    SGD steps its weight, the gradient of the original and the output."""
    lib.manual_seed(0)
    layer = lib.nn.Linear(shape[1], shape[0], dtype=getattr(lib, dtype))
    _orthogonal(lib)(layer, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    registered = layer.weight.detach().numpy().copy()
    optimizer = lib.optim.SGD(layer.parameters(), lr=0.1)
    x = lib.tensor(numpy.linspace(-1.0, 1.0, 2 * shape[1]).reshape(2, shape[1]).astype(dtype))
    for _ in range(steps):
        optimizer.zero_grad()
        layer(x).pow(3).sum().backward()
        optimizer.step()
    original = layer.parametrizations.weight.original
    return registered, layer.weight.detach().numpy(), original.grad.numpy(), layer(x).detach().numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("use_trivialization", [True, False], ids=["trivialization", "direct"])
@pytest.mark.parametrize("orthogonal_map", MAPS, ids=[str(m) for m in MAPS])
@pytest.mark.parametrize("shape", SHAPES, ids=["square", "tall", "wide"])
def test_weights_outputs_and_gradients_match_pytorch(torch, shape, orthogonal_map, use_trivialization, dtype):
    ours = _trained(tb, shape, orthogonal_map, use_trivialization, dtype)
    theirs = _trained(torch, shape, orthogonal_map, use_trivialization, dtype)
    for mine, other in zip(ours, theirs, strict=True):
        assert mine.dtype == other.dtype
        numpy.testing.assert_allclose(mine, other, **TOLERANCE[dtype])
    W = ours[1].astype("float64")
    gram = W.T @ W if shape[0] >= shape[1] else W @ W.T  # still orthogonal after the steps
    numpy.testing.assert_allclose(gram, numpy.eye(min(shape)), atol=1e-5 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("orthogonal_map", MAPS, ids=[str(m) for m in MAPS])
def test_a_batch_of_matrices_matches_pytorch(torch, orthogonal_map):
    def run(lib):
        lib.manual_seed(1)
        conv = lib.nn.Conv2d(2, 3, 2, dtype=lib.float64)  # a (3, 2) batch of 2 × 2 matrices
        _orthogonal(lib)(conv, orthogonal_map=orthogonal_map)
        x = lib.tensor(numpy.linspace(-1.0, 1.0, 2 * 2 * 3 * 3).reshape(2, 2, 3, 3))
        conv(x).pow(2).sum().backward()
        return conv.weight.detach().numpy(), conv.parametrizations.weight.original.grad.numpy()

    for mine, other in zip(run(tb), run(torch), strict=True):
        numpy.testing.assert_allclose(mine, other, **TOLERANCE["float64"])


@pytest.mark.parametrize("shape", SHAPES, ids=["square", "tall", "wide"])
def test_the_default_map_and_the_state_dict_are_pytorchs(torch, shape):
    for use_trivialization in (True, False):
        ours, theirs = nn.Linear(shape[1], shape[0]), torch.nn.Linear(shape[1], shape[0])
        orthogonal(ours, use_trivialization=use_trivialization)
        torch.nn.utils.parametrizations.orthogonal(theirs, use_trivialization=use_trivialization)
        assert ours.parametrizations.weight[0].orthogonal_map == theirs.parametrizations.weight[0].orthogonal_map.name
        assert list(ours.state_dict()) == list(theirs.state_dict())


def test_registration_draws_numbers_only_to_complete_a_non_square_base(torch):
    for lib in (tb, torch):
        lib.manual_seed(4)
        square, tall = lib.nn.Linear(3, 3), lib.nn.Linear(2, 3)
        before = lib.randn(3).numpy()
        lib.manual_seed(4)
        lib.nn.Linear(3, 3), lib.nn.Linear(2, 3)
        _orthogonal(lib)(square)
        assert numpy.array_equal(lib.randn(3).numpy(), before)  # the square one drew nothing
        lib.manual_seed(4)
        lib.nn.Linear(3, 3), lib.nn.Linear(2, 3)
        _orthogonal(lib)(tall)
        assert not numpy.array_equal(lib.randn(3).numpy(), before)


def test_the_weight_at_registration_is_the_q_of_its_qr():
    weight = numpy.random.default_rng(2).standard_normal((5, 3))
    layer = nn.Linear(3, 5, dtype="float64")
    layer.weight.data = tb.tensor(weight)
    orthogonal(layer)
    Q, R = numpy.linalg.qr(weight)
    numpy.testing.assert_allclose(layer.weight.numpy(), Q * numpy.sign(numpy.diag(R)), atol=1e-14)


@pytest.mark.parametrize("orthogonal_map, use_trivialization", [
    ("matrix_exp", True), ("cayley", True), ("householder", True), ("householder", False)])
@pytest.mark.parametrize("shape", SHAPES, ids=["square", "tall", "wide"])
def test_assigning_a_matrix_is_pytorchs_right_inverse(torch, shape, orthogonal_map, use_trivialization):
    given = numpy.random.default_rng([5, *shape]).standard_normal(shape)
    assigned = []
    for lib in (tb, torch):
        lib.manual_seed(3)
        layer = lib.nn.Linear(shape[1], shape[0], dtype=lib.float64)
        _orthogonal(lib)(layer, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
        orthonormal = layer.weight.detach().clone()
        layer.weight = lib.tensor(given)  # not orthogonal: made so
        made = layer.weight.detach().numpy()
        layer.weight = orthonormal  # orthogonal already: kept
        assigned.append((made, layer.weight.detach().numpy(), orthonormal.numpy(),
                         layer.parametrizations.weight.original.detach().numpy()))
    for ours, theirs in zip(*assigned, strict=True):
        numpy.testing.assert_allclose(ours, theirs, **TOLERANCE["float64"])
    numpy.testing.assert_allclose(assigned[0][1], assigned[0][2], atol=1e-14)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley"])
def test_the_skew_symmetric_maps_cannot_be_assigned_to_without_trivialization(torch, orthogonal_map):
    for lib, words in ((torch, "not possible to assign"), (tb, f"the {orthogonal_map} map with "
                                                              "use_trivialization=False has no right inverse")):
        layer = _orthogonal(lib)(lib.nn.Linear(3, 3), orthogonal_map=orthogonal_map, use_trivialization=False)
        with pytest.raises(NotImplementedError, match=words):
            layer.weight = lib.eye(3)


@pytest.mark.parametrize("call, words", [
    (lambda lib: _orthogonal(lib)(lib.nn.Linear(3, 2), "bias"), r"a matrix or a batch of matrices, got .*\(2,\)"),
    (lambda lib: _orthogonal(lib)(lib.nn.Linear(3, 2), orthogonal_map="qr"), r"one of .* got 'qr'"),
    (lambda lib: _orthogonal(lib)(lib.nn.Linear(3, 2), "nothing"), r"parameter or buffer .* got 'nothing'"),
    (lambda lib: setattr(_orthogonal(lib)(lib.nn.Linear(3, 2)), "weight", lib.eye(3)),
     r"of shape \(2, 3\), got a tensor of shape \(3, 3\)"),
])
def test_bad_arguments_are_refused_as_in_pytorch(torch, call, words):
    with pytest.raises(ValueError):
        call(torch)
    with pytest.raises(ValueError, match=words):
        call(tb)


@pytest.mark.parametrize("use_trivialization", [True, False], ids=["trivialization", "direct"])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 3)], ids=["square", "tall", "wide"])
def test_each_map_differentiates_twice(shape, orthogonal_map, use_trivialization):
    layer = orthogonal(nn.Linear(shape[1], shape[0], dtype="float64"), orthogonal_map=orthogonal_map,
                       use_trivialization=use_trivialization)
    parametrization = layer.parametrizations.weight[0]
    start = layer.parametrizations.weight.original.detach()
    X = (start + 0.3 * tb.tensor(numpy.random.default_rng(6).standard_normal(shape))).requires_grad_(True)
    assert gradcheck(parametrization, X)
    assert gradgradcheck(parametrization, X)
