"""What each node of a picture says: titles and detail lines, as Graphviz HTML labels."""

from __future__ import annotations

import html
import numbers

from tinygrad_bn.autograd.graph import arrays_saved_by

_DETAIL_SIZE = 10


def html_label(title: str, *lines: str | None, left=False) -> str:
    """A bold title over smaller detail lines (empty lines are left out),
    centred or ``left``-aligned.

    >>> html_label("mean", "(1, 3) float32", None)
    '<<B>mean</B><BR/><FONT POINT-SIZE="10">(1, 3) float32</FONT>>'
    """
    rows = [f"<B>{html.escape(title, quote=False)}</B>"]
    rows += [
        f'<FONT POINT-SIZE="{_DETAIL_SIZE}">{html.escape(line, quote=False)}</FONT>'
        for line in lines
        if line
    ]
    if left:
        return "<" + "".join(row + '<BR ALIGN="LEFT"/>' for row in rows) + ">"
    return "<" + "<BR/>".join(rows) + ">"


def human_bytes(count: int) -> str:
    """A byte count as people read it.

    >>> human_bytes(96), human_bytes(1536), human_bytes(3 * 2**20)
    ('96 B', '1.5 KiB', '3.0 MiB')
    """
    if count < 1024:
        return f"{count} B"
    size = float(count)
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}"


def shape_text(shape, dtype) -> str:
    return f"{tuple(shape)} {dtype}"


def norm(tensor) -> float:
    """The 2-norm of a tensor's elements, summed in float64 (no float16 overflow)."""
    flat = tensor._data.astype(tensor.xp.float64).ravel()
    return float(tensor.xp.sqrt((flat * flat).sum()))


def grad_text(grad) -> str | None:
    """The gradient's 2-norm and shape, or None when there is no gradient."""
    if grad is None:
        return None
    return f"grad norm {norm(grad):.4g} · {tuple(grad.shape)}"


def element_count(shape) -> int:
    count = 1
    for length in shape:
        count *= length
    return count


def note_label(title: str, rows) -> str:
    """A box of text: a bold title over rows of cells (a verdict table)."""
    cells = "".join(
        "<TR>" + "".join(f'<TD ALIGN="LEFT">{html.escape(str(cell), quote=False)}</TD>' for cell in row) + "</TR>"
        for row in rows
    )
    return (f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR><TD COLSPAN="{max(map(len, rows), default=1)}">'
            f"<B>{html.escape(title, quote=False)}</B></TD></TR>{cells}</TABLE>>")


def array_root(array):
    """The array that owns the memory ``array`` views (itself if it owns it)."""
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def same_elements(a, b) -> bool:
    """Whether two tensors hold the same elements of one array, in any shape."""
    return (a.size == b.size and array_root(a._data) is array_root(b._data)
            and bool(a.xp.may_share_memory(a._data, b._data)))


def _value_text(value) -> str:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
            return f"array{tuple(value.shape)}"
        text = repr(value)
        return text if len(text) <= 30 else text[:29] + "…"
    return f"{value:g}"


def params_text(params: dict) -> str:
    """An op's keyword arguments on one line; ``training`` reads as training/eval.

    >>> params_text({"eps": 1e-05, "momentum": 0.1, "training": False})
    'eps=1e-05 · momentum=0.1 · eval'
    """
    parts = []
    for key, value in params.items():
        if key == "training":
            parts.append("training" if value else "eval")
        elif value is not None:
            parts.append(f"{key}={_value_text(value)}")
    return " · ".join(parts)


def total_saved_bytes(nodes) -> int:
    """Bytes of the distinct arrays that ``nodes`` keep for backward (an array
    saved by several nodes counts once)."""
    return sum(a.nbytes for a in arrays_saved_by(nodes))
