"""Folding an eval-mode BatchNorm into the convolution or linear layer before it.

In eval mode BatchNorm is an affine map per channel c, so it can be absorbed into
the layer that feeds it (docs/fold-and-freeze.md):

    s = γ / √(running_var + ε)
    W' = s·W         (each output channel's row of W scaled by its s)
    b' = s·(b − running_mean) + β

and BN(W x + b) = W' x + b'. A layer without bias has b = 0. The functions and their
signatures are PyTorch's (``torch.nn.utils.fuse_conv_bn_eval`` and friends); like
PyTorch's they refuse modules in training mode, where BatchNorm uses the batch's
statistics and no fixed affine map exists.
"""

from __future__ import annotations

import copy
from typing import NamedTuple

from tinygrad_bn.autograd import Tensor, no_grad
from tinygrad_bn.nn.batchnorm import _BatchNorm
from tinygrad_bn.nn.container import Sequential
from tinygrad_bn.nn.layers import Identity, Linear, _ConvNd
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import Parameter


def _fold(weight, bias, running_mean, running_var, eps, gamma, beta, scale_shape) -> tuple:
    """W' = s·W and b' = s·(b − running_mean) + β, with s = γ/√(running_var + ε)
    reshaped to ``scale_shape`` against W; each result keeps the dtype of W and b."""
    weight_dtype = weight.dtype
    bias_dtype = bias.dtype if bias is not None else weight_dtype
    bias_requires_grad = bias is not None and bias.requires_grad
    with no_grad():
        bias = bias if bias is not None else running_mean * 0
        gamma = gamma if gamma is not None else running_var * 0 + 1
        # s = γ / √(σ² + ε)
        s = gamma * (running_var + eps) ** -0.5
        folded_weight = (weight * s.reshape(scale_shape)).astype(weight_dtype)
        folded_bias = (bias - running_mean) * s
        if beta is not None:
            folded_bias = folded_bias + beta
        folded_bias = folded_bias.astype(bias_dtype)
    # as in PyTorch, a bias made up from zeros (the layer had none) does not require grad
    return Parameter(folded_weight, weight.requires_grad), Parameter(folded_bias, bias_requires_grad)


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False) -> tuple:
    """The folded (weight, bias) Parameters of a convolution followed by an eval-mode
    BatchNorm; ``conv_b``, ``bn_w`` and ``bn_b`` may be None. The output channels are
    the weight's first axis, or its second with ``transpose`` (a transposed convolution).

    >>> from tinygrad_bn import ones, zeros
    >>> w, b = fuse_conv_bn_weights(ones(2, 1, 1, 1), None, ones(2), 4 * ones(2), 0.0, ones(2), zeros(2))
    >>> w.reshape(-1).tolist(), b.tolist()
    ([0.5, 0.5], [-0.5, -0.5])
    """
    rest = [1] * (conv_w.ndim - 2)
    scale_shape = (1, -1, *rest) if transpose else (-1, 1, *rest)
    return _fold(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, scale_shape)


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b) -> tuple:
    """The folded (weight, bias) Parameters of a Linear layer followed by an eval-mode
    BatchNorm1d; ``linear_b``, ``bn_w`` and ``bn_b`` may be None.

    >>> from tinygrad_bn import ones, zeros
    >>> w, b = fuse_linear_bn_weights(ones(1, 2), ones(1), zeros(1), ones(1), 0.0, 3 * ones(1), ones(1))
    >>> w.tolist(), b.tolist()
    ([[3.0, 3.0]], [4.0])
    """
    return _fold(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, (-1, 1))


def _check_foldable(caller: str, layer: Module, bn: Module, layer_name: str, outputs: int):
    if not isinstance(bn, _BatchNorm):
        raise TypeError(f"{caller} folds a BatchNorm module, got {type(bn).__name__}")
    training = [name for name, module in ((layer_name, layer), ("bn", bn)) if module.training]
    if training:
        raise AssertionError(
            f"{caller}: fusion only for eval mode (BatchNorm's batch statistics change with every batch, so only "
            f"the running statistics fold); {' and '.join(training)} in training mode: call .eval() first"
        )
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError(
            f"{caller}: bn.running_mean and bn.running_var must not be None; {bn!r} was built with "
            "track_running_stats=False, so it normalizes with batch statistics even in eval mode"
        )
    if outputs != bn.num_features and not (isinstance(layer, Linear) and bn.num_features == 1):
        raise AssertionError(
            f"{caller}: the layer's {outputs} output channels must match bn.num_features, "
            f"got {layer!r} followed by {bn!r}"
        )


def fuse_conv_bn_eval(conv: _ConvNd, bn: _BatchNorm, transpose: bool = False) -> _ConvNd:
    """A new convolution computing ``bn(conv(x))`` of the eval-mode ``conv`` and ``bn``.

    >>> from tinygrad_bn import nn, randn
    >>> conv, bn = nn.Conv2d(3, 4, 3).eval(), nn.BatchNorm2d(4).eval()
    >>> x = randn(2, 3, 5, 5)
    >>> bool(((fuse_conv_bn_eval(conv, bn)(x) - bn(conv(x))).abs().max() < 1e-5).item())
    True
    """
    _check_foldable("fuse_conv_bn_eval", conv, bn, "conv", conv.out_channels)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias, transpose
    )
    return fused


def fuse_linear_bn_eval(linear: Linear, bn: _BatchNorm) -> Linear:
    """A new Linear layer computing ``bn(linear(x))`` of the eval-mode ``linear`` and ``bn``.

    >>> from tinygrad_bn import nn, randn
    >>> linear, bn = nn.Linear(3, 4).eval(), nn.BatchNorm1d(4).eval()
    >>> x = randn(5, 3)
    >>> bool(((fuse_linear_bn_eval(linear, bn)(x) - bn(linear(x))).abs().max() < 1e-5).item())
    True
    """
    _check_foldable("fuse_linear_bn_eval", linear, bn, "linear", linear.out_features)
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
    )
    return fused


def fold_batch_norm(model: Module, inplace: bool = False) -> Module:
    """Fold every BatchNorm that directly follows a convolution or Linear layer in a
    Sequential, at any depth of ``model``: the layer becomes the fused layer and the
    BatchNorm an ``Identity`` (its state-dict keys go). The model must be in eval mode.

    Only a Sequential says which module runs after which, so pairs elsewhere (two
    attributes of a custom module) are left as they are. Returns the folded model, a
    copy unless ``inplace``.

    >>> from tinygrad_bn import nn
    >>> model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.BatchNorm1d(4), nn.ReLU()).eval()
    >>> fold_batch_norm(model)
    Sequential(
      (0): Linear(in_features=3, out_features=4, bias=True)
      (1): Identity()
      (2): ReLU()
    )
    """
    training = [name or type(model).__name__ for name, module in model.named_modules() if module.training]
    if training:
        raise AssertionError(
            f"fold_batch_norm: fusion only for eval mode; {', '.join(training)} in training mode: "
            "call model.eval() first"
        )
    model = model if inplace else copy.deepcopy(model)
    for sequential in [module for module in model.modules() if isinstance(module, Sequential)]:
        names = list(sequential._modules)
        for before, after in zip(names, names[1:]):
            layer, bn = sequential._modules[before], sequential._modules[after]
            if not isinstance(bn, _BatchNorm):
                continue
            if isinstance(layer, _ConvNd):
                sequential.add_module(before, fuse_conv_bn_eval(layer, bn))
            elif isinstance(layer, Linear):
                sequential.add_module(before, fuse_linear_bn_eval(layer, bn))
            else:
                continue
            sequential.add_module(after, Identity())
    return model


class FoldError(NamedTuple):
    """How far a folded model's outputs are from the unfolded model's: the largest
    absolute difference, and that divided by the largest absolute unfolded output."""

    max_abs: float
    max_rel: float


def fold_error(model: Module, x, dtypes=("float32", "float64")) -> dict:
    """The error budget of folding: for each dtype, :class:`FoldError` between
    ``model`` (eval mode) and its folded copy on input ``x``, both cast to that dtype.

    >>> from tinygrad_bn import nn, randn
    >>> model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).eval()
    >>> budget = fold_error(model, randn(2, 3, 6, 6))
    >>> budget["float32"].max_rel < 1e-5, budget["float64"].max_rel < 1e-12
    (True, True)
    """
    budget = {}
    for dtype in dtypes:
        unfolded = copy.deepcopy(model).to(dtype=dtype)
        folded = fold_batch_norm(unfolded)
        inputs = Tensor(x, dtype=dtype)
        with no_grad():
            expected = unfolded(inputs).numpy().astype("float64")
            got = folded(inputs).numpy().astype("float64")
        max_abs = float(abs(got - expected).max())
        budget[dtype] = FoldError(max_abs, max_abs / max(float(abs(expected).max()), 1e-300))
    return budget
