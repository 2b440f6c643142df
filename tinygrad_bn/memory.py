"""Where NumPy's arrays live in memory: freed memory kept in the process for the
next arrays (Linux, glibc), and copies placed where they run at full speed.

A training step allocates and frees the same large arrays step after step:
activations, their gradients, the columns of a convolution. By default glibc's
malloc gives an array larger than its *mmap threshold* (128 KiB, raised to the
largest block freed so far) pages of its own straight from the kernel, and hands
memory at the top of its heap back to the kernel as soon as more than twice that
threshold lies free there. Either way the next step's arrays land on pages the
kernel has to find and zero again, one page fault per 4 KiB: a third of a
3×32×32 CNN training step went to that.

:func:`keep_freed_memory`, called when the package is imported, fixes the mmap
threshold at glibc's ceiling of 32 MiB and the trim threshold at 2 GiB, so the
heap keeps what it frees and the next arrays reuse it, much as PyTorch's caching
allocator keeps GPU memory. The price: the process keeps its peak heap (below
2 GiB of free space) instead of returning it between steps. Set the environment
variable ``TINYGRAD_BN_KEEP_FREED_MEMORY=0`` before the import to leave malloc
as it is. Other C libraries have no such settings, and nothing changes there.

Arrays that follow each other on that heap sit where a transposing copy from one
into the next runs 8-10x slower; :func:`contiguous` places such copies elsewhere
(see the notes above it).
"""

from __future__ import annotations

import ctypes
import os
import sys

import numpy

ENVIRONMENT_VARIABLE = "TINYGRAD_BN_KEEP_FREED_MEMORY"
M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers, from glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # the largest glibc accepts on 64-bit systems
TRIM_THRESHOLD = 2**31 - 1  # mallopt takes an int


def keep_freed_memory() -> bool:
    """Set glibc's malloc to keep freed memory for reuse (see the module docstring);
    True when it did, False where it was asked not to or cannot."""
    if os.environ.get(ENVIRONMENT_VARIABLE, "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):  # musl and others: mallopt is absent or does nothing
            return False
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


# Arrays that malloc hands out one after the other on the heap lie 16 bytes apart
# modulo 4 KiB whenever their sizes are multiples of 4 KiB (each block's header is
# 16 bytes). NumPy's copy of a transposed view into a fresh array then stores 16
# bytes ahead of where it loads, modulo 4 KiB, and the core takes every load as
# depending on the store with the same low 12 address bits: 8-10x slower
# (a (64, 16, 32, 32) float32 transpose, 1.5 ms against 0.16). Memory from mmap
# starts on a page, so this did not happen before the heap kept large arrays.
PAGE_BYTES = 4096
CLEAR_BYTES = 256  # how far apart, modulo a page, the copy's first load and first store must be
PLACED_BYTES = 256 * 1024  # smaller copies are made as they come: placing them costs more than it saves


def contiguous(array):
    """A C-contiguous NumPy ``array``: itself if it is one, else a copy, placed at least
    ``CLEAR_BYTES`` away from the array's first element modulo a page when it is
    large (see above)."""
    if array.nbytes < PLACED_BYTES or array.flags.c_contiguous:
        return numpy.ascontiguousarray(array)
    spare = 2 * CLEAR_BYTES // array.itemsize
    buffer = numpy.empty(array.size + spare, dtype=array.dtype)
    start = spare if near(buffer.ctypes.data, array.ctypes.data) else 0
    copy = buffer[start: start + array.size].reshape(array.shape)
    numpy.copyto(copy, array)
    return copy


def near(address: int, other: int) -> bool:
    """Whether two addresses lie within ``CLEAR_BYTES`` of each other, modulo a page
    (2·``CLEAR_BYTES`` further on, they no longer do)."""
    apart = (address - other) % PAGE_BYTES
    return apart < CLEAR_BYTES or apart > PAGE_BYTES - CLEAR_BYTES
