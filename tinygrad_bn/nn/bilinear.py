"""The bilinear form of two inputs, as PyTorch's ``F.bilinear`` and ``nn.Bilinear``:

  y_o = x₁ᵀ A_o x₂ + b_o = Σ_ij x₁[i] · A[o, i, j] · x₂[j] + b[o],

one (in1_features × in2_features) matrix A_o per output feature. It is one
``einsum`` over the flattened batch, so the engine derives every gradient.

>>> from tinygrad_bn import tensor
>>> weight = tensor([[[1.0, 0.0], [0.0, 2.0]]])  # one output, A = diag(1, 2)
>>> bilinear(tensor([[1.0, 1.0]]), tensor([[3.0, 4.0]]), weight, tensor([0.5])).tolist()
[[11.5]]
"""

from __future__ import annotations

import math

from tinygrad_bn import ops
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn import init
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import positive_int, zero_parameter


def _check(input1, input2, weight, bias):
    """Refuse inputs (*, in1) and (*, in2) with different batch axes, or a weight
    (out, in1, in2) and bias (out,) that do not fit them."""
    if input1.ndim != input2.ndim or input1.shape[:-1] != input2.shape[:-1] or input1.ndim == 0:
        raise ShapeError(f"bilinear expects input1 (*, in1_features) and input2 (*, in2_features) with the same "
                         f"batch axes *, got shapes {input1.shape} and {input2.shape}")
    if weight.ndim != 3 or weight.shape[1:] != (input1.shape[-1], input2.shape[-1]):
        raise ShapeError(f"bilinear with inputs of {input1.shape[-1]} and {input2.shape[-1]} features expects a "
                         f"weight of shape (out_features, {input1.shape[-1]}, {input2.shape[-1]}), "
                         f"got {weight.shape}")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ShapeError(f"bilinear expects a bias of shape ({weight.shape[0]},), one per output feature, "
                         f"got {bias.shape}")


def bilinear(input1, input2, weight, bias=None):
    """y = x₁ᵀ A x₂ + b for each row: inputs (*, in1) and (*, in2), ``weight`` A of shape
    (out, in1, in2), ``bias`` b of shape (out,); the result is (*, out).

    >>> from tinygrad_bn import ones
    >>> bilinear(ones(2, 5, 3), ones(2, 5, 4), ones(6, 3, 4)).shape
    (2, 5, 6)
    """
    _check(input1, input2, weight, bias)
    batch = input1.shape[:-1]
    rows1, rows2 = input1.reshape(-1, input1.shape[-1]), input2.reshape(-1, input2.shape[-1])
    output = ops.einsum("bi,oij,bj->bo", rows1, weight, rows2)  # Σ_ij x₁[b, i]·A[o, i, j]·x₂[b, j]
    if bias is not None:
        output = output + bias
    return output.reshape(*batch, weight.shape[0])


class Bilinear(Module):
    """:func:`bilinear` with a learned ``weight`` (out_features, in1_features, in2_features)
    and ``bias`` (out_features,), both drawn from U(−1/√in1_features, 1/√in1_features),
    as in PyTorch.

    >>> from tinygrad_bn import ones
    >>> layer = Bilinear(3, 4, 2)
    >>> layer, layer.weight.shape, layer(ones(5, 3), ones(5, 4)).shape
    (Bilinear(in1_features=3, in2_features=4, out_features=2, bias=True), (2, 3, 4), (5, 2))
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        self.in1_features = positive_int(in1_features, "in1_features")
        self.in2_features = positive_int(in2_features, "in2_features")
        self.out_features = positive_int(out_features, "out_features")
        self.weight = zero_parameter((out_features, in1_features, in2_features), device, dtype)
        self.register_parameter("bias", zero_parameter((out_features,), device, dtype) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
