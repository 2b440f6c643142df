"""PyTorch's ``torch.device``.

A device is its name: ``device("cuda")`` equals the string ``"cuda"``, so it goes
wherever the library takes a device, and ``tensor.device`` (a string) compares
equal to it.

>>> import tinygrad_bn as torch
>>> torch.device("cpu") == torch.zeros(1).device, torch.device("cuda:0").type
(True, 'cuda')
"""

from __future__ import annotations


class device(str):  # noqa: N801 - PyTorch's name
    """A device by name (``"cpu"``, ``"cuda"``, ``"cuda:0"``), or by type and index."""

    def __new__(cls, type: str, index: int | None = None):  # noqa: A002 - PyTorch's argument name
        name = str(type) if index is None else f"{type}:{index}"
        kind = name.split(":")[0]
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"unknown device {name!r}: expected 'cpu', 'cuda' or 'cuda:<index>'")
        return super().__new__(cls, name)

    @property
    def type(self) -> str:  # noqa: A003 - PyTorch's attribute name
        return self.split(":")[0]

    @property
    def index(self) -> int | None:
        return int(self.split(":")[1]) if ":" in self else None

    def __repr__(self):
        return f"device(type={self.type!r}" + (f", index={self.index})" if self.index is not None else ")")
