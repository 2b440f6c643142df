"""torch.compile and torch.compiler (tinygrad_bn/compiler.py) against PyTorch's: the model
or function runs as written (PyTorch compiles it), with PyTorch's decorator forms, keywords
and refusals."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg

X = numpy.linspace(-1.0, 1.0, 12, dtype=numpy.float32).reshape(4, 3)


def fixed_linear(lib):
    model = lib.nn.Linear(3, 2)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(numpy.arange(6, dtype=numpy.float32).reshape(2, 3) / 5))
        model.bias.fill_(-0.25)
    return model


# PyTorch's "eager" backend, where a form allows it, keeps its compile time short
FORMS = {
    "function": lambda lib, f: lib.compile(f, backend="eager"),
    "decorator": lambda lib, f: lib.compile(backend="eager")(f),
    "keywords": lambda lib, f: lib.compile(f, fullgraph=False, dynamic=True, backend="eager", mode="default"),
    "options": lambda lib, f: lib.compile(f, backend="eager", options={"trace.enabled": False}),
    "disabled": lambda lib, f: lib.compile(f, disable=True),
    "compiler.disable": lambda lib, f: lib.compiler.disable(f, recursive=False),
}


@pytest.mark.parametrize("form", FORMS)
def test_the_result_computes_pytorchs_outputs_and_gradients(torch, form):
    def run(lib):
        model = fixed_linear(lib)
        compiled = FORMS[form](lib, lambda x: model(x).tanh())
        y = compiled(lib.tensor(X))
        y.sum().backward()
        return y.detach().numpy(), model.weight.grad.numpy()

    for a, b in zip(run(tg), run(torch)):
        numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_compiled_module_is_the_module_with_its_own_state_dict_keys():
    model = fixed_linear(tg)
    assert tg.compile(model) is model and tg.compile(mode="reduce-overhead")(model) is model
    assert list(tg.compile(model).state_dict()) == ["weight", "bias"]  # PyTorch's: "_orig_mod.weight", ...


@pytest.mark.parametrize("settings", [dict(mode="max-autotune", options={"a": 1}), dict(mode="fastest")])
def test_bad_settings_are_refused_as_in_pytorch(torch, settings):
    for lib in (tg, torch):
        with pytest.raises(RuntimeError):
            lib.compile(lambda x: x, **settings)


def test_queries_answer_as_pytorchs(torch):
    for lib in (tg, torch):
        assert (lib.compiler.is_compiling(), lib.compiler.reset()) == (False, None)


def test_something_not_callable_is_refused():
    with pytest.raises(TypeError, match="module or a function, got int"):
        tg.compile(3)
