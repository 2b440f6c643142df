"""PyTorch's ``torch.jit`` names, so that scripts which script or trace their model run.

There is no TorchScript here: :func:`script` and :func:`trace` give back the function or
module they are given, which then runs as written in Python, with gradients as any other
call. The decorators (:func:`ignore`, :func:`unused`, :func:`export`) return what they
decorate, and :func:`is_scripting` / :func:`is_tracing` are always False, so a model's
``if torch.jit.is_scripting():`` branch takes its eager path. :func:`save` and
:func:`load` refuse, naming the state-dict way to save a model.

PyTorch 2.13 deprecates ``script``, ``trace``, ``trace_module``, ``save`` and ``load``
with a ``DeprecationWarning``; these warn the same way.

>>> import tinygrad_bn as torch
>>> model = torch.nn.Linear(3, 2)
>>> torch.jit.script(model) is model, torch.jit.trace(model, torch.ones(4, 3)) is model
(True, True)
>>> torch.jit.is_scripting()
False
"""

from __future__ import annotations

import warnings

from tinygrad_bn.nn import Module

__all__ = ["ScriptFunction", "ScriptModule", "export", "ignore", "is_scripting", "is_tracing", "load", "save",
           "script", "trace", "trace_module", "unused"]


class ScriptModule(Module):
    """PyTorch's class of scripted modules, for ``isinstance`` checks and subclassing.

    :func:`script` and :func:`trace` give back the module they are given, not a
    ``ScriptModule``, so ``isinstance(torch.jit.script(model), torch.jit.ScriptModule)``
    is False here (True in PyTorch): a script that saves scripted modules with
    :func:`save` and others with ``torch.save(model.state_dict(), f)`` takes the second
    way, which works here. A subclass is an ordinary :class:`tinygrad_bn.nn.Module`.
    """


class ScriptFunction:
    """PyTorch's class of scripted functions, for ``isinstance`` checks: :func:`script`
    gives back the function itself, so no object here is one."""


def _deprecated(name: str) -> None:
    warnings.warn(f"torch.jit.{name} is deprecated in PyTorch 2.13 (use torch.compile or torch.export); "
                  "here it returns its argument unchanged", DeprecationWarning, stacklevel=3)


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """PyTorch's ``torch.jit.script``: ``obj`` (a function, a module, or a class) unchanged.

    Nothing is compiled, so nothing is checked either: code TorchScript would refuse
    (dynamic types, unsupported Python) runs here, where PyTorch raises at this call.

    >>> @script
    ... def double(x):
    ...     return 2 * x
    >>> double(3)
    6
    """
    _deprecated("script")
    return obj


def _as_arguments(example_inputs) -> tuple:
    """PyTorch's ways of giving example inputs: a tuple of arguments, or one argument."""
    return example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)


def _run_example(func, example_inputs, example_kwarg_inputs, what: str):
    if example_inputs is None and example_kwarg_inputs is None:
        raise TypeError(f"{what} needs example inputs to run the function once: give example_inputs "
                        "(a tensor or a tuple of arguments) or example_kwarg_inputs (a dict)")
    args = () if example_inputs is None else _as_arguments(example_inputs)
    func(*args, **(example_kwarg_inputs or {}))


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs=True):
    """PyTorch's ``torch.jit.trace``: runs ``func`` once on the example inputs, as
    tracing does, so an error in the function shows at this call as in PyTorch; then
    gives back ``func`` itself, unchanged.

    Unlike a traced function, the result keeps its Python control flow: branches on
    tensor values and on shapes follow each new input (a trace would replay the
    example's path). That one run changes what a forward changes (a training-mode
    BatchNorm's running statistics); PyTorch's ``check_trace=True`` runs the forward
    more times. ``check_trace``, ``check_inputs`` and ``check_tolerance`` check
    nothing here: there is no trace to compare.

    >>> import tinygrad_bn as torch
    >>> def f(x):
    ...     return x.sum() if x.sum() > 0 else -x.sum()
    >>> traced = trace(f, torch.ones(2))
    >>> traced is f, traced(-torch.ones(2)).item()
    (True, 2.0)
    """
    _deprecated("trace")
    _run_example(func, example_inputs, example_kwarg_inputs, "torch.jit.trace")
    return func


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
                 strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
                 example_inputs_is_kwarg=False, _store_inputs=True):
    """PyTorch's ``torch.jit.trace_module``: runs each method named in ``inputs`` (a dict
    ``{"forward": example_inputs, ...}``) once on its example inputs, then gives back
    ``mod`` unchanged (see :func:`trace`).

    >>> import tinygrad_bn as torch
    >>> model = torch.nn.Linear(3, 2)
    >>> trace_module(model, {"forward": torch.ones(1, 3)}) is model
    True
    """
    _deprecated("trace_module")
    if not isinstance(inputs, dict):
        raise TypeError(f"trace_module expects inputs as a dict of method names to example inputs, "
                        f"got {type(inputs).__name__}")
    for name, example in inputs.items():
        method = getattr(mod, name)
        if example_inputs_is_kwarg:
            _run_example(method, None, example, "torch.jit.trace_module")
        else:
            _run_example(method, example, None, "torch.jit.trace_module")
    return mod


def ignore(drop=False, **kwargs):
    """PyTorch's ``@torch.jit.ignore`` and ``@torch.jit.ignore(drop=True)``: the function
    unchanged (there is no compiler to leave it to Python; it always runs in Python).
    ``drop=True`` warns as PyTorch's does (``FutureWarning``: use :func:`unused`).

    >>> @ignore()
    ... def helper(x):
    ...     return x + 1
    >>> helper(1)
    2
    """
    if callable(drop):  # used bare, as @ignore
        return drop
    if drop:
        warnings.warn("torch.jit.ignore(drop=True) is deprecated in PyTorch; use torch.jit.unused",
                      FutureWarning, stacklevel=2)
    return lambda fn: fn


def unused(fn):
    """PyTorch's ``@torch.jit.unused``: ``fn`` unchanged; it runs when called, here as in eager PyTorch."""
    return fn


def export(fn):
    """PyTorch's ``@torch.jit.export``: ``fn`` unchanged (every method is reachable already)."""
    return fn


def is_scripting() -> bool:
    """False: code here never runs under TorchScript, so ``if not torch.jit.is_scripting():``
    branches always run."""
    return False


def is_tracing() -> bool:
    """False: :func:`trace` runs the function as plain Python, not under a tracer."""
    return False


def save(m, f, _extra_files=None):
    """Refuses: there is no TorchScript format here. Save the parameters with
    ``torch.save(model.state_dict(), f)`` and load them into a model built in Python."""
    _deprecated("save")
    raise NotImplementedError(
        "torch.jit.save: there is no TorchScript format here (torch.jit.script and trace return the Python "
        "model itself). Save the weights with torch.save(model.state_dict(), f) instead, and load them with "
        "model.load_state_dict(torch.load(f))")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Refuses: there is no TorchScript format to read. Build the model in Python and
    ``model.load_state_dict(torch.load(f))`` a state dict saved with ``torch.save``."""
    _deprecated("load")
    raise NotImplementedError(
        "torch.jit.load: TorchScript archives cannot be read here. Build the model in Python and load weights "
        "saved with torch.save(model.state_dict(), f) through model.load_state_dict(torch.load(f))")
