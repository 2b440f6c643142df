"""torch.jit (tinygrad_bn/jit.py) against PyTorch's: script and trace give back what they
are given (PyTorch compiles it), trace runs the example once so errors show at that call,
the decorators and queries answer as PyTorch's, and save/load refuse naming state dicts."""

from __future__ import annotations

import warnings

import numpy
import pytest

import tinygrad_bn as tg

X = numpy.linspace(-1.0, 1.0, 12, dtype=numpy.float32).reshape(4, 3)


def fixed_model(lib):
    model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))
    with lib.no_grad():
        model[0].weight.copy_(lib.tensor(numpy.arange(6, dtype=numpy.float32).reshape(2, 3) / 5))
        model[0].bias.fill_(0.5)
    return model


@pytest.mark.parametrize("how", ["script", "trace", "trace_module"])
def test_the_result_computes_pytorchs_outputs_and_gradients(torch, how):
    def run(lib):
        model, x = fixed_model(lib), lib.tensor(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's deprecation and tracer warnings
            if how == "script":
                compiled = lib.jit.script(model)
            elif how == "trace":
                compiled = lib.jit.trace(model, x, check_trace=False)
            else:
                compiled = lib.jit.trace_module(model, {"forward": (x,)}, check_trace=False)
        y = compiled(x)
        (y * y).sum().backward()
        return (y.detach().numpy(), model[0].weight.grad.numpy(), model[1].running_mean.numpy(),
                int(model[1].num_batches_tracked))

    ours, theirs = run(tg), run(torch)
    for a, b in zip(ours[:3], theirs[:3]):
        numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert ours[3] == theirs[3]  # trace ran the example once, as PyTorch's without check_trace


def test_script_and_trace_give_back_their_argument():
    model = tg.nn.Linear(3, 2)
    with pytest.warns(DeprecationWarning):
        assert tg.jit.script(model) is model
    with pytest.warns(DeprecationWarning):
        assert tg.jit.trace(model, (tg.ones(1, 3),), example_kwarg_inputs=None, strict=False) is model
    assert not isinstance(model, tg.jit.ScriptModule) and issubclass(tg.jit.ScriptModule, tg.nn.Module)


def test_trace_keeps_python_control_flow_where_a_trace_would_replay_the_example():
    def f(x):
        return x * 2 if x.sum() > 0 else -x

    with pytest.warns(DeprecationWarning):
        traced = tg.jit.trace(f, tg.ones(2))
    assert traced(-tg.ones(2)).tolist() == [1.0, 1.0]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("call, error", [
    (lambda lib: lib.jit.trace(lambda x: x.no_such_method(), lib.ones(2)), AttributeError),
    (lambda lib: lib.jit.trace(lambda x: x * 2), TypeError),
])
def test_trace_raises_where_pytorchs_does(torch, call, error):
    for lib in (tg, torch):
        with pytest.raises(error):
            call(lib)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_trace_takes_keyword_example_inputs():
    calls = []
    tg.jit.trace(lambda x, scale: calls.append(scale), example_kwarg_inputs={"x": tg.ones(1), "scale": 3})

    class Scale(tg.nn.Module):
        def forward(self, x, scale=1):
            calls.append(scale)
            return x * scale

    tg.jit.trace_module(Scale(), {"forward": {"x": tg.ones(1), "scale": 5}}, example_inputs_is_kwarg=True)
    assert calls == [3, 5]


def test_decorators_and_queries_answer_as_pytorchs(torch):
    def f(x):
        return x

    def answers(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dropped = lib.jit.ignore(drop=True)(f) is f
        return (lib.jit.ignore(f) is f, lib.jit.ignore()(f) is f, dropped, lib.jit.unused(f) is f,
                lib.jit.export(f) is f, lib.jit.is_scripting(), lib.jit.is_tracing(),
                [w.category for w in caught])

    assert answers(tg) == answers(torch) == (True, True, True, True, True, False, False, [FutureWarning])


def test_save_and_load_refuse_naming_the_state_dict_way(tmp_path):
    with pytest.warns(DeprecationWarning), pytest.raises(NotImplementedError, match=r"model\.state_dict\(\)"):
        tg.jit.save(tg.nn.Linear(2, 1), tmp_path / "model.pt")
    with pytest.warns(DeprecationWarning), pytest.raises(NotImplementedError, match="load_state_dict"):
        tg.jit.load(tmp_path / "model.pt")
