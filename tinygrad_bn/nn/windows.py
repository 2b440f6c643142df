"""Sliding windows over images: `unfold` (im2col) and its adjoint `fold` (col2im).

``unfold`` lays every kh × kw window of an (N, C, H, W) image out as a column,
giving (N, C·kh·kw, L) with L = OH·OW windows, ordered (c, i, j) down a column
like PyTorch's ``F.unfold``. A convolution is then one matrix product with the
weight seen as (O, C·kh·kw), and a max pool is a max down each column.

Both ops are linear and each is the other's adjoint (⟨unfold(x), y⟩ = ⟨x, fold(y)⟩),
so each one's backward is the other one, and double backward comes for free.
Neither loops over pixels: both loop over the kh·kw kernel offsets, each step
moving one strided slice of every image at once.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Function


def pair(value, name: str, minimum: int = 1) -> tuple:
    """An int or a pair of ints, each at least ``minimum``, as a pair (``3`` -> ``(3, 3)``)."""
    values = (value, value) if isinstance(value, int) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, int) and v >= minimum for v in values):
        raise ValueError(f"{name} must be an int or a pair of ints, each >= {minimum}, got {value!r}")
    return values


def windows_per_axis(size: tuple, kernel_size: tuple, stride: tuple) -> tuple:
    """How many windows fit along each axis: ⌊(size − k)/s⌋ + 1."""
    if any(k > n for n, k in zip(size, kernel_size, strict=True)):
        raise ValueError(f"a {kernel_size} window does not fit in an image of size {tuple(size)}")
    return tuple((n - k) // s + 1 for n, k, s in zip(size, kernel_size, stride, strict=True))


def _offsets(kernel_size, stride, counts):
    """For each kernel offset (i, j): the strided slices of image rows and columns
    that the (i, j) element of every window sees."""
    (kh, kw), (sh, sw), (oh, ow) = kernel_size, stride, counts
    for i in range(kh):
        for j in range(kw):
            yield i, j, (slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw))


class Unfold(Function):
    """(N, C, H, W) -> (N, C·kh·kw, OH·OW): every window as a column."""

    def forward(self, x, kernel_size, stride):
        n, c, h, w = x.shape
        counts = windows_per_axis((h, w), kernel_size, stride)
        columns = x.xp.empty((n, c, *kernel_size, *counts), dtype=x.dtype)
        for i, j, (rows, cols) in _offsets(kernel_size, stride, counts):
            columns[:, :, i, j] = x.data[:, :, rows, cols]
        self.image_size = (h, w)
        return columns.reshape(n, c * kernel_size[0] * kernel_size[1], counts[0] * counts[1])

    def backward(self, grad):
        return Fold.apply(grad, image_size=self.image_size, **self.params)


class Fold(Function):
    """(N, C·kh·kw, OH·OW) -> (N, C, H, W): columns added back into the image;
    where windows overlap, their values add up."""

    def forward(self, columns, image_size, kernel_size, stride):
        n, rows_per_column, _ = columns.shape
        c = rows_per_column // (kernel_size[0] * kernel_size[1])
        counts = windows_per_axis(image_size, kernel_size, stride)
        blocks = columns.data.reshape(n, c, *kernel_size, *counts)
        image = columns.xp.zeros((n, c, *image_size), dtype=columns.dtype)
        for i, j, (rows, cols) in _offsets(kernel_size, stride, counts):
            image[:, :, rows, cols] += blocks[:, :, i, j]
        return image

    def backward(self, grad):
        return Unfold.apply(grad, kernel_size=self.params["kernel_size"], stride=self.params["stride"])


def unfold(x, kernel_size, stride=1):
    """Every ``kernel_size`` window of an (N, C, H, W) tensor as a column of an
    (N, C·kh·kw, L) tensor (no padding: pad first with ``x.pad``).

    >>> from tinygrad_bn import arange
    >>> image = arange(9, dtype="float32").reshape(1, 1, 3, 3)
    >>> unfold(image, 2).numpy()[0].tolist()
    [[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]
    """
    if x.ndim != 4:
        raise ValueError(f"unfold expects a tensor of shape (N, C, H, W), got {x.shape}")
    kernel_size, stride = pair(kernel_size, "kernel_size"), pair(stride, "stride")
    return Unfold.apply(x, kernel_size=kernel_size, stride=stride)


def fold(columns, image_size, kernel_size, stride=1):
    """Add the columns of an (N, C·kh·kw, L) tensor back into (N, C, H, W) images
    (the adjoint of :func:`unfold`; overlapping windows add up)."""
    kernel_size, stride = pair(kernel_size, "kernel_size"), pair(stride, "stride")
    image_size = pair(image_size, "image_size")
    counts = windows_per_axis(image_size, kernel_size, stride)
    per_window = kernel_size[0] * kernel_size[1]
    if columns.ndim != 3 or columns.shape[1] % per_window or columns.shape[2] != counts[0] * counts[1]:
        raise ValueError(
            f"fold into {image_size} images with {kernel_size} windows expects columns of shape "
            f"(N, C·{per_window}, {counts[0] * counts[1]}), got {columns.shape}"
        )
    return Fold.apply(columns, image_size=image_size, kernel_size=kernel_size, stride=stride)
