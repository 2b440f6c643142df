"""PyTorch's ``torch.compile`` and ``torch.compiler``, so that scripts which compile their
model run: no compilation happens, the model or function runs as written.

``torch.compile(model)`` gives back ``model`` itself, where PyTorch wraps a module in an
``OptimizedModule``: here ``compiled is model`` holds and ``compiled.state_dict()`` has
the module's own keys, without PyTorch's ``_orig_mod.`` prefix.

>>> import tinygrad_bn as torch
>>> model = torch.nn.Linear(3, 2)
>>> torch.compile(model) is model, torch.compile(model, mode="max-autotune") is model
(True, True)
>>> torch.compiler.is_compiling()
False
"""

from __future__ import annotations

__all__ = ["compile", "disable", "is_compiling", "reset"]

MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def _check_settings(mode, options) -> None:
    """PyTorch's refusals: a ``mode`` it does not know, and ``mode`` with ``options``."""
    if mode is not None and options is not None:
        raise RuntimeError("torch.compile takes mode or options, not both: drop one of them")
    if mode is not None and mode not in MODES:
        raise RuntimeError(f"torch.compile: unknown mode={mode!r}, expected one of {', '.join(MODES)}")


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None,  # noqa: A001
            options=None, name=None, disable=False, recompile_limit=None, isolate_recompiles=False,
            shapes_spec=None):
    """PyTorch's ``torch.compile``: ``model`` (a module or a function) unchanged, also as
    ``@torch.compile`` and ``@torch.compile(mode=...)``. Every keyword of PyTorch 2.13 is
    accepted; ``mode`` and ``options`` are checked as PyTorch checks them, the others
    (``backend`` among them) change nothing, since nothing is compiled.

    >>> @compile(fullgraph=True)
    ... def square(x):
    ...     return x * x
    >>> square(3)
    9
    """
    _check_settings(mode, options)
    if model is None:
        return lambda fn: compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                  options=options, name=name, disable=disable, recompile_limit=recompile_limit,
                                  isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)
    if not callable(model):
        raise TypeError(f"torch.compile expects a module or a function, got {type(model).__name__}")
    return model


def disable(fn=None, recursive=True, *, reason=None):
    """PyTorch's ``torch.compiler.disable``: ``fn`` unchanged, also as a decorator with or
    without arguments (nothing is compiled, so there is nothing to turn off).

    >>> @disable(recursive=False)
    ... def step(x):
    ...     return x + 1
    >>> step(1)
    2
    """
    if fn is None:
        return lambda f: f
    return fn


def is_compiling() -> bool:
    """False: code here always runs eagerly."""
    return False


def reset() -> None:
    """PyTorch's ``torch.compiler.reset``: clears compiled code; there is none here."""
