"""RMSNorm: LayerNorm without the mean. Each sample is divided by the root mean square
of its trailing ``normalized_shape`` axes, then scaled by γ (no shift):

    rms = √(mean(x²) + ε),    y = γ · x / rms

Built from public Tensor ops, so the engine derives first and second derivatives.
Float16 input is computed in float32 (as LayerNorm's, and PyTorch's) and cast back
before γ; ε defaults to the machine epsilon of that compute dtype.

>>> from tinygrad_bn import Tensor
>>> y = rms_norm(Tensor([[3.0, 4.0]]), (2,), eps=0.0)  # rms = √((9 + 16) / 2) = 5 / √2
>>> [round(v, 6) for v in y[0].tolist()]
[0.848528, 1.131371]
"""

from __future__ import annotations

import numpy

from tinygrad_bn.annotations import region
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.normalization import _check_floating, _check_parameter, _check_trailing_shape, _shape
from tinygrad_bn.nn.parameter import Parameter
from tinygrad_bn.ops import ones
from tinygrad_bn.ops.statistics import in_compute_precision


def rms_norm(input, normalized_shape, weight=None, eps=None):  # noqa: A002 - PyTorch's argument name
    """y = γ · x / √(mean(x²) + ε), the mean over the trailing axes of ``input`` that make
    up ``normalized_shape`` (an int or a tuple of ints); ``weight`` γ has
    ``normalized_shape``; ``eps`` None is the machine epsilon of the compute dtype.

    >>> from tinygrad_bn import Tensor
    >>> rms_norm(Tensor([[1.0, -1.0]]), 2, weight=Tensor([2.0, 3.0]), eps=0.0).tolist()
    [[2.0, -3.0]]
    """
    normalized_shape = _shape(normalized_shape, "rms_norm")
    _check_floating(input, "rms_norm")
    _check_trailing_shape(input, normalized_shape, f"rms_norm with normalized_shape {normalized_shape}")
    _check_parameter("rms_norm", "weight", weight, normalized_shape)
    axes = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    with region("rms_norm"):
        x = in_compute_precision(input)
        if eps is None:
            eps = float(numpy.finfo(x.dtype).eps)
        # y = x / √(mean(x²) + ε)
        inv_rms = ((x * x).mean(axes, keepdim=True) + eps).rsqrt()
        y = (x * inv_rms).astype(input.dtype)
        return y if weight is None else y * weight


class RMSNorm(Module):
    """:func:`rms_norm` over the trailing ``normalized_shape`` axes; γ (ones) of that
    shape with ``elementwise_affine``.

    >>> from tinygrad_bn import randn
    >>> norm = RMSNorm([2, 3])
    >>> norm
    RMSNorm((2, 3), eps=None, elementwise_affine=True)
    >>> norm(randn(4, 2, 3)).shape, list(norm.state_dict())
    ((4, 2, 3), ['weight'])
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        shape = _shape(normalized_shape, "RMSNorm")
        weight = Parameter(ones(*shape, dtype=dtype, device=device)) if elementwise_affine else None
        self.register_parameter("weight", weight)
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine

    def reset_parameters(self):
        """γ = 1, as when built."""
        if self.weight is not None:
            self.weight._data[...] = 1

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        _check_trailing_shape(input, self.normalized_shape, f"RMSNorm({self.normalized_shape})")
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
