"""The autodiff core: Tensor, Function, grad mode and the backward engine; with
PyTorch's ``torch.autograd`` names: ``Function`` (also written PyTorch's way, see
:mod:`~tinygrad_bn.autograd.custom`), ``grad``, ``functional``, ``forward_ad``,
``gradcheck`` and ``gradgradcheck``."""

import importlib

from tinygrad_bn.autograd import forward_ad, functional, graph, inference
from tinygrad_bn.autograd.anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from tinygrad_bn.autograd.engine import backward, grad
from tinygrad_bn.autograd.function import (
    Function,
    enable_grad,
    is_grad_enabled,
    no_grad,
    once_differentiable,
    set_grad_enabled,
)
from tinygrad_bn.autograd.inference import is_inference_mode_enabled
from tinygrad_bn.autograd.tensor import Tensor


def Variable(data, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # noqa: N802 - PyTorch's name
    """PyTorch's ``autograd.Variable``, from before tensors and variables became one: a
    tensor sharing ``data``'s array, that requires grad if asked (``volatile`` is ignored,
    as it is in PyTorch)."""
    tensor = data.detach() if isinstance(data, Tensor) else Tensor(data)
    return tensor.requires_grad_() if requires_grad else tensor


class inference_mode(set_grad_enabled):  # noqa: N801 - PyTorch's name
    """PyTorch's ``inference_mode``: ``no_grad``, and the tensors made meanwhile are
    inference tensors (see :mod:`~tinygrad_bn.autograd.inference`); ``mode=False``
    records again and makes ordinary tensors. A context manager and a decorator,
    with or without parentheses.

    >>> from tinygrad_bn import inference_mode, is_grad_enabled, is_inference_mode_enabled
    >>> @inference_mode
    ... def modes():
    ...     with inference_mode(False):
    ...         inner = is_inference_mode_enabled(), is_grad_enabled()
    ...     return inner, (is_inference_mode_enabled(), is_grad_enabled())
    >>> modes()
    ((False, True), (True, False))
    """

    immediate = False

    def __new__(cls, mode=True):
        if callable(mode):  # @inference_mode, without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        super().__init__(not mode)
        self.inference = bool(mode)

    def __enter__(self):
        super().__enter__()
        self.previous_inference = inference.switch(self.inference)

    def __exit__(self, *exc):
        inference.switch(self.previous_inference)
        super().__exit__(*exc)


__all__ = [
    "Function",
    "forward_ad",
    "functional",
    "Tensor",
    "Variable",
    "backward",
    "detect_anomaly",
    "graph",
    "inference_mode",
    "enable_grad",
    "grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
]


def __getattr__(name):
    """``gradcheck`` and ``gradgradcheck`` live in :mod:`tinygrad_bn.check`, a tool layer
    above this one; they are fetched from there on first use, under PyTorch's path."""
    if name in ("gradcheck", "gradgradcheck"):
        return getattr(importlib.import_module("tinygrad_bn.check"), name)
    raise AttributeError(f"module 'tinygrad_bn.autograd' has no attribute {name!r}")
