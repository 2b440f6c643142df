"""``torch.utils.checkpoint``: checkpoint and checkpoint_sequential give PyTorch's outputs
and gradients (to the inputs and to the parameters inside, through backward, grad and
backward(inputs=...)), warn and refuse as PyTorch 2.13 does, keep dropout's masks in the
second run, and run on the strict device."""

import warnings

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck, gradgradcheck
from tinygrad_bn.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential, set_checkpoint_early_stop

RNG = numpy.random.default_rng(0)
X = RNG.standard_normal((5, 4))


def _model(lib):
    """Linear-Tanh-Linear-Tanh-Linear with the same weights in both frameworks."""
    layers = [lib.nn.Linear(4, 6), lib.nn.Tanh(), lib.nn.Linear(6, 6), lib.nn.Tanh(), lib.nn.Linear(6, 2)]
    weights = numpy.random.default_rng(1)
    for layer in layers[::2]:
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(weights.standard_normal(tuple(layer.weight.shape))))
            layer.bias.copy_(lib.tensor(weights.standard_normal(tuple(layer.bias.shape))))
    return lib.nn.Sequential(*layers).double()


CALLS = {
    "checkpoint a module": lambda lib, m, x: checkpoint_of(lib)(m, x, use_reentrant=False),
    "checkpoint reentrant": lambda lib, m, x: checkpoint_of(lib)(m, x, use_reentrant=True),
    "checkpoint a function of two": lambda lib, m, x: checkpoint_of(lib)(
        lambda a, b: m(a) * b, x, x[:, :2].exp(), use_reentrant=False),
    "checkpoint keywords": lambda lib, m, x: checkpoint_of(lib)(
        lambda a, *, scale: m(a * scale), x, scale=0.5, use_reentrant=False),
    "checkpoint in checkpoint": lambda lib, m, x: checkpoint_of(lib)(
        lambda a: m[4](checkpoint_of(lib)(m[:4], a, use_reentrant=False)), x, use_reentrant=False),
    "checkpoint two outputs": lambda lib, m, x: (lambda pair: pair[0] * pair[1].sum())(checkpoint_of(lib)(
        lambda a: (m(a), m[0](a)), x, use_reentrant=False)),
    "sequential 2": lambda lib, m, x: sequential_of(lib)(m, 2, x, use_reentrant=False),
    "sequential 3 reentrant": lambda lib, m, x: sequential_of(lib)(m, 3, x, use_reentrant=True),
    "sequential 5 of a list": lambda lib, m, x: sequential_of(lib)(list(m), 5, x, use_reentrant=False),
    "sequential 1": lambda lib, m, x: sequential_of(lib)(m, 1, x, use_reentrant=False, preserve_rng_state=False),
}


def checkpoint_of(lib):
    return checkpoint if lib is tg else lib.utils.checkpoint.checkpoint


def sequential_of(lib):
    return checkpoint_sequential if lib is tg else lib.utils.checkpoint.checkpoint_sequential


def _run(lib, name, backward):
    model = _model(lib)
    x = lib.tensor(X, requires_grad=True)
    y = model(x) if name is None else CALLS[name](lib, model, x)
    loss = (y * y).sum()
    if backward == "backward":
        loss.backward()
        grads = [x.grad] + [p.grad for p in model.parameters()]
    elif backward == "grad":
        grads = list(lib.autograd.grad(loss, [x, *model.parameters()]))
    else:
        loss.backward(inputs=list(model.parameters())[:2])
        grads = [x.grad] + [p.grad for p in model.parameters()]
    return [y] + grads


@pytest.mark.parametrize("backward", ["backward", "grad", "backward inputs"])
@pytest.mark.parametrize("name", CALLS)
def test_outputs_and_gradients_are_pytorchs(torch, name, backward):
    """PyTorch's reentrant checkpoint refuses grad() and backward(inputs=...); here they
    give what they give without a checkpoint."""
    refused = "reentrant" in name and backward != "backward"
    ours, theirs = _run(tg, name, backward), _run(torch, None if refused else name, backward)
    for a, b in zip(ours, theirs, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            numpy.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-13)


def test_gradcheck_and_gradgradcheck_through_parameters_inside():
    x = tg.tensor(X[:2], requires_grad=True)
    w = tg.tensor(RNG.standard_normal((4, 3)), requires_grad=True)

    def function(x, w):
        return checkpoint(lambda t: (t @ w).tanh() * t[:, :3], x, use_reentrant=False)

    assert gradcheck(function, (x, w), atol=1e-6, rtol=1e-5)
    assert gradgradcheck(function, (x, w), atol=1e-5, rtol=1e-4)


def _dropout_model(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 32), lib.nn.Dropout(0.5), lib.nn.Tanh(), lib.nn.Linear(32, 1)).double()


@pytest.mark.parametrize("preserve", [True, False])
def test_dropout_draws_the_same_mask_in_the_second_run(preserve):
    def gradients(checkpointed):
        tg.manual_seed(0)
        model = _dropout_model(tg)
        x = tg.tensor(X, requires_grad=True)
        y = checkpoint(model, x, use_reentrant=False, preserve_rng_state=preserve) if checkpointed else model(x)
        y.sum().backward()
        return [x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]

    agree = all(numpy.array_equal(a, b) for a, b in zip(gradients(True), gradients(False)))
    assert agree is preserve


WARNINGS = {
    "checkpoint": (lambda lib, x: checkpoint_of(lib)(lambda t: t.exp(), x), "use_reentrant"),
    "checkpoint_sequential": (lambda lib, x: sequential_of(lib)([lib.nn.Tanh()] * 2, 2, x),
                              "checkpoint_sequential: pass use_reentrant"),
    "no input requires grad": (lambda lib, x: checkpoint_of(lib)(lambda t: t.exp(), x.detach(), use_reentrant=True),
                               "None of the inputs have requires_grad=True. Gradients will be None"),
}


@pytest.mark.parametrize("name", WARNINGS)
def test_warnings_are_pytorchs(torch, name):
    call, words = WARNINGS[name]
    with pytest.warns(UserWarning):
        call(torch, torch.tensor(X, requires_grad=True))
    with pytest.warns(UserWarning, match=words):
        call(tg, tg.tensor(X, requires_grad=True))


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_no_warning_with_use_reentrant_given(use_reentrant):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(lambda t: t.exp(), tg.tensor(X, requires_grad=True), use_reentrant=use_reentrant)
        checkpoint_sequential([tg.nn.Tanh()] * 2, 2, tg.tensor(X, requires_grad=True), use_reentrant=use_reentrant)


@pytest.mark.filterwarnings("ignore:None of the inputs")
@pytest.mark.parametrize("use_reentrant", [False, True])
def test_an_input_without_grad_as_pytorch(torch, use_reentrant):
    """The reentrant variant gives nothing to the parameters inside then; the other does."""

    def run(lib):
        model = _model(lib)
        y = checkpoint_of(lib)(model, lib.tensor(X), use_reentrant=use_reentrant)
        if y.requires_grad:
            y.sum().backward()
        return y.requires_grad, [p.grad is None for p in model.parameters()]

    assert run(tg) == run(torch)


ERRORS = {
    "reentrant keywords": (lambda lib, x: checkpoint_of(lib)(lambda t, k: t, x, k=1, use_reentrant=True),
                           ValueError, "Unexpected keyword arguments: k"),
    "reentrant context_fn": (lambda lib, x: checkpoint_of(lib)(
        lambda t: t, x, use_reentrant=True, context_fn=lambda: (None, None)), ValueError, "context_fn and debug"),
    "determinism_check": (lambda lib, x: checkpoint_of(lib)(lambda t: t, x, use_reentrant=False,
                                                            determinism_check="all"), ValueError,
                          "determinism_check should be one of"),
    "sequential keywords": (lambda lib, x: sequential_of(lib)([lib.nn.Tanh()], 1, x, use_reentrant=False, k=1),
                            ValueError, "Unexpected keyword arguments: k"),
    "sequential too many segments": (lambda lib, x: sequential_of(lib)([lib.nn.Tanh()] * 2, 3, x,
                                                                       use_reentrant=False), ValueError,
                                     "cannot cut 2 functions into 3 segments"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs(torch, name):
    call, kind, words = ERRORS[name]
    with pytest.raises(kind):
        call(torch, torch.tensor(X, requires_grad=True))
    with pytest.raises(kind, match=words):
        call(tg, tg.tensor(X, requires_grad=True))


def test_context_fn_gives_the_contexts_of_the_two_runs():
    entered = []

    class Noting:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            entered.append(self.name)

        def __exit__(self, *exc):
            return False

    y = checkpoint(lambda t: t.exp(), tg.tensor(X, requires_grad=True), use_reentrant=False,
                   context_fn=lambda: (Noting("forward"), Noting("recompute")))
    y.sum().backward()
    assert entered == ["forward", "recompute"]


def test_names_of_pytorchs_module():
    assert issubclass(CheckpointError, RuntimeError)
    with set_checkpoint_early_stop(False):
        y = checkpoint(lambda t: t.exp(), tg.tensor(X, requires_grad=True), use_reentrant=False, early_stop=False)
    assert tg.utils.checkpoint.checkpoint is checkpoint and y.grad_fn.name == "Recompute"


def test_on_the_strict_device(strict_cuda):
    def run(device):
        model = _model(tg).to(device)
        x = tg.tensor(X, requires_grad=True, device=device)
        checkpoint_sequential(model, 2, x, use_reentrant=False).sum().backward()
        return [x.grad.cpu().numpy()] + [p.grad.cpu().numpy() for p in model.parameters()]

    for on_device, on_cpu in zip(run("cuda"), run("cpu")):
        numpy.testing.assert_array_equal(on_device, on_cpu)
