"""PyTorch's ``set_printoptions``: how many digits, elements and characters a printed
tensor shows.

A tensor prints its values as NumPy prints an array, with NumPy's defaults
(8 digits, not PyTorch's 4, so that printed values can be read back exactly)
until these are set; ``profile`` picks PyTorch's presets.

>>> import tinygrad_bn as torch
>>> torch.set_printoptions(precision=2)
>>> torch.tensor([1 / 3, 2 / 3])
Tensor([0.33, 0.67], dtype=float32)
>>> torch.set_printoptions(profile="default")
>>> torch.tensor([1 / 3])
Tensor([0.3333], dtype=float32)
>>> torch.set_printoptions()  # back to NumPy's
"""

from __future__ import annotations

import math

PROFILES = {  # PyTorch's presets
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}

options: dict = {}  # keyword arguments of numpy.array2string; empty: NumPy's own defaults


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print (each option as PyTorch's): digits after the point, the
    element count past which only ``edgeitems`` at each end are shown, characters per
    line, a ``profile`` ("default", "short", "full") whose values the others override,
    and ``sci_mode`` (True: always scientific notation, False: never for small values,
    None: as the values need). Called with nothing, it restores NumPy's defaults."""
    if profile is not None and profile not in PROFILES:
        raise ValueError(f"set_printoptions: profile must be one of {sorted(PROFILES)}, got {profile!r}")
    chosen = dict(PROFILES.get(profile, {}))
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth)
    chosen.update({key: value for key, value in given.items() if value is not None})
    options.clear()
    options.update({("max_line_width" if key == "linewidth" else key): value for key, value in chosen.items()})
    if options.get("threshold") == math.inf:
        options["threshold"] = 2**63 - 1  # NumPy's "never summarize"
    if sci_mode is not None:
        options["suppress_small"] = not sci_mode
    if sci_mode:
        digits = options.get("precision", 4)
        options["formatter"] = {"float_kind": lambda value: f"{value:.{digits}e}"}
