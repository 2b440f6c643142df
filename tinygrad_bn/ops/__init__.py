"""Primitive operations, and the Tensor methods and operators that call them.

Every op is a :class:`~tinygrad_bn.autograd.Function`; the functions here lift
Python numbers, check shapes and apply them. Importing this package installs the
methods (``x + y``, ``x.sum()``, ``x[i]`` ...) on :class:`Tensor`.
"""

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.dtypes import number_dtype
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.generator import manual_seed
from tinygrad_bn.ops.composite import (
    addcdiv,
    addcmul,
    clamp_max,
    clamp_min,
    copysign,
    deg2rad,
    lerp,
    logaddexp,
    logaddexp2,
    logit,
    nan_to_num,
    rad2deg,
    signbit,
    xlogy,
)
from tinygrad_bn.ops.conversion import (
    CASTS,
    LEGACY_TYPES,
    astype,
    contiguous,
    cpu,
    cuda,
    is_contiguous,
    new,
    new_full,
    new_ones,
    new_tensor,
    new_zeros,
    stride,
    to,
    type_as,
)
from tinygrad_bn.ops.conversion import type as type_
from tinygrad_bn.ops.counting import bucketize, count_nonzero, histc, histogram, isin, searchsorted
from tinygrad_bn.ops.covariance import corrcoef, cov
from tinygrad_bn.ops.creation import (
    arange,
    as_tensor,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    generator,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    tril_indices,
    triu_indices,
    zeros,
    zeros_like,
)
from tinygrad_bn.ops.diagonals import diag, diag_embed, diagflat, diagonal, diagonal_scatter, trace
from tinygrad_bn.ops.distinct import unique, unique_consecutive
from tinygrad_bn.ops.einsum import einsum
from tinygrad_bn.ops.elementwise import (
    add,
    allclose,
    bitwise,
    bitwise_not,
    clamp,
    compare,
    div,
    equal,
    fill,
    gcd,
    heaviside,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    isreal,
    lcm,
    logical,
    logical_not,
    masked_fill,
    maximum,
    minimum,
    mul,
    nextafter,
    positive,
    pow,  # noqa: A004 - the op's name
    scaled,
    shift,
    sub,
    tril,
    triu,
    where,
)
from tinygrad_bn.ops.error_functions import erfc
from tinygrad_bn.ops.extrema import aminmax, fmax, fmin
from tinygrad_bn.ops.incomplete_gamma import gammainc, gammaincc
from tinygrad_bn.ops.index_sets import argwhere, combinations, unravel_index
from tinygrad_bn.ops.indexing import (
    argsort,
    bincount,
    gather,
    index_add,
    index_copy,
    index_fill,
    index_put,
    index_select,
    msort,
    nonzero,
    put,
    scatter,
    scatter_add,
    sort,
    topk,
)
from tinygrad_bn.ops.inplace import METHODS as _IN_PLACE_METHODS
from tinygrad_bn.ops.joins import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block_diag,
    broadcast_shapes,
    broadcast_tensors,
    cartesian_prod,
    column_stack,
    dstack,
    hstack,
    meshgrid,
    row_stack,
    vstack,
)
from tinygrad_bn.ops.layout import (
    dsplit,
    fliplr,
    flipud,
    hsplit,
    moveaxis,
    movedim,
    narrow,
    narrow_copy,
    ravel,
    repeat_interleave,
    rot90,
    select,
    sliding_windows,
    swapdims,
    tensor_split,
    tile,
    unflatten,
    vsplit,
)
from tinygrad_bn.ops.linalg import bmm, dist, dot, matmul, mm, norm, renorm, vdot
from tinygrad_bn.ops.order import kthvalue, median, mode, nanmedian, nanquantile, quantile
from tinygrad_bn.ops.pieces import chunk, cumsum, flip, repeat, roll, split, unbind
from tinygrad_bn.ops.powers import exp2, float_power, frexp, ldexp, logspace
from tinygrad_bn.ops.products import addbmm, addmm, addmv, addr, baddbmm, cross, inner, kron, mv, tensordot
from tinygrad_bn.ops.random_fills import METHODS as _RANDOM_FILL_METHODS
from tinygrad_bn.ops.reduce import (
    all,  # noqa: A004 - the op's name
    amax,
    amin,
    any,  # noqa: A004 - the op's name
    argmax,
    argmin,
    max,  # noqa: A004 - the op's name
    mean,
    min,  # noqa: A004 - the op's name
    prod,
    sum,  # noqa: A004 - the op's name
)
from tinygrad_bn.ops.rounding import ceil, floor, floor_divide, fmod, frac, remainder, round, sign, trunc  # noqa: A004
from tinygrad_bn.ops.sampling import bernoulli, multinomial, normal, poisson
from tinygrad_bn.ops.scans import (
    cummax,
    cummin,
    cumprod,
    cumulative_trapezoid,
    diff,
    gradient,
    logcumsumexp,
    trapezoid,
)
from tinygrad_bn.ops.scatter_reduce import index_reduce, scatter_reduce
from tinygrad_bn.ops.selection import (
    as_strided,
    masked_scatter,
    masked_scatter_,
    masked_select,
    select_scatter,
    slice_scatter,
    take,
    take_along_dim,
)
from tinygrad_bn.ops.shape import (
    broadcast_to,
    cat,
    clone,
    concatenate,
    expand,
    flatten,
    getitem,
    pad,
    permute,
    reshape,
    squeeze,
    stack,
    sum_to,
    swapaxes,
    t,
    transpose,
    unsqueeze,
)
from tinygrad_bn.ops.special import digamma, erfinv, lgamma, multigammaln, polygamma
from tinygrad_bn.ops.statistics import log_softmax, logsumexp, softmax, std, var
from tinygrad_bn.ops.summaries import nanmean, nansum, std_mean, var_mean
from tinygrad_bn.ops.trigonometry import acos, acosh, asin, asinh, atan, atan2, atanh, cosh, hypot, sinc, sinh, tan
from tinygrad_bn.ops.type_info import element_size, is_complex, is_floating_point, is_nonzero
from tinygrad_bn.ops.unary import (
    abs,  # noqa: A004 - the op's name
    cos,
    erf,
    exp,
    expm1,
    log,
    log1p,
    log2,
    log10,
    neg,
    relu,
    sigmoid,
    sin,
    sqrt,
    square,
    tanh,
)

__all__ = [
    "abs", "add", "all", "allclose", "amax", "amin", "any", "arange", "argmax", "as_tensor", "empty",
    "argmin", "astype", "broadcast_to",
    "cat", "clamp", "clone", "concatenate", "cos", "div", "equal", "erf", "exp", "expand", "eye", "flatten",
    "from_numpy", "full", "full_like", "generator", "getitem", "isclose", "linspace", "log", "log1p", "log_softmax",
    "logsumexp", "manual_seed", "masked_fill", "matmul", "max", "maximum", "mean", "min", "minimum", "mm", "mul",
    "neg", "norm", "ones", "ones_like", "pad", "permute", "pow", "prod", "rand", "rand_like", "randint", "randn",
    "randn_like", "randperm", "relu", "reshape", "sigmoid", "sin", "softmax", "sqrt", "square", "squeeze", "stack",
    "std", "sub", "sum", "sum_to", "swapaxes", "t", "tanh", "tensor", "to", "transpose", "unsqueeze", "var", "where",
    "zeros", "zeros_like",
    "bmm", "ceil", "chunk", "einsum", "cumsum", "dot", "flip", "floor", "floor_divide", "gather", "index_select",
    "nonzero", "remainder", "repeat", "round", "sign", "sort", "split", "topk", "trunc",
    "bitwise_and", "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor",
    "gcd", "lcm", "logical_and", "logical_not", "logical_or",
    "logical_xor", "isnan", "isinf", "isfinite", "tril", "triu", "argsort", "unbind", "roll", "reciprocal", "rsqrt",
    "outer", "scatter", "scatter_add", "index_add", "unique", "unique_consecutive", "bincount", "LEGACY_TYPES",
    "is_complex", "is_floating_point", "is_nonzero",
    "bernoulli", "multinomial", "normal", "poisson",
    "acos", "acosh", "addcdiv", "addcmul", "asin", "asinh", "atan", "atan2", "atanh", "clamp_max", "clamp_min",
    "copysign", "cosh", "digamma", "erfinv", "expm1", "fmod", "frac", "hypot", "lerp", "lgamma", "log10", "log2",
    "logaddexp", "logaddexp2", "logit", "nan_to_num", "deg2rad", "rad2deg", "heaviside", "isposinf", "isneginf",
    "nextafter", "isreal", "positive", "erfc", "polygamma", "signbit", "sinc", "sinh", "tan", "xlogy",
    "addbmm", "addmm", "addmv", "atleast_1d", "atleast_2d", "atleast_3d", "baddbmm", "block_diag",
    "broadcast_shapes", "broadcast_tensors",
    "bucketize", "cartesian_prod", "column_stack", "corrcoef", "count_nonzero", "cov", "cross", "cummax", "cummin",
    "cumprod", "cumulative_trapezoid", "diag",
    "diag_embed", "diagflat", "diagonal", "diagonal_scatter", "diff", "dist", "dstack", "fliplr", "flipud", "histc",
    "histogram", "hstack", "index_copy",
    "index_fill", "index_put", "put", "inner", "isin", "kron", "kthvalue", "logcumsumexp", "masked_scatter",
    "masked_select", "median",
    "meshgrid", "mode",
    "moveaxis", "movedim", "mv", "nanmean", "nanmedian", "nanquantile", "nansum", "narrow", "quantile", "ravel",
    "repeat_interleave", "rot90", "row_stack", "scatter_reduce", "searchsorted", "select", "select_scatter",
    "slice_scatter", "std_mean", "index_reduce",
    "swapdims", "as_strided", "take", "take_along_dim", "tensor_split", "hsplit", "vsplit", "dsplit",
    "tensordot", "tile", "trace", "trapezoid", "tril_indices",
    "triu_indices", "unflatten", "var_mean", "vstack",
    "aminmax", "argwhere", "combinations", "unravel_index", "vdot", "ger", "msort", "addr", "ldexp", "frexp",
    "renorm", "fill", "narrow_copy", "gradient",
    "exp2", "float_power", "fmax", "fmin", "logspace",
]


def _reflected(op):
    def method(self, other):
        return op(other, self)

    method.__name__ = f"r{op.__name__}"
    return method


def _comparison(symbol):
    def method(self, other):
        if other is None:  # x == None is False, x != None True, as in PyTorch
            return NotImplemented
        return compare(symbol, self, other)

    return method


def _add(x, other, *, alpha=1):
    """PyTorch's ``add``: x + alpha·other."""
    return add(x, scaled(other, alpha, x))


def _sub(x, other, *, alpha=1):
    """PyTorch's ``sub``: x − alpha·other."""
    return sub(x, scaled(other, alpha, x))


def _div(x, other, *, rounding_mode=None):
    """PyTorch's ``div``: x / other, rounded toward −∞ (``"floor"``) or 0 (``"trunc"``) if
    asked; integers rounded stay integers."""
    if rounding_mode not in (None, "floor", "trunc"):
        raise ValueError(f"div expects rounding_mode None, 'floor' or 'trunc', got {rounding_mode!r}")
    if rounding_mode == "floor":
        return floor_divide(x, other)
    if rounding_mode is None:
        return div(x, other)
    kinds = {x.dtype.kind, other.dtype.kind if isinstance(other, Tensor) else number_dtype(other).kind}
    if kinds <= set("biu"):  # integers, exactly: the floor quotient, one up where it rounded a negative down
        quotient = floor_divide(x, other)
        return quotient + ((remainder(x, other) != 0) & (quotient < 0)).astype(quotient.dtype)
    return trunc(div(x, other))


def reciprocal(x):
    """1 / x (the default float dtype for integers, as PyTorch)."""
    return div(1, x)


def rsqrt(x):
    """1 / √x."""
    return div(1, sqrt(x))


def outer(a, b):
    """The outer product of two 1-d tensors: out[i, j] = a[i]·b[j]."""
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer expects two 1-d tensors, got shapes {a.shape} and {b.shape}")
    return mul(a.reshape(-1, 1), b.reshape(1, -1))


def ger(input, vec2):  # noqa: A002 - PyTorch's argument name
    """PyTorch's older name for :func:`outer`."""
    return outer(input, vec2)


def _named(op, symbol: str, name: str):
    """PyTorch's two-operand function ``name``: ``op(symbol, a, b)``."""
    def function(a, b):
        return op(symbol, a, b)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"PyTorch's ``{name}`` of two tensors (or a tensor and a number)."
    return function


bitwise_and, bitwise_or, bitwise_xor = (_named(bitwise, symbol, f"bitwise_{word}")
                                        for symbol, word in (("&", "and"), ("|", "or"), ("^", "xor")))
bitwise_left_shift, bitwise_right_shift = (_named(shift, symbol, f"bitwise_{word}_shift")
                                           for symbol, word in (("<<", "left"), (">>", "right")))
logical_and, logical_or, logical_xor = (_named(logical, word, f"logical_{word}") for word in ("and", "or", "xor"))


_METHODS = {
    "__add__": add, "__radd__": _reflected(add),
    "__sub__": sub, "__rsub__": _reflected(sub),
    "__mul__": mul, "__rmul__": _reflected(mul),
    "__truediv__": div, "__rtruediv__": _reflected(div),
    "__pow__": pow, "__rpow__": _reflected(pow), "pow": pow,
    "__matmul__": matmul, "__rmatmul__": _reflected(matmul),
    "__neg__": neg, "__getitem__": getitem,
    "__lt__": _comparison("<"), "__le__": _comparison("<="),
    "__gt__": _comparison(">"), "__ge__": _comparison(">="),
    "__eq__": _comparison("=="), "__ne__": _comparison("!="),
    "exp": exp, "log": log, "sqrt": sqrt, "abs": abs, "tanh": tanh, "sigmoid": sigmoid, "relu": relu,
    "log1p": log1p, "sin": sin, "cos": cos, "neg": neg, "square": square, "erf": erf,
    "clamp": clamp, "clip": clamp, "masked_fill": masked_fill,
    "sum": sum, "mean": mean, "prod": prod, "max": max, "min": min, "amax": amax, "amin": amin,
    "var": var, "std": std, "norm": norm, "equal": equal, "allclose": allclose, "isclose": isclose,
    "argmax": argmax, "argmin": argmin, "all": all, "any": any,
    "logsumexp": logsumexp, "log_softmax": log_softmax, "softmax": softmax,
    "reshape": reshape, "view": reshape, "transpose": transpose, "permute": permute, "swapaxes": swapaxes,
    "t": t, "flatten": flatten, "unsqueeze": unsqueeze, "squeeze": squeeze, "expand": expand, "clone": clone,
    "broadcast_to": broadcast_to, "sum_to": sum_to, "pad": pad,
    "astype": astype, "to": to, "type": type_, "cpu": cpu, "cuda": cuda, "contiguous": contiguous,
    "type_as": type_as, "new_zeros": new_zeros, "new_ones": new_ones, "new_full": new_full, "new_tensor": new_tensor,
    "view_as": lambda x, other: reshape(x, other.shape), "reshape_as": lambda x, other: reshape(x, other.shape),
    "expand_as": lambda x, other: expand(x, other.shape), "is_floating_point": is_floating_point,
    "is_complex": is_complex, "is_nonzero": is_nonzero, "element_size": element_size,
    "nelement": lambda x: x.numel(), "ndimension": lambda x: x.ndim, "unique_consecutive": unique_consecutive,
    "maximum": maximum, "minimum": minimum, "matmul": matmul, "mm": mm, "bmm": bmm, "dot": dot,
    "vdot": vdot, "ger": ger, "msort": msort, "addr": addr, "ldexp": ldexp, "frexp": frexp,
    "new_empty": new_zeros, "renorm": renorm, "mvlgamma": multigammaln, "igamma": gammainc, "igammac": gammaincc,
    "eq": _comparison("=="), "ne": _comparison("!="), "lt": _comparison("<"), "le": _comparison("<="),
    "gt": _comparison(">"), "ge": _comparison(">="),
    "__floordiv__": floor_divide, "__rfloordiv__": _reflected(floor_divide),
    "__mod__": remainder, "__rmod__": _reflected(remainder), "floor_divide": floor_divide, "remainder": remainder,
    "sign": sign, "floor": floor, "ceil": ceil, "round": round, "trunc": trunc,
    "gather": gather, "index_select": index_select, "nonzero": nonzero, "sort": sort, "topk": topk,
    "split": split, "chunk": chunk, "repeat": repeat, "cumsum": cumsum, "flip": flip,
    "__abs__": abs, "__invert__": bitwise_not, "__and__": bitwise_and, "__rand__": _reflected(bitwise_and),
    "__or__": bitwise_or, "__ror__": _reflected(bitwise_or),
    "__xor__": bitwise_xor, "__rxor__": _reflected(bitwise_xor),
    "bitwise_and": bitwise_and, "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not,
    "__lshift__": bitwise_left_shift, "__rlshift__": _reflected(bitwise_left_shift),
    "__rshift__": bitwise_right_shift, "__rrshift__": _reflected(bitwise_right_shift),
    "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift, "gcd": gcd, "lcm": lcm,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor, "logical_not": logical_not,
    "add": _add, "sub": _sub, "mul": mul, "div": _div, "true_divide": div, "reciprocal": reciprocal, "rsqrt": rsqrt,
    "outer": outer, "isnan": isnan, "isinf": isinf, "isfinite": isfinite, "tril": tril, "triu": triu,
    "argsort": argsort, "unbind": unbind, "roll": roll, "scatter": scatter, "scatter_add": scatter_add,
    "index_add": index_add, "unique": unique, "bincount": bincount, "is_contiguous": is_contiguous, "stride": stride,
    "multinomial": multinomial, "bernoulli": bernoulli, "new": new,
    "where": lambda x, condition, other: where(condition, x, other),
    "tan": tan, "asin": asin, "acos": acos, "atan": atan, "atan2": atan2, "sinh": sinh, "cosh": cosh,
    "asinh": asinh, "acosh": acosh, "atanh": atanh, "arcsin": asin, "arccos": acos, "arctan": atan,
    "arctan2": atan2, "arcsinh": asinh, "arccosh": acosh, "arctanh": atanh, "hypot": hypot, "sinc": sinc,
    "expm1": expm1, "log2": log2, "log10": log10, "logaddexp": logaddexp, "xlogy": xlogy, "logit": logit,
    "erfinv": erfinv, "lgamma": lgamma, "digamma": digamma, "polygamma": lambda x, n: polygamma(n, x),
    "fmod": fmod, "frac": frac, "copysign": copysign, "signbit": signbit, "nan_to_num": nan_to_num,
    "lerp": lerp, "addcmul": addcmul, "addcdiv": addcdiv, "clamp_min": clamp_min, "clamp_max": clamp_max,
    "negative": neg, "absolute": abs, "positive": positive, "sgn": sign, "fix": trunc, "rad2deg": rad2deg,
    "deg2rad": deg2rad, "logaddexp2": logaddexp2, "heaviside": heaviside, "nextafter": nextafter, "isposinf": isposinf,
    "isneginf": isneginf, "isreal": isreal, "erfc": erfc,
    "repeat_interleave": repeat_interleave, "tile": tile, "narrow": narrow, "narrow_copy": narrow_copy,
    "movedim": movedim, "moveaxis": moveaxis,
    "swapdims": swapdims, "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
    "unflatten": unflatten, "ravel": ravel, "rot90": rot90,
    "fliplr": fliplr, "flipud": flipud, "diag": diag, "diagonal": diagonal, "diag_embed": diag_embed,
    "diagflat": diagflat, "trace": trace, "as_strided": as_strided, "take": take, "take_along_dim": take_along_dim,
    "masked_select": masked_select, "masked_scatter": masked_scatter, "masked_scatter_": masked_scatter_,
    "index_fill": index_fill, "index_copy": index_copy, "index_put": index_put, "put": put,
    "select": select, "unfold": sliding_windows,
    "slice_scatter": slice_scatter, "select_scatter": select_scatter, "diagonal_scatter": diagonal_scatter,
    "scatter_reduce": scatter_reduce, "count_nonzero": count_nonzero, "cumprod": cumprod, "cummax": cummax,
    "cummin": cummin, "logcumsumexp": logcumsumexp, "diff": diff, "median": median, "nanmedian": nanmedian,
    "quantile": quantile, "nanquantile": nanquantile, "nanmean": nanmean, "nansum": nansum, "kthvalue": kthvalue,
    "mode": mode, "inner": inner, "addmm": addmm, "addmv": addmv, "baddbmm": baddbmm, "addbmm": addbmm, "mv": mv,
    "cross": cross, "dist": dist, "histc": histc, "histogram": histogram, "kron": kron, "cov": cov,
    "corrcoef": corrcoef, "index_reduce": index_reduce,
    "aminmax": aminmax, "argwhere": argwhere, "fmax": fmax, "fmin": fmin, "exp2": exp2, "float_power": float_power,
}

for _name, _method in {**_METHODS, **_IN_PLACE_METHODS, **_RANDOM_FILL_METHODS}.items():
    setattr(Tensor, _name, _method)

for _name, _method in CASTS.items():
    setattr(Tensor, _name, _method)

Tensor.mT = property(lambda self: transpose(self, -2, -1), doc="The matrices of the last two axes transposed.")
Tensor.itemsize = property(element_size, doc="The bytes of one element.")
Tensor.nbytes = property(lambda self: self.numel() * self.dtype.itemsize, doc="The bytes of all the elements.")
Tensor.mH = Tensor.mT  # the conjugate transpose: the same for real tensors, the only ones here
Tensor.T = property(lambda self: permute(self, *reversed(range(self.ndim))), doc="The tensor with its axes reversed.")
