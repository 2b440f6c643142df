"""Array backends: which array library computes for which device.

A tensor on ``"cpu"`` holds a NumPy array; a tensor on ``"cuda"`` holds a CuPy
array. Every array operation in the library goes through ``tensor.xp`` (the
namespace of the tensor's backend), never through ``numpy`` directly, so the same
code runs on both devices.

>>> get_backend("cpu").xp.__name__
'numpy'
"""

from __future__ import annotations

import contextlib

import numpy

from tinygrad_bn.device import device
from tinygrad_bn.memory import contiguous, keep_freed_memory

CUDA_INSTALL_HINT = (
    "device='cuda' needs CuPy and a CUDA GPU: install the extra with "
    "pip install -e '.[cuda]' on a machine with an NVIDIA GPU"
)


class Backend:
    """One device: its name, its array namespace and the few helpers NumPy and
    CuPy spell differently. ``contiguous`` (``xp.ascontiguousarray`` unless given)
    makes a C-contiguous array of a view."""

    def __init__(self, name, xp, to_host, from_host, scatter_add, array_type, contiguous=None,
                 short_broadcasts=contextlib.nullcontext):
        self.name = name
        self.device = device(name)
        self.xp = xp
        self.to_host = to_host
        self.from_host = from_host
        self.scatter_add = scatter_add
        self.array_type = array_type
        self.contiguous = contiguous or xp.ascontiguousarray
        self.short_broadcasts = short_broadcasts

    def __repr__(self):
        return f"Backend({self.name!r}, xp={self.xp.__name__})"

    def __reduce__(self):
        # copied and pickled tensors refer to their device by name
        return get_backend, (self.name,)


class _ShortBroadcastBuffers:
    """Within: NumPy buffers only broadcasts whose rows are shorter than 1024 elements.

    NumPy copies a broadcast operand through a buffer (8192 elements by default)
    unless a row of the loop is at least that long: (16, 4096) rows times a (16, 1)
    column took 2-3x the time of a product of two (16, 4096) arrays, and 0.3x
    with a 1024-element buffer. The setting is NumPy's, for the calling thread;
    the previous one is back on leaving."""

    BUFFER = 1024

    def __enter__(self):
        self.previous = numpy.setbufsize(self.BUFFER)

    def __exit__(self, *exc_info):
        numpy.setbufsize(self.previous)


CPU = Backend(
    "cpu",
    numpy,
    to_host=lambda a: a,
    from_host=lambda a: a,
    scatter_add=numpy.add.at,
    array_type=numpy.ndarray,
    contiguous=contiguous,  # placed away from the view modulo a page (see memory)
    short_broadcasts=_ShortBroadcastBuffers,
)

_backends = {"cpu": CPU}
keep_freed_memory()  # NumPy's arrays come from malloc: keep what the last step freed for the next (see memory)


def _load_cuda():
    try:
        import cupy
        import cupyx
    except ImportError as error:
        raise RuntimeError(f"{CUDA_INSTALL_HINT} (CuPy is not installed)") from error
    try:
        gpus = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CuPy raises its own runtime error type
        raise RuntimeError(f"{CUDA_INSTALL_HINT} (no usable GPU: {error})") from error
    if gpus == 0:
        raise RuntimeError(f"{CUDA_INSTALL_HINT} (no GPU found)")
    return Backend(
        "cuda",
        cupy,
        to_host=cupy.asnumpy,
        from_host=cupy.asarray,
        scatter_add=cupyx.scatter_add,
        array_type=cupy.ndarray,
    )


def get_backend(device) -> Backend:
    """The backend for ``device`` (``"cpu"`` or ``"cuda"``)."""
    if device is None:
        return CPU
    if isinstance(device, Backend):
        return device
    name = str(device)
    if name.startswith("cuda:"):
        name = "cuda"
    backend = _backends.get(name)
    if backend is None:
        if name != "cuda":
            raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")
        backend = _backends["cuda"] = _load_cuda()
    return backend


def is_available(device) -> bool:
    """Whether ``device`` works here (``"cuda"``: CuPy installed and a GPU found)."""
    try:
        get_backend(device)
    except RuntimeError:
        return False
    return True


def backend_of_array(array) -> Backend | None:
    """The backend whose array type ``array`` is, or None for non-arrays."""
    for backend in _backends.values():
        if isinstance(array, backend.array_type):
            return backend
    if type(array).__module__.startswith("cupy"):
        return get_backend("cuda")
    return None


def register_backend(backend: Backend) -> Backend | None:
    """Install ``backend`` under its device name; return the one it replaces.

    Used by the tests to stand a strict array namespace in for CuPy."""
    previous = _backends.get(backend.name)
    _backends[backend.name] = backend
    return previous


def unregister_backend(name, previous=None):
    """Undo :func:`register_backend`."""
    if previous is None:
        _backends.pop(name, None)
    else:
        _backends[name] = previous


def is_channel_major(array) -> bool:
    """Whether an (N, C, ...) array lies in memory channel after channel, as (C, N, ...)
    in C order, and not in its own C order (it is in both when N or C is 1).

    A convolution hands on its output in that memory (ops/convolution.py), and
    BatchNorm, ReLU and max pooling keep it: each channel is then one run of memory.

    >>> import numpy
    >>> is_channel_major(numpy.zeros((3, 2, 4, 4)).transpose(1, 0, 2, 3)), is_channel_major(numpy.zeros((2, 3, 4)))
    (True, False)
    """
    return array.ndim >= 3 and not array.flags.c_contiguous and array.swapaxes(0, 1).flags.c_contiguous
