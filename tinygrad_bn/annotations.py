"""Notes for pictures, kept beside the graph: regions, and what a node is.

The autograd core records only what differentiation needs. What a picture also
wants to say lives here, in one place:

- a :class:`region` groups the ops recorded inside a ``with`` block (a layer's
  forward, the composite BatchNorm, a loss); regions nest;
- :func:`note` tells what a step computes (its ``role``, such as ``"mean"``)
  and which route of x's gradient it carries (``path``: ``"mu"``, ``"var"``,
  ``"x_hat"``, or one per input);
- :meth:`Region.name` names a tensor that enters a region from outside the graph.

The core calls one hook per recorded node (:func:`~tinygrad_bn.autograd.function.on_record`),
set only while a region is open, so recording outside any region costs nothing
here. :func:`of` gives a node's :class:`Note` to whoever draws it.

>>> from tinygrad_bn import Tensor
>>> x = Tensor([1.0, 2.0], requires_grad=True)
>>> with region("block", "my block") as block:
...     y = note(x * 2.0, "double")
>>> of(y.grad_fn).regions == (block,), of(y.grad_fn).role, of((y + 1.0).grad_fn).regions
(True, 'double', ())
"""

from __future__ import annotations

import functools
import threading
import weakref

from tinygrad_bn.autograd.function import on_record


class Region:
    """A named part of the graph: ``kind`` says what it is (``"batch_norm"``,
    ``"module"``), ``label`` how to title it, ``owner`` what opened it (the Module
    whose forward it holds, or None). Each ``with region(...)`` block is its own
    Region, so two layers of one kind stay two regions."""

    __slots__ = ("kind", "label", "owner", "names")

    def __init__(self, kind: str, label: str | None = None, owner=None):
        self.kind = kind
        self.label = label or kind
        self.owner = owner
        self.names = {}  # tensor entering from outside the graph -> what to call it

    def name(self, tensor, text: str):
        """Call ``tensor`` ``text`` in pictures of this region; returns ``tensor``."""
        self.names[tensor] = text
        return tensor

    def __repr__(self):
        return f"Region({self.kind!r}, {self.label!r})"


class Note:
    """What a picture knows of one node: the ``regions`` it was recorded in,
    outermost first, its ``role`` and the ``path`` of x's gradient it carries."""

    __slots__ = ("regions", "role", "path")

    def __init__(self, regions: tuple = (), role: str | None = None, path=None):
        self.regions = regions
        self.role = role
        self.path = path

    def route(self, index: int):
        """The route of x's gradient that input ``index`` carries (or None)."""
        return self.path[index] if isinstance(self.path, tuple) else self.path


class _Open(threading.local):
    regions = ()


_open = _Open()
_notes = weakref.WeakKeyDictionary()  # node -> Note; a node's note goes with the node
_NOTHING = Note()


def _recorded(node):
    _notes[node] = Note(_open.regions)


class region:  # noqa: N801 - used as a context manager, like no_grad
    """Put every node recorded inside the ``with`` block in a new :class:`Region`
    (``as`` gives it). Regions nest; pictures draw each as a titled frame and
    can fold it into one node."""

    __slots__ = ("region", "_outer", "_hook")

    def __init__(self, kind: str, label: str | None = None, owner=None):
        self.region = Region(kind, label, owner)

    def __enter__(self) -> Region:
        self._outer = _open.regions
        _open.regions = self._outer + (self.region,)
        self._hook = on_record(_recorded)
        return self.region

    def __exit__(self, *exc):
        on_record(self._hook)
        _open.regions = self._outer


def in_own_region(function):
    """``function`` with what it records in a region named after it (a loss such as
    ``cross_entropy``), so that pictures draw it as one frame."""

    @functools.wraps(function)
    def in_region(*args, **kwargs):
        with region(function.__name__):
            return function(*args, **kwargs)

    return in_region


def note(tensor, role: str, path=None):
    """Say what the node that made ``tensor`` computes: its ``role`` (a step's
    name) and the ``path`` of x's gradient it carries, one for all its inputs or
    a tuple with one per input. Returns ``tensor``; a tensor outside the graph
    (no node) is returned as it is."""
    node = tensor.grad_fn
    if node is not None:
        found = _notes.get(node)
        if found is None:
            found = _notes[node] = Note(_open.regions)
        found.role, found.path = role, path
    return tensor


def of(node) -> Note:
    """The :class:`Note` of ``node`` (an empty one when nothing was noted)."""
    return _notes.get(node, _NOTHING)


def regions() -> tuple:
    """The regions open now, outermost first."""
    return _open.regions


def name_constant(tensor, text: str):
    """Call ``tensor``, which enters from outside the graph, ``text`` in pictures
    of the innermost open region (if any); returns ``tensor``."""
    if _open.regions:
        _open.regions[-1].name(tensor, text)
    return tensor
