"""`Function`: the one way an operation is written, and the graph node it leaves.

An op subclasses :class:`Function` and writes ``forward`` and ``backward`` next
to each other, the way PyTorch's ``torch.autograd.Function`` reads::

    class Exp(Function):
        def forward(self, x):          # x: Tensor; returns a backend array
            y = x.xp.exp(x._data)
            self.save_output(y)
            return y

        def backward(self, grad):      # grad: Tensor; returns one Tensor per input
            return grad * self.saved_output()

What ``backward`` needs reaches it in one of two ways. Tensors and arrays of values
go through ``save_for_backward`` (inputs, or constants wrapped as Tensors) or
``save_output``, which refuse them if they were changed in place since forward.
Everything else (axes, an index, a shape, a number) is an attribute that ``forward``
sets on ``self``::

    class Scale(Function):
        def forward(self, x, factor):
            self.factor = factor       # a number, not an array: an attribute
            return x._data * factor

        def backward(self, grad):
            return grad * self.factor

``backward`` never reads ``params`` (the keyword arguments of ``apply``, kept on a
recorded node only for display).

``backward`` is written with Tensor operations, so when the engine runs it with
``create_graph=True`` the backward is itself recorded and can be differentiated
again. Calling ``Exp.apply(x)`` runs ``forward`` and, when some input requires a
gradient and grad mode is on, records the call as a node of the graph.
"""

from __future__ import annotations

import contextlib
import functools
import threading

from tinygrad_bn.autograd import anomaly, inference, saved_hooks
from tinygrad_bn.autograd.switch import Switch
from tinygrad_bn.autograd.tensor import Tensor
from tinygrad_bn.autograd.version import VersionCounter, check_unchanged, clock, modified_error, view_counter


class _GradMode(threading.local):
    enabled = True
    record_hook = None  # called with each node recorded, when set: the notes' hook and the collectors together
    notes_hook = None  # the hook on_record set
    collectors = ()  # lists gathering every node recorded (see recording)


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when operations are being recorded for backward."""
    return _mode.enabled


class set_grad_enabled(Switch):
    """Turn graph recording on or off: from the call on, or inside a ``with`` block (or
    a decorated function), as PyTorch's.

    >>> from tinygrad_bn import Tensor, is_grad_enabled
    >>> _ = set_grad_enabled(False)
    >>> (Tensor([1.0], requires_grad=True) * 2).requires_grad, is_grad_enabled()
    (False, False)
    >>> _ = set_grad_enabled(True)
    """

    mode = _mode
    immediate = True


class no_grad(set_grad_enabled):
    """Context manager and decorator that stops graph recording.

    >>> from tinygrad_bn import Tensor, no_grad
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    immediate = False

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Context manager and decorator that turns graph recording back on."""

    immediate = False

    def __init__(self):
        super().__init__(True)


def on_record(hook):
    """Call ``hook(node)`` with each node recorded from now on in this thread (None:
    no call); returns the hook it replaces, to put back. The core's one hook for
    those who keep notes on nodes (:mod:`tinygrad_bn.annotations`)."""
    previous = _mode.notes_hook
    _mode.notes_hook = hook
    _install_record_hook()
    return previous


@contextlib.contextmanager
def recording():
    """Gather every node recorded in this thread inside the block into the list it
    yields, whatever :func:`on_record` hooks come and go meanwhile (blocks nest;
    activation checkpoints find the nodes of their function this way).

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> with recording() as nodes:
    ...     y = (x * 2).exp()
    >>> [node.name for node in nodes]
    ['Mul', 'Exp']
    """
    nodes = []
    _mode.collectors = _mode.collectors + (nodes,)
    _install_record_hook()
    try:
        yield nodes
    finally:
        _mode.collectors = tuple(c for c in _mode.collectors if c is not nodes)
        _install_record_hook()


def _install_record_hook():
    """Make the hook ``apply`` calls: the notes' hook alone (the usual case, no cost
    added), or it and an append to every collector."""
    notes, collectors = _mode.notes_hook, _mode.collectors
    if not collectors:
        _mode.record_hook = notes
        return

    def hook(node):
        if notes is not None:
            notes(node)
        for nodes in collectors:
            nodes.append(node)

    _mode.record_hook = hook


_wrap = Tensor._wrap


def _device_error(cls, inputs):
    devices = ", ".join(f"{tuple(t.shape)} on {t.device!r}" for t in inputs)
    return RuntimeError(
        f"{cls.__name__} expects all its tensors on one device, got {devices}; "
        "move them with .to(device) first"
    )


def _needs_on_one_device(cls, inputs, backend) -> tuple:
    """Which ``inputs`` require grad; raises unless all are on ``backend``."""
    for t in inputs:
        if t._backend is not backend:
            raise _device_error(cls, inputs)
    return tuple([t.requires_grad for t in inputs])  # a list, not a generator: 0.6 µs less for 3 inputs


class Function:
    """Base class of every operation (see the module docstring for an example).

    Attributes set on a recorded node:
      ``parents``          for each input, its producing node, or the input itself if it is a leaf
      ``needs_input_grad`` for each input, whether it requires a gradient
      ``shape``, ``dtype`` of the output
      ``params``           the keyword arguments of ``apply``, for display only: backward
                           reads attributes forward set (see the module docstring)
      ``backend``          the device backend of the output (forward may change it)
      ``saved_at``         the version clock when forward saved tensors (see ``version``)
      ``output_counter``   a version counter forward gives its output: the output's own
                           when forward saves it, its input's when the output is a view
    """

    saved = ()
    saved_at = 0
    needs_input_grad = ()  # set by apply before forward; a node made another way records nothing through it
    packed = None  # (unpack_hook, packed tensors) in place of ``saved``, under saved-tensor hooks
    output_counter = None
    released = False
    retains_grad = False
    grad = None
    tensor_hooks = None  # the output's Hooks (see hooks), once one is registered
    params = {}
    _output_data = None

    def __init_subclass__(cls, **kwargs):
        """A subclass written PyTorch's way, with ``@staticmethod forward(ctx, ...)``,
        is applied by :func:`tinygrad_bn.autograd.custom.apply` (any arguments, Tensors
        out, ``ctx.save_for_backward``)."""
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("forward"), staticmethod):
            from tinygrad_bn.autograd import custom  # custom builds on this module

            cls.apply = classmethod(custom.apply)

    @classmethod
    def apply(cls, *inputs: Tensor, **params):
        """Run ``forward`` on ``inputs`` and record the call when a gradient is needed."""
        fn = cls()
        backend = fn.backend = inputs[0]._backend
        pair = len(inputs) == 2
        if pair:  # most ops: unpacked, not comprehended, is 0.3 µs less per call (Python 3.11)
            a, b = inputs
            if b._backend is not backend:
                raise _device_error(cls, inputs)
            needs = (a.requires_grad, b.requires_grad)
        else:
            needs = _needs_on_one_device(cls, inputs, backend)
        mode = _mode
        record = True in needs and mode.enabled
        fn.needs_input_grad = needs if record else (False,) * len(needs)
        data = fn.forward(*inputs, **params)
        if not record:
            out = _wrap(data, fn.backend, None)
        else:
            if pair:
                fn.parents = (a if a._ctx is None else a._ctx, b if b._ctx is None else b._ctx)
            else:
                fn.parents = tuple([t if t._ctx is None else t._ctx for t in inputs])  # a list: as above
            fn.params = params
            fn.shape = data.shape
            fn.dtype = data.dtype
            if mode.record_hook is not None:
                mode.record_hook(fn)
            if anomaly.mode.enabled:
                fn.creation_trace = anomaly.creation_trace()
            out = _wrap(data, fn.backend, fn)
        if fn.output_counter is not None:
            out._version_counter = fn.output_counter
        return out

    def forward(self, *inputs: Tensor, **params):
        """Compute the output array from the inputs' ``._data`` arrays."""
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def backward(self, grad: Tensor):
        """Return the gradient with respect to each input (a Tensor, or None)."""
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    # What forward keeps for backward -------------------------------------------------

    def save_for_backward(self, *tensors: Tensor):
        """Keep ``tensors`` (inputs, or constants wrapped as Tensors) for backward;
        :attr:`saved_tensors` refuses them if one is changed in place meanwhile. Under
        saved-tensor hooks (:mod:`~tinygrad_bn.autograd.saved_hooks`) a recorded op keeps
        them packed instead, and unpacks them when the backward reads them. A recorded op
        may not keep an inference tensor, as in PyTorch (see ``inference``)."""
        if (inference.made or saved_hooks.active) and True in self.needs_input_grad:  # recorded
            if inference.made:
                inference.refuse_saved(tensors, self.name)
            self.packed = saved_hooks.pack(tensors) if saved_hooks.active else None
            if self.packed is not None:
                return
        self.saved = tensors
        self.saved_at = clock.now

    @property
    def saved_tensors(self):
        if self.released:
            raise self._released_error()
        if self.packed is not None:
            unpack, packed = self.packed
            return tuple(None if p is None else unpack(p) for p in packed)
        if self.saved_at != clock.now:  # something somewhere was changed in place since
            check_unchanged(self, self.saved, self.saved_at)
        return self.saved

    def save_output(self, data):
        """Keep the output array for backward (for ops like exp whose gradient uses it);
        :meth:`saved_output` refuses it if the output is changed in place meanwhile."""
        self._output_data = data
        self.output_counter = VersionCounter()
        self.saved_at = clock.now

    def output_views(self, x: Tensor):
        """Say that the output shares ``x``'s storage (a reshape, a slice): the two
        share one version counter, so a change through either is seen by backward."""
        self.output_counter = view_counter(x)

    def saved_output(self) -> Tensor:
        """The saved output as a Tensor; while recording, it is this node's output,
        so a gradient through it reaches the node's inputs (double backward)."""
        if self.released:
            raise self._released_error()
        if self.output_counter.changed_since(self.saved_at):
            raise modified_error(self, self, self.output_counter, self.saved_at, "the output")
        return Tensor._wrap(self._output_data, self.backend, self if _mode.enabled else None)

    def saved_arrays(self):
        """The distinct arrays this node keeps alive for backward."""
        arrays = [t._data for t in self.saved if isinstance(t, Tensor)]
        if self._output_data is not None:
            arrays.append(self._output_data)
        unique = {id(a): a for a in arrays}
        return list(unique.values())

    def saved_bytes(self) -> int:
        """Bytes of the distinct arrays this node keeps alive for backward."""
        return sum(a.nbytes for a in self.saved_arrays())

    def release(self):
        """Drop what forward saved; a later backward through this node raises. A node
        that saved nothing (a sum, an add, a reshape) has nothing to drop, and may run
        again, as in PyTorch."""
        if self.saved or self.packed is not None or self._output_data is not None:
            self.saved, self.packed = (), None
            self._output_data = None
            self.released = True

    def _released_error(self) -> RuntimeError:
        return RuntimeError(
            f"trying to backward through {type(self).__name__} a second time, "
            "but its saved tensors were freed after the first backward; "
            "pass retain_graph=True to the first backward() if you need to call it twice"
        )

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name} node>"


def once_differentiable(backward):
    """Mark a ``backward`` that is written with arrays and cannot be differentiated.
    It runs without recording; under ``create_graph=True`` the gradients it returns
    hang from a node whose own backward raises, so differentiating them again fails
    loudly instead of silently giving wrong second derivatives, as in PyTorch.
    ``backward`` takes one gradient per output of the Function."""

    @functools.wraps(backward)
    def wrapper(self, *grads):
        upstream = [g for g in grads if isinstance(g, Tensor) and g.requires_grad]
        with no_grad():
            results = backward(self, *grads)
        if not (_mode.enabled and upstream):
            return results

        def hung(result):
            if not isinstance(result, Tensor):
                return result
            return DifferentiatedOnce.apply(result, *upstream, function=_function_name(self))

        return tuple(hung(r) for r in results) if isinstance(results, tuple) else hung(results)

    return wrapper


class DifferentiatedOnce(Function):
    """A gradient from a backward marked :func:`once_differentiable`, handed on as it is,
    recorded after the upstream gradients it was computed from; differentiating it raises."""

    def forward(self, gradient, *upstream, function: str):
        self.function = function
        return gradient._data

    def backward(self, grad):
        raise RuntimeError(f"trying to differentiate twice {self.function}.backward, which is marked "
                           "@once_differentiable: it is not differentiable")


def _function_name(node) -> str:
    """The name of the Function whose backward runs: a node's, or for a PyTorch-style
    Function's ``ctx``, its node's."""
    return getattr(node, "_node", node).name
