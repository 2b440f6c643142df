"""PyTorch's ``torch.autograd.forward_ad``: dual tensors, which carry a tangent along
with their value, inside a :class:`dual_level`.

>>> import tinygrad_bn as torch
>>> import tinygrad_bn.autograd.forward_ad as fwAD
>>> with fwAD.dual_level():
...     d = fwAD.make_dual(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0]))
...     fwAD.unpack_dual(d.exp() * 3).tangent.tolist()
[3.0, 0.0]

The engine is reverse mode only, so a tangent is not pushed forward op by op: it is
computed when it is unpacked. ``make_dual`` returns a view of the primal that is
recorded on the graph from a *seed* (a hidden leaf of its own); ``unpack_dual(out)``
then gives J·t summed over the duals ``out`` depends on, each term the gradient in u
of ⟨uᵀJ, t⟩ (the double-backward trick, as :func:`tinygrad_bn.autograd.functional.jvp`),
computed once per output and level. What follows from that, beside PyTorch:

- a dual is on the graph, so it requires grad, and so does what is computed from it;
  a backward through duals whose primals do not require grad runs (the seeds take
  the gradients) where PyTorch raises;
- ops run under ``no_grad`` are not recorded, so their results have no tangent
  (``make_dual`` itself is recorded in any grad mode);
- a tangent is computed from the graph as recorded, so an in-place change to a tensor
  that graph saved before the tangent is unpacked raises, as a backward would.

The primal and the tangent ``unpack_dual`` gives are views behind a *wall*: gradients
cross it, tangents do not, so what is computed from them has no tangent, as in PyTorch.
"""

from __future__ import annotations

import contextlib
import threading
from collections import namedtuple

from tinygrad_bn.autograd.engine import grad
from tinygrad_bn.autograd.function import Function, enable_grad
from tinygrad_bn.autograd.tensor import Tensor, is_floating

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = "What :func:`unpack_dual` returns: the ``primal`` and its ``tangent`` (or None)."


class _Level:
    """The one dual level entered: the tangent given to each dual made in it (by its
    node), and the tangents computed so far (by the node of the output)."""

    index = 0  # levels do not nest, as in PyTorch, so the one open level is always 0

    def __init__(self):
        self.given = {}
        self.computed = {}


class _State(threading.local):
    computing = False  # True while a tangent is computed: walls then stop gradients


_state = _State()
_open_level = None  # the _Level entered, or None (as PyTorch's, one level for all threads)


# ---- the two nodes: a dual's view of its primal, and the primal's wall ----


class MakeDual(Function):
    """The node of a dual (its ``grad_fn``): a view of the primal, from which gradients
    go on to the primal (when it requires grad) and to the seed, the hidden leaf in
    which the tangent is computed."""

    def forward(self, primal, seed):
        self.output_views(primal)
        return primal._data

    def backward(self, grad):
        return grad, grad


class UnpackDual(Function):
    """The node of what ``unpack_dual`` gives, primal or tangent, when it requires grad:
    the wall, a view that is the identity for gradients, except while a tangent is
    computed, when nothing crosses it (so neither has a tangent)."""

    def forward(self, x):
        self.output_views(x)
        return x._data

    def backward(self, grad):
        return None if _state.computing else grad


@contextlib.contextmanager
def _computing_tangents():
    previous, _state.computing = _state.computing, True
    try:
        yield
    finally:
        _state.computing = previous


# ---- levels ----


def enter_dual_level() -> int:
    """Open a dual level and return its index (0); levels do not nest, as in PyTorch.
    Prefer :class:`dual_level`, which also closes it.

    >>> level = enter_dual_level()
    >>> level, exit_dual_level(level=level)
    (0, None)
    """
    global _open_level
    if _open_level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment: a dual level is already "
                           "open; use the open one, or exit it first")
    _open_level = _Level()
    return _open_level.index


def exit_dual_level(*, level=None) -> None:
    """Close the open dual level (``level``, if given, must be its index); the duals
    made in it lose their tangents."""
    global _open_level
    if _open_level is None:
        raise RuntimeError("exit_dual_level() with no dual level open; enter one first with enter_dual_level() "
                           "or dual_level()")
    if level is not None and level != _open_level.index:
        raise RuntimeError(f"Trying to exit the forward AD level {level}, but the level open is "
                           f"{_open_level.index}; levels are exited last in, first out")
    _open_level = None


class dual_level(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """Context manager (and decorator) inside which duals exist: it enters a level,
    gives its index, and exits it at the end, when the duals lose their tangents.

    >>> import tinygrad_bn as torch
    >>> x = torch.tensor([1.0, 2.0])
    >>> with dual_level() as level:
    ...     d = make_dual(x, torch.ones(2))
    ...     inside = unpack_dual(d).tangent.tolist()
    >>> level, inside, unpack_dual(d).tangent
    (0, [1.0, 1.0], None)
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()


def _level(level, name: str) -> _Level | None:
    """The open level, checked against the ``level`` given (None: the open one)."""
    if level is not None and (_open_level is None or level != _open_level.index):
        open_one = "none is open" if _open_level is None else f"the open one is {_open_level.index}"
        raise RuntimeError(f"{name}: got level={level}, but {open_one}; leave level out to use the open level")
    return _open_level


# ---- make_dual ----


def make_dual(tensor, tangent, *, level=None) -> Tensor:
    """A dual tensor: ``tensor``'s values (a view of it) carrying ``tangent``, the
    direction in which :func:`unpack_dual` differentiates what is computed from it.
    Only inside a :class:`dual_level`. ``tangent`` has the shape of ``tensor``;
    both are floating point. Gradients reach ``tensor`` through the dual when it
    requires grad.

    >>> import tinygrad_bn as torch
    >>> with dual_level():
    ...     d = make_dual(torch.tensor([2.0, 3.0]), torch.tensor([1.0, 0.0]))
    ...     unpack_dual(d * d).tangent.tolist()
    [4.0, 0.0]
    """
    current = _level(level, "make_dual")
    if current is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists; make it inside "
                           "`with forward_ad.dual_level():` (or after enter_dual_level())")
    _check_dual(tensor, tangent)
    if _seeds_reached(tensor, current):
        raise RuntimeError(f"Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {current.index} is not supported; make the dual from its primal "
                           "(unpack_dual(tensor).primal) instead")
    seed = tensor.detach().requires_grad_(True)
    with enable_grad():  # recorded also under no_grad, so that the dual keeps its tangent
        dual = MakeDual.apply(tensor, seed)
    current.given[dual._ctx] = tangent
    return dual


def _check_dual(tensor, tangent):
    for name, t in (("primal", tensor), ("tangent", tangent)):
        if not isinstance(t, Tensor):
            raise TypeError(f"make_dual: expected the {name} to be a Tensor, got {type(t).__name__}")
        if not is_floating(t.dtype):
            raise ValueError(f"Expected {name} to be floating point or complex, but got: {t.dtype}")
    if tangent.shape != tensor.shape:
        raise RuntimeError(f"make_dual: the tangent has shape {tuple(tangent.shape)} but the primal has shape "
                           f"{tuple(tensor.shape)}; they must match")
    if tangent.device != tensor.device:
        raise RuntimeError(f"make_dual: the tangent is on {tangent.device!r} but the primal on {tensor.device!r}; "
                           "move the tangent with .to(primal.device)")


# ---- unpack_dual ----


def unpack_dual(tensor, *, level=None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor``: its values as a tensor without a tangent,
    and the derivative of ``tensor`` in the direction of the tangents of the duals it
    depends on (Σ J·t over them), or None when it depends on none (or no level is
    open). Computed on the first call for ``tensor``, then kept for the level.

    >>> import tinygrad_bn as torch
    >>> x = torch.tensor([1.0, 2.0])
    >>> with dual_level():
    ...     d = make_dual(x, torch.tensor([1.0, 1.0]))
    ...     primal, tangent = unpack_dual((d * x).sum())
    ...     primal.item(), tangent.item(), unpack_dual(x).tangent
    (5.0, 3.0, None)
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual: expected a Tensor, got {type(tensor).__name__}")
    current = _level(level, "unpack_dual")
    nodes = _seeds_reached(tensor, current) if current is not None else []
    if not nodes:
        return UnpackedDualTensor(tensor, None)
    keep = _needs_graph(tensor, [current.given[node] for node in nodes])
    primal = UnpackDual.apply(tensor) if keep else tensor.detach()
    return UnpackedDualTensor(primal, _tangent(tensor, nodes, current, keep))


def _tangent(tensor: Tensor, nodes: list, current: _Level, keep: bool) -> Tensor:
    """The tangent of ``tensor``: the one given, for a dual as ``make_dual`` returned
    it; else J·t summed over the duals' nodes, computed once."""
    node = tensor._ctx
    if node in current.given:
        return current.given[node]
    if node not in current.computed:
        current.computed[node] = _pushed_forward(tensor, nodes, [current.given[n] for n in nodes], keep)
    return current.computed[node]


def _pushed_forward(out: Tensor, nodes: list, tangents: list, keep: bool) -> Tensor:
    """Σᵢ Jᵢ·tᵢ, Jᵢ the Jacobian of ``out`` in the seed of dual node i: uᵀJᵢ is the
    gradient of ⟨u, out⟩ in the seed, linear in u, so Σᵢ Jᵢ·tᵢ is the gradient in u
    of Σᵢ ⟨uᵀJᵢ, tᵢ⟩. Kept on the graph (differentiable in the primals and tangents)
    when ``keep``, behind a wall: a tangent has no tangent of its own, as in PyTorch."""
    seeds = [node.parents[1] for node in nodes]
    u = Tensor._wrap(out.xp.zeros_like(out._data), out._backend).requires_grad_(True)
    with enable_grad(), _computing_tangents():
        uJ = grad(out, seeds, grad_outputs=u, retain_graph=True, create_graph=True, allow_unused=True)
        pairs = [(g, t.astype(g.dtype) if t.dtype != g.dtype else t) for g, t in zip(uJ, tangents)
                 if g is not None and g.requires_grad]
        Jt = None
        if pairs:
            (Jt,) = grad([g for g, _ in pairs], u, grad_outputs=[t for _, t in pairs], create_graph=keep,
                         allow_unused=True)
    if Jt is None:
        return Tensor._wrap(out.xp.zeros_like(out._data), out._backend)
    return UnpackDual.apply(Jt) if keep else Jt


# ---- walking the graph ----


def _seeds_reached(tensor: Tensor, current: _Level) -> list:
    """The nodes of the duals of ``current`` that ``tensor`` depends on (not through a wall)."""
    return [node for node in _walk(tensor, through_walls=False) if node in current.given]


def _needs_graph(tensor: Tensor, tangents: list) -> bool:
    """Whether the tangent of ``tensor`` is to stay on the graph: when a tangent
    requires grad, or ``tensor`` depends on a leaf that does (a seed is not one)."""
    if any(t.requires_grad for t in tangents):
        return True
    for node in _walk(tensor, through_walls=True):
        parents = node.parents[:1] if isinstance(node, MakeDual) else node.parents
        if any(not isinstance(p, Function) and needed for p, needed in zip(parents, node.needs_input_grad)):
            return True
    return False


def _walk(tensor: Tensor, through_walls: bool):
    """The recorded nodes ``tensor`` depends on, each once (without recursion); a wall
    and what lies behind it only ``through_walls``."""
    seen, stack = set(), [tensor._ctx] if tensor._ctx is not None else []
    while stack:
        node = stack.pop()
        if node in seen or (isinstance(node, UnpackDual) and not through_walls):
            continue
        seen.add(node)
        yield node
        stack.extend(p for p in node.parents if isinstance(p, Function) and p not in seen)
