"""2-D convolution as one op: the windows laid out as columns, then one matrix product.

    out[n, o, y, x] = Σ_{c, i, j} W[o, c, i, j] · xp[n, c, y·sh + i·dh, x·sw + j·dw]

where xp is the zero-padded input. With the columns of every window of the batch
side by side, (C·kh·kw, N·OH·OW), the whole batch is one product per group,

    out = W cols,   dW = dY colsᵀ,   dcols = Wᵀ dY,

and dx is dcols added back into the images (a fold). One product over the whole
batch, rather than one per image, is what lets BLAS use its fast kernels and every
core. The images are padded channels first, (C, N, Hp, Wp), the order the columns
take, so that laying them out and folding them back copy like to like.
"""

from __future__ import annotations

from tinygrad_bn.autograd import Function, is_grad_enabled
from tinygrad_bn.ops.linalg import check_one_dtype
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.windows import SHORT_ROW, Fold, Unfold, offsets, pad_images, windows_per_axis


class Windows:
    """The windows of a convolution of (N, C, H, W) images: their columns and back.

    ``padding`` is (top, bottom, left, right). Images and columns are laid out
    channels first, then the batch and the pixels, (C, N, H, W), the order the
    columns take, so that laying them out and folding them back copy like to like.
    When the columns will be folded back (``folded``: x needs a gradient) and a row
    has fewer than ``SHORT_ROW`` windows, the batch goes last, (C, H, W, N), so that
    the fold's adds run along rows of OW·N elements instead of OW: the backward of
    a 4×4 image's convolution 0.4×. Without a fold the two transpositions it costs
    are not worth it (8×8 images: 1.9× slower)."""

    def __init__(self, shape, kernel_size, stride, dilation, padding, backend, folded: bool):
        self.xp, self.contiguous = backend.xp, backend.contiguous
        self.batch, _, height, width = shape
        top, bottom, left, right = padding
        self.kernel_size, self.stride, self.dilation = kernel_size, stride, dilation
        self.padded_size = (height + top + bottom, width + left + right)
        self.counts = windows_per_axis(self.padded_size, kernel_size, stride, dilation)  # (OH, OW)
        self.image = (slice(top, top + height), slice(left, left + width))
        self.batch_last = folded and self.counts[1] < SHORT_ROW
        self.layout = (1, 2, 3, 0) if self.batch_last else (1, 0, 2, 3)  # the axes of (N, C, H, W), in order

    def arrange(self, images):
        """(N, C, H, W) images -> the layout, contiguous."""
        return self.contiguous(images.transpose(self.layout))

    def restore(self, arranged):
        """The layout -> (N, C, H, W) images, contiguous."""
        return self.contiguous(self.images(arranged))

    def images(self, arranged):
        """The layout -> (N, C, H, W) images, as a view."""
        return arranged.transpose([self.layout.index(axis) for axis in range(4)])

    def shape(self, channels: int, size: tuple) -> tuple:
        """The layout's shape of (N, ``channels``, *``size``) images."""
        return tuple((self.batch, channels, *size)[axis] for axis in self.layout)

    def pixels(self, rows, cols) -> tuple:
        """The index of ``rows`` and ``cols`` of every image in the layout."""
        return (slice(None), rows, cols) if self.batch_last else (slice(None), slice(None), rows, cols)

    def columns(self, images, groups: int):
        """(N, C, H, W) images -> the columns of all windows, (g, C/g·kh·kw, N·OH·OW), (c, i, j)
        down a column, the windows of the whole batch along a row."""
        channels = images.shape[1]
        padded = self.xp.zeros(self.shape(channels, self.padded_size), dtype=images.dtype)
        padded[self.pixels(*self.image)] = images.transpose(self.layout)
        window_shape = self.shape(channels, self.counts)[1:]  # (N, OH, OW) or (OH, OW, N)
        columns = self.xp.empty((channels, *self.kernel_size, *window_shape), dtype=images.dtype)
        for i, j, (rows, cols) in offsets(self.kernel_size, self.stride, self.dilation, self.counts):
            columns[:, i, j] = padded[self.pixels(rows, cols)]
        return columns.reshape(groups, -1, self.batch * self.counts[0] * self.counts[1])

    def input_gradient(self, kernels, dy, channels: int):
        """dx = fold(Wᵀ dY) of (g, O/g, C/g·kh·kw) ``kernels`` and (g, O/g, N·OH·OW) ``dy``.

        At stride 1, output pixel (y, x) of window offset (i, j) lands on padded pixel
        (y + i·dh, x + j·dw): the flat padded images shifted by i·dh·Wp + j·dw. So dY
        is first widened to the padded size with zeros, and each offset's columns are
        added back as one shifted run over the flat images; the zeros land outside
        the windows. Rows of N·Hp·Wp elements instead of OW: the dx of a 16×16
        convolution with 16 channels 0.6× the time (the 3×32×32 CNN step 0.93×).
        Kernels with an infinite or NaN weight are folded as columns, since 0·∞ in
        the overhang would put NaN on pixels no window of that offset covers."""
        if self.batch_last or self.stride != (1, 1) or not bool(self.xp.isfinite(kernels).all()):
            return self.fold(kernels.swapaxes(1, 2) @ dy, channels)
        (height, width), (count_h, count_w) = self.padded_size, self.counts
        groups, outputs, _ = dy.shape
        wide = self.xp.zeros((groups, outputs, self.batch, height, width), dtype=dy.dtype)
        wide[..., :count_h, :count_w] = dy.reshape(groups, outputs, self.batch, count_h, count_w)
        columns = (kernels.swapaxes(1, 2) @ wide.reshape(groups, outputs, -1)).reshape(channels, *self.kernel_size, -1)
        size, (kh, kw), (dh, dw) = columns.shape[-1], self.kernel_size, self.dilation
        flat = self.xp.zeros((channels, size + (kh - 1) * dh * width + (kw - 1) * dw), dtype=columns.dtype)
        for i in range(kh):
            for j in range(kw):
                start = i * dh * width + j * dw
                flat[:, start: start + size] += columns[:, i, j]
        return self.restore(flat[:, :size].reshape(channels, self.batch, height, width)[self.pixels(*self.image)])

    def fold(self, columns, channels: int):
        """The adjoint of :meth:`columns`: each column added back into its window's
        pixels, giving (N, C, H, W) images."""
        columns = columns.reshape(channels, *self.kernel_size, *self.shape(channels, self.counts)[1:])
        padded = self.xp.zeros(self.shape(channels, self.padded_size), dtype=columns.dtype)
        for i, j, (rows, cols) in offsets(self.kernel_size, self.stride, self.dilation, self.counts):
            padded[self.pixels(rows, cols)] += columns[:, i, j]
        return self.restore(padded[self.pixels(*self.image)])


class Convolution(Function):
    """(N, C, H, W) images, (O, C/g, kh, kw) kernels and an optional (O,) bias ->
    (N, O, OH, OW), in g groups: group k of the outputs sees group k of the channels only.

    Keeps the columns for dW. The bias is added to the products before they are
    laid out as images (dbias = Σ dY over the batch and the pixels), one op as in
    PyTorch. Under ``create_graph=True`` the backward is written with Unfold, matrix
    products and Fold on Tensors, so it can be differentiated again.

    The output is the products' own memory, (O, N, OH, OW), seen as (N, O, OH, OW):
    channel-major (``backend.is_channel_major``). BatchNorm, ReLU and max pooling keep
    that memory, so the gradient comes back already in the order dW and dx take it:
    two transposing copies fewer per layer (the 3×32×32 CNN step 0.95–0.97×). With the
    batch last (short rows) the output is copied into C order."""

    def forward(self, x, weight, *bias, stride, dilation, padding, groups):
        windows = self.windows = Windows(x.shape, weight.shape[2:], stride, dilation, padding, x._backend,
                                         folded=self.needs_input_grad[0])
        self.groups, self.padding = groups, padding
        columns = windows.columns(x._data, groups)
        kernels = weight._data.reshape(groups, weight.shape[0] // groups, -1)
        self.save_for_backward(x, weight, constant(columns, x))
        products = kernels @ columns  # (g, O/g, windows of the batch)
        if bias:
            products += bias[0]._data.reshape(groups, -1, 1)
        arranged = products.reshape(windows.shape(weight.shape[0], windows.counts))
        return windows.restore(arranged) if windows.batch_last else windows.images(arranged)  # channel-major

    def backward(self, grad):
        if is_grad_enabled():
            return self._differentiable_backward(grad)
        x, weight, columns = self.saved_tensors
        need_x, need_weight, *need_bias = self.needs_input_grad
        groups = self.groups
        dy = self.windows.arrange(grad._data).reshape(groups, weight.shape[0] // groups, -1)
        kernels = weight._data.reshape(groups, weight.shape[0] // groups, -1)
        # dW = dY colsᵀ, computed as (cols dYᵀ)ᵀ: OpenBLAS runs that product 0.7× the time
        # (the 3×32×32 CNN step 0.98×, A/B in one process)
        dweight = (columns._data @ dy.swapaxes(1, 2)).swapaxes(1, 2).reshape(weight.shape) if need_weight else None
        dx = self.windows.input_gradient(kernels, dy, x.shape[1]) if need_x else None  # fold(Wᵀ dY)
        dbias = [dy.sum(axis=2).reshape(-1) if need else None for need in need_bias]
        return tuple(None if d is None else constant(d, x) for d in (dx, dweight, *dbias))

    def _differentiable_backward(self, grad):
        """dW = Σ_n dY colsᵀ, dx = fold(Wᵀ dY) and dbias = Σ dY on Tensors, the columns made by Unfold."""
        x, weight, _ = self.saved_tensors
        windows, groups, (top, _, left, _) = self.windows, self.groups, self.padding
        window = {"kernel_size": windows.kernel_size, "stride": windows.stride, "dilation": windows.dilation}
        n, count = x.shape[0], windows.counts[0] * windows.counts[1]
        columns = Unfold.apply(pad_images(x, self.padding), **window).reshape(n, groups, -1, count)
        dy = grad.reshape(n, groups, -1, count)
        kernels = weight.reshape(groups, weight.shape[0] // groups, -1)
        dweight = (dy @ columns.swapaxes(-1, -2)).sum(0).reshape(weight.shape)
        padded = Fold.apply((kernels.swapaxes(-1, -2) @ dy).reshape(n, -1, count),
                            image_size=windows.padded_size, **window)
        dx = padded[:, :, top: top + x.shape[2], left: left + x.shape[3]]
        need_x, need_weight, *need_bias = self.needs_input_grad
        dbias = [grad.sum((0, 2, 3)) if need else None for need in need_bias]
        return dx if need_x else None, dweight if need_weight else None, *dbias


def conv2d(x, weight, bias, stride: tuple, padding: tuple, dilation: tuple, groups: int):
    """:class:`Convolution` of shapes already checked, ``padding`` as (top, bottom, left,
    right), ``bias`` None or of shape (O,); all of one dtype, as in PyTorch."""
    check_one_dtype("conv2d", x, weight)
    if bias is None:
        return Convolution.apply(x, weight, stride=stride, dilation=dilation, padding=padding, groups=groups)
    check_one_dtype("conv2d", x, bias)
    return Convolution.apply(x, weight, bias, stride=stride, dilation=dilation, padding=padding, groups=groups)
