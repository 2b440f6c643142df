"""``autograd.functional.jacobian(strategy=...)`` and ``hessian(outer_jacobian_strategy=...)``:
forward mode gives PyTorch's values and dtypes (computed in reverse mode here), with
PyTorch's checks of the arguments and of hessian's function."""

import numpy
import pytest

import tinygrad_bn as tg

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

X = numpy.array([0.5, -1.25, 2.0])
Y = numpy.array([[1.5, -0.5], [0.25, 2.0]])

JACOBIANS = {
    "one input": (lambda x: x.sin() * x.sum(), (X,)),
    "two inputs, two outputs": (lambda x, y: (x.exp() * y.sum(), (y * y).sum(0)), (X, Y)),
    "matrix output": (lambda y: y @ y.T, (Y,)),
    "cast to float32": (lambda x: (x * x).float(), (X,)),
    "an input left unused": (lambda x, y: x.tanh(), (X, Y)),
}


def _inputs(lib, arrays):
    tensors = tuple(lib.tensor(a, dtype=lib.float64) for a in arrays)
    return tensors[0] if len(tensors) == 1 else tensors


def _flat(result) -> list:
    """The Tensors of a result, in order (PyTorch's forward mode nests lists where its reverse mode, and
    both modes here, nest tuples)."""
    return [t for item in result for t in _flat(item)] if isinstance(result, (tuple, list)) else [result]


def _agree(ours, theirs):
    ours, theirs = _flat(ours), _flat(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.dtype == str(b.dtype).removeprefix("torch.") and a.shape == tuple(b.shape)
        numpy.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-6 if a.dtype == "float32" else 1e-13)


@pytest.mark.parametrize("strategy", ["forward-mode", "reverse-mode"])
@pytest.mark.parametrize("name", JACOBIANS)
def test_jacobian_as_pytorch(torch, name, strategy):
    fn, arrays = JACOBIANS[name]

    def jacobian(lib):
        return lib.autograd.functional.jacobian(fn, _inputs(lib, arrays), vectorize=True, strategy=strategy)

    _agree(jacobian(tg), jacobian(torch))


HESSIANS = {
    "one input": (lambda x: (x.sin() * x).sum(), (X,)),
    "two inputs": (lambda x, y: (x.exp().sum() * y).sum() + (y ** 3).sum(), (X, Y)),
    "one element of shape (1, 1)": (lambda y: (y * y).sum().reshape(1, 1), (Y,)),
}


@pytest.mark.parametrize("strategy", ["forward-mode", "reverse-mode"])
@pytest.mark.parametrize("name", HESSIANS)
def test_hessian_as_pytorch(torch, name, strategy):
    fn, arrays = HESSIANS[name]

    def hessian(lib):
        return lib.autograd.functional.hessian(fn, _inputs(lib, arrays), vectorize=True,
                                               outer_jacobian_strategy=strategy)

    _agree(hessian(tg), hessian(torch))


def _jacobian(lib, **options):
    return lib.autograd.functional.jacobian(lambda t: t * t, lib.tensor(X), **options)


def _hessian(lib, fn=lambda t: (t * t).sum(), **options):
    return lib.autograd.functional.hessian(fn, lib.tensor(X), **options)


ERRORS = {
    "unknown strategy": (lambda lib: _jacobian(lib, strategy="forward"), AssertionError, "forward-mode.*reverse-mode"),
    "forward mode without vectorize": (lambda lib: _jacobian(lib, strategy="forward-mode"), NotImplementedError,
                                       "needs vectorize=True"),
    "forward mode with create_graph": (lambda lib: _jacobian(lib, strategy="forward-mode", vectorize=True,
                                                             create_graph=True), NotImplementedError, "create_graph"),
    "forward mode with strict": (lambda lib: _jacobian(lib, strategy="forward-mode", vectorize=True, strict=True),
                                 RuntimeError, "strict=True"),
    "strict with vectorize": (lambda lib: _jacobian(lib, vectorize=True, strict=True), RuntimeError,
                              "strict=True and vectorize=True"),
    "hessian unknown strategy": (lambda lib: _hessian(lib, outer_jacobian_strategy="x"), AssertionError,
                                 "forward-mode.*reverse-mode"),
    "hessian forward mode without vectorize": (lambda lib: _hessian(lib, outer_jacobian_strategy="forward-mode"),
                                               NotImplementedError, "needs vectorize=True"),
    "hessian of several elements": (lambda lib: _hessian(lib, fn=lambda t: t * t), RuntimeError,
                                    r"single element, got shape \(3,\)"),
    "hessian of a tuple": (lambda lib: _hessian(lib, fn=lambda t: ((t * t).sum(),)), RuntimeError,
                           "single Tensor, got tuple"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs(torch, name):
    call, kind, words = ERRORS[name]
    with pytest.raises(kind):
        call(torch)
    with pytest.raises(kind, match=words):
        call(tg)
