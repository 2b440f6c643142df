"""PyTorch's ``torch.utils.checkpoint``: ``checkpoint``, ``checkpoint_sequential``,
``CheckpointError``, ``noop_context_fn`` and ``set_checkpoint_early_stop``.

A checkpointed function is run again in backward: its ops' saved arrays are dropped
after forward and made again when the gradient reaches it, trading compute for
memory as in PyTorch. The second run starts the default generator where the first
did (``preserve_rng_state=True``, the default), so dropout draws the same masks; the
generator is put back where it was afterwards. See
:mod:`tinygrad_bn.utils.recompute` for how.

>>> import warnings
>>> import tinygrad_bn as torch
>>> layer = torch.nn.Linear(3, 3)
>>> x = torch.ones(2, 3, requires_grad=True)
>>> y = checkpoint(lambda t: layer(t).tanh(), x, use_reentrant=False)
>>> y.grad_fn.name
'Recompute'
>>> y.sum().backward()
>>> x.grad.shape, layer.weight.grad.shape
((2, 3), (3, 3))
"""

from __future__ import annotations

import contextlib
import warnings

from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.utils.recompute import CheckpointError, recompute

__all__ = ["CheckpointError", "checkpoint", "checkpoint_sequential", "noop_context_fn", "set_checkpoint_early_stop"]


def noop_context_fn():
    """The default ``context_fn``: no context around either run."""
    return contextlib.nullcontext(), contextlib.nullcontext()


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool):
    """PyTorch's switch for stopping the second run once what backward needs is made;
    accepted here, where the whole function always runs again."""
    yield


def _explicit(use_reentrant, name: str) -> bool:
    """``use_reentrant``, warned about and taken as True when not given, as PyTorch 2.13 does."""
    if use_reentrant is None:
        warnings.warn(f"torch.utils.checkpoint{name}: pass use_reentrant explicitly (use_reentrant=False is "
                      "recommended); without it the reentrant variant is used, and later PyTorch versions raise",
                      UserWarning, stacklevel=3)
        return True
    return bool(use_reentrant)


def checkpoint(function, *args, use_reentrant: bool | None = None, context_fn=noop_context_fn,
               determinism_check: str = "default", debug: bool = False, early_stop: bool = True, **kwargs):
    """PyTorch's ``checkpoint``: ``function(*args, **kwargs)``, with what its ops saved
    for backward dropped and made again by running ``function`` once more when the
    gradient reaches it (see the module's docstring). Gradients reach the tensor
    arguments and everything else the function used: parameters, and tensors it
    closes over.

    ``preserve_rng_state`` (a keyword, default True) runs the second time from the
    default generator's state before the first. Without ``use_reentrant`` a warning is
    given and the reentrant variant is taken, as in PyTorch 2.13. The reentrant
    variant refuses keyword arguments for ``function``, ``context_fn`` and ``debug``,
    and when no tensor argument requires grad it warns and gives outputs that do not
    require grad, parameters inside or not, as PyTorch's does. ``context_fn`` gives two
    context managers, one for each run; ``determinism_check`` ("default" or "none")
    says whether the second run's outputs must match the first's shapes and dtypes.
    ``early_stop`` and ``debug`` change nothing here.

    Unlike PyTorch's reentrant variant, both variants work with ``autograd.grad`` and
    ``backward(inputs=...)``, and follow tensors inside lists and dicts of outputs.
    """
    use_reentrant = _explicit(use_reentrant, "")
    preserve = kwargs.pop("preserve_rng_state", True)
    if use_reentrant:
        if kwargs:
            raise ValueError(f"Unexpected keyword arguments: {','.join(kwargs)} (the reentrant checkpoint passes "
                             "positional arguments only; use use_reentrant=False for keywords)")
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("checkpoint takes context_fn and debug only with use_reentrant=False")
        if not any(t.requires_grad for t in args if isinstance(t, Tensor)):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", UserWarning,
                          stacklevel=2)
            with no_grad():
                return function(*args)
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check!r}")
    return recompute(function, args, kwargs, preserve_rng_state=bool(preserve), contexts=context_fn(),
                     determinism_check=determinism_check == "default")


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None, **kwargs):  # noqa: A002
    """PyTorch's ``checkpoint_sequential``: ``functions`` (an ``nn.Sequential`` or a
    list of modules or functions of one tensor) applied in turn to ``input``, cut into
    ``segments`` runs of len(functions) // segments; every run but the last is
    checkpointed, the last (with the remainder) runs as it is.

    >>> import tinygrad_bn as torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    >>> x = torch.ones(4, 2, requires_grad=True)
    >>> torch.equal(checkpoint_sequential(model, 2, x, use_reentrant=False), model(x))
    True
    """
    use_reentrant = _explicit(use_reentrant, ".checkpoint_sequential")
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError(f"Unexpected keyword arguments: {','.join(kwargs)} (checkpoint_sequential takes "
                         "preserve_rng_state and use_reentrant)")
    from tinygrad_bn.nn import Sequential  # nn loads on first use

    functions = list(functions.children() if isinstance(functions, Sequential) else functions)
    size = len(functions) // segments if segments > 0 else 0
    if size == 0:
        raise ValueError(f"checkpoint_sequential cannot cut {len(functions)} functions into {segments} segments; "
                         "pass between 1 and len(functions) segments")
    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(_in_turn(functions[start:end]), input, use_reentrant=use_reentrant,  # noqa: A001
                           preserve_rng_state=preserve)
    return _in_turn(functions[end:])(input)


def _in_turn(functions: list):
    """One function applying ``functions`` one after the other."""

    def run(x):
        for function in functions:
            x = function(x)
        return x

    return run
