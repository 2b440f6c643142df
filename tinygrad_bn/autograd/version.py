"""Version counters: how backward notices that a tensor it needs was changed in place.

As in PyTorch, every in-place change of a tensor (``add_``, ``x[i] = v``, an
optimizer step, ``load_state_dict``, a running-statistics update) bumps its
``_version``. The tensors that see the same storage as changes happen — a tensor,
its ``detach()`` and its views (reshape, transpose, indexing, broadcasting) — share
one counter; ``.data`` gets a counter of its own, as in PyTorch, so changes made
through it are not seen.

An op that saves tensors for backward remembers when it saved them, and its
backward refuses to run on a saved tensor changed since. To keep this free for the
op that saves, no version is read then: a process-wide clock counts every change,
the op records the clock, and only when the clock has moved since are the saved
tensors' counters looked at.
"""

from __future__ import annotations

import collections
import threading

HISTORY = 64  # changes remembered per counter, to name the version a tensor was saved at


class VersionCounter:
    """How many times one storage was changed in place (``value``), the clock at
    each of its last changes (``stamps``), and whether a view shares it (``viewed``)."""

    __slots__ = ("value", "stamps", "viewed")

    def __init__(self):
        self.value = 0
        self.stamps = ()  # a deque from the first change on (views make counters that never change)
        self.viewed = False

    def changed_since(self, stamp: int) -> bool:
        return bool(self.stamps) and self.stamps[-1] > stamp

    def version_at(self, stamp: int) -> tuple:
        """(version, exact): the version at clock ``stamp``; not exact (at most that)
        when more changes happened since than the counter remembers."""
        later = sum(1 for s in self.stamps if s > stamp)
        exact = later < len(self.stamps) or len(self.stamps) == self.value
        return self.value - later, exact


# The counter of every tensor until it is first changed or shared; never bumped itself.
UNCHANGED = VersionCounter()


class _Clock:
    now = 0  # the number of in-place changes made in this process


clock = _Clock()
_lock = threading.Lock()


def counter_of(tensor) -> VersionCounter:
    """``tensor``'s own counter, made when first needed (to change or share it)."""
    counter = tensor._version_counter
    if counter is UNCHANGED:
        counter = tensor._version_counter = VersionCounter()
    return counter


def bump(tensor):
    """Record one in-place change of ``tensor`` (and of all that share its counter)."""
    counter = counter_of(tensor)
    with _lock:
        clock.now += 1
        counter.value += 1
        if not counter.stamps:
            counter.stamps = collections.deque(maxlen=HISTORY)
        counter.stamps.append(clock.now)


def share(source, alias) -> None:
    """Let ``alias`` (``source.detach()``) share ``source``'s counter."""
    alias._version_counter = counter_of(source)


def view_counter(source) -> VersionCounter:
    """The counter for a view of ``source``'s storage: ``source``'s own, marked viewed."""
    counter = counter_of(source)
    counter.viewed = True
    return counter


def check_unchanged(node, tensors, saved_at: int):
    """Raise if one of ``tensors`` (None where a Function saved None), saved by ``node``
    at clock ``saved_at``, was changed since."""
    for position, t in enumerate(tensors):
        if t is None:
            continue
        counter = t._version_counter
        if counter.changed_since(saved_at):
            raise modified_error(node, t, counter, saved_at, f"saved input {position}")


def modified_error(node, tensor, counter: VersionCounter, saved_at: int, what: str) -> RuntimeError:
    then, exact = counter.version_at(saved_at)
    expected = f"{'' if exact else 'at most '}{then}"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"the {tensor.dtype} tensor of shape {tuple(tensor.shape)} ({what} of {node.name}) is at version "
        f"{counter.value}; expected version {expected} instead. Hint: an in-place change (an optimizer step, "
        "add_, x[...] = v, a change through detach() or a view) happened between forward and backward; make it "
        "after backward, or change a .clone() instead"
    )
