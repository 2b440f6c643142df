"""tinygrad_bn: a small reverse-mode autodiff framework over NumPy and CuPy in which
Batch Normalization is a first-class op, written twice (composite and fused).

It answers to PyTorch's names, so a script ported from PyTorch changes only its
imports (``import tinygrad_bn as torch``; see docs/porting.md). The sub-packages
``nn``, ``optim``, ``distributions``, ``utils``, ``data``, ``check`` and ``jit`` load on first use.

>>> import tinygrad_bn as torch
>>> model = torch.nn.Linear(3, 2)
>>> model(torch.ones(4, 3)).dtype == torch.float32, torch.optim.SGD is torch.optim.sgd.SGD
(True, True)
"""

# ruff: noqa: F401 - this module re-exports PyTorch's top-level names

import importlib
import math
import types

from tinygrad_bn import amp, autograd, batchnorm, compiler, cpu, cuda, ops, random
from tinygrad_bn.amp import autocast, is_autocast_enabled
from tinygrad_bn.autograd import (
    Function,
    Tensor,
    enable_grad,
    grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from tinygrad_bn.autograd.tensor import Shape as Size  # PyTorch's torch.Size
from tinygrad_bn.compiler import compile  # noqa: A004 - PyTorch's name
from tinygrad_bn.device import device
from tinygrad_bn.dtypes import (
    bfloat16,
    double,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from tinygrad_bn.dtypes import (
    bool_ as bool,  # noqa: A004 - PyTorch's name
)
from tinygrad_bn.dtypes import (
    float32 as float,  # noqa: A004 - PyTorch's name
)
from tinygrad_bn.dtypes import (
    int32 as int,  # noqa: A004 - PyTorch's name
)
from tinygrad_bn.generator import Generator, default_generator, get_rng_state, initial_seed, seed, set_rng_state
from tinygrad_bn.ops import (
    LEGACY_TYPES,
    abs,  # noqa: A004 - PyTorch's name
    acos,
    acosh,
    addcdiv,
    addcmul,
    addr,
    all,  # noqa: A004 - PyTorch's name
    allclose,
    amax,
    amin,
    any,  # noqa: A004 - PyTorch's name
    arange,
    argmax,
    argmin,
    as_tensor,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bernoulli,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    bmm,
    cat,
    ceil,
    chunk,
    clamp,
    clamp_max,
    clamp_min,
    concatenate,
    copysign,
    cos,
    cosh,
    cumsum,
    deg2rad,
    digamma,
    dot,
    einsum,
    empty,
    equal,
    erf,
    erfinv,
    exp,
    expm1,
    eye,
    fill,
    flatten,
    flip,
    floor,
    floor_divide,
    fmod,
    frac,
    frexp,
    from_numpy,
    full,
    full_like,
    gather,
    gcd,
    ger,
    heaviside,
    hypot,
    index_select,
    isclose,
    isneginf,
    isposinf,
    isreal,
    lcm,
    ldexp,
    lerp,
    lgamma,
    linspace,
    log,
    log1p,
    log2,
    log10,
    log_softmax,
    logaddexp,
    logaddexp2,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logit,
    logsumexp,
    manual_seed,
    matmul,
    max,  # noqa: A004 - PyTorch's name
    maximum,
    mean,
    min,  # noqa: A004 - PyTorch's name
    minimum,
    mm,
    msort,
    multinomial,
    nan_to_num,
    neg,
    nextafter,
    nonzero,
    norm,
    normal,
    ones,
    ones_like,
    permute,
    poisson,
    polygamma,
    positive,
    pow,  # noqa: A004 - PyTorch's name
    prod,
    rad2deg,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    relu,
    remainder,
    renorm,
    reshape,
    round,  # noqa: A004 - PyTorch's name
    sigmoid,
    sign,
    signbit,
    sin,
    sinc,
    sinh,
    softmax,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sum,  # noqa: A004 - PyTorch's name
    tan,
    tanh,
    tensor,
    topk,
    transpose,
    trunc,
    unsqueeze,
    var,
    vdot,
    where,
    xlogy,
    zeros,
    zeros_like,
)
from tinygrad_bn.ops.counting import bucketize, count_nonzero, histc, histogram, isin, searchsorted
from tinygrad_bn.ops.covariance import corrcoef, cov
from tinygrad_bn.ops.creation import empty_like, randint_like, tril_indices, triu_indices
from tinygrad_bn.ops.diagonals import diag, diag_embed, diagflat, diagonal, diagonal_scatter, trace
from tinygrad_bn.ops.distinct import unique, unique_consecutive
from tinygrad_bn.ops.error_functions import erfc
from tinygrad_bn.ops.extrema import aminmax, fmax, fmin
from tinygrad_bn.ops.index_sets import argwhere, combinations, unravel_index
from tinygrad_bn.ops.indexing import index_copy, index_fill, index_put, put
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
    swapdims,
    tensor_split,
    tile,
    unflatten,
    vsplit,
)
from tinygrad_bn.ops.layouts import MemoryFormat as memory_format
from tinygrad_bn.ops.layouts import channels_last, channels_last_3d, contiguous_format, preserve_format
from tinygrad_bn.ops.linalg import dist
from tinygrad_bn.ops.order import kthvalue, median, mode, nanmedian, nanquantile, quantile
from tinygrad_bn.ops.powers import exp2, float_power, logspace
from tinygrad_bn.ops.products import addbmm, addmm, addmv, baddbmm, cross, inner, kron, mv, tensordot
from tinygrad_bn.ops.rounding import sign as sgn  # PyTorch's name for complex inputs, sign for real ones
from tinygrad_bn.ops.rounding import trunc as fix  # PyTorch's alias
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
from tinygrad_bn.ops.scans import trapezoid as trapz  # PyTorch's older name
from tinygrad_bn.ops.scatter_reduce import index_reduce, scatter_reduce
from tinygrad_bn.ops.selection import (
    as_strided,
    masked_scatter,
    masked_select,
    select_scatter,
    slice_scatter,
    take,
    take_along_dim,
)
from tinygrad_bn.ops.shape import broadcast_to, swapaxes
from tinygrad_bn.ops.summaries import nanmean, nansum, std_mean, var_mean
from tinygrad_bn.ops.type_info import can_cast, finfo, iinfo, is_complex, is_floating_point, is_nonzero, result_type
from tinygrad_bn.printing import set_printoptions
from tinygrad_bn.serialization import load, save
from tinygrad_bn.settings import (
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    get_num_threads,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    set_num_threads,
    use_deterministic_algorithms,
)

__version__ = "0.1.0"

# PyTorch's constants: Python floats, and None for indexing (x[:, torch.newaxis])
pi, e, inf, nan, newaxis = math.pi, math.e, math.inf, math.nan, None

clip = clamp
concat = cat
negative, absolute = neg, abs
arcsin, arccos, arctan, arctan2, arcsinh, arccosh, arctanh = asin, acos, atan, atan2, asinh, acosh, atanh


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input) -> int:  # noqa: A002 - PyTorch's argument name
    return input.numel()


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """PyTorch's ``torch.cdist``: the p-norm distance of every row of x1 (..., P, M) to
    every row of x2 (..., R, M), as :func:`tinygrad_bn.nn.distance.cdist` (which
    loads ``nn``, so it is imported on first use)."""
    from tinygrad_bn.nn.distance import cdist as distances

    return distances(x1, x2, p, compute_mode)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """PyTorch's ``torch.cosine_similarity``: :func:`tinygrad_bn.nn.functional.cosine_similarity`
    (which loads ``nn``, so it is imported on first use).

    >>> f"{cosine_similarity(tensor([[1.0, 0.0]]), tensor([[1.0, 1.0]])).item():.4f}"
    '0.7071'
    """
    from tinygrad_bn.nn.distance import cosine_similarity as similarity

    return similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """PyTorch's ``torch.pairwise_distance``: :func:`tinygrad_bn.nn.functional.pairwise_distance`
    (which loads ``nn``, so it is imported on first use).

    >>> pairwise_distance(tensor([[0.0, 0.0]]), tensor([[3.0, 4.0]]), eps=0.0).tolist()
    [5.0]
    """
    from tinygrad_bn.nn.distance import pairwise_distance as distances

    return distances(x1, x2, p, eps, keepdim)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """PyTorch's ``torch.vmap``: :func:`tinygrad_bn.func.vmap` (a loop over the mapped axis),
    loading ``func`` on first use."""
    return importlib.import_module("tinygrad_bn.func").vmap(func, in_dims, out_dims, randomness,
                                                            chunk_size=chunk_size)


def pdist(input, p=2.0):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``torch.pdist``: the p-norm distances of the rows i < j of an (N, M)
    tensor, as :func:`tinygrad_bn.nn.pdist.pdist` (which loads ``nn``, so it is
    imported on first use)."""
    from tinygrad_bn.nn.pdist import pdist as distances

    return distances(input, p)


def pixel_shuffle(input, upscale_factor):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``torch.pixel_shuffle``: (*, C·r², H, W) → (*, C, H·r, W·r), as
    :func:`tinygrad_bn.nn.pixel_shuffle.pixel_shuffle` (imported on first use)."""
    from tinygrad_bn.nn.pixel_shuffle import pixel_shuffle as shuffle

    return shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``torch.pixel_unshuffle``: (*, C, H·r, W·r) → (*, C·r², H, W), as
    :func:`tinygrad_bn.nn.pixel_shuffle.pixel_unshuffle` (imported on first use)."""
    from tinygrad_bn.nn.pixel_shuffle import pixel_unshuffle as unshuffle

    return unshuffle(input, downscale_factor)


def _method_as_function(name: str):
    def function(input, *args, **kwargs):  # noqa: A002 - PyTorch's argument name
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"PyTorch's ``torch.{name}(x, ...)``: ``x.{name}(...)``."
    return function


# PyTorch's functions that are the Tensor methods of the same name (torch.add(x, y, alpha=2) is x.add(y, alpha=2))
for _name in ("add", "sub", "mul", "div", "true_divide", "clone", "eq", "ne", "gt", "ge", "lt", "le", "t",
              "masked_fill", "isnan", "isinf", "isfinite", "tril", "triu", "argsort", "unbind", "roll", "reciprocal",
              "rsqrt", "outer", "scatter", "scatter_add", "index_add", "bincount", "is_inference"):
    globals()[_name] = _method_as_function(_name)


def _linalg_function(name: str, linalg_name: str):
    """PyTorch's ``torch.<name>`` (and Tensor method) that is ``torch.linalg.<linalg_name>``,
    loading ``linalg`` on its first call."""

    def function(*args, **kwargs):
        return getattr(importlib.import_module("tinygrad_bn.linalg"), linalg_name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"PyTorch's ``torch.{name}``: :func:`tinygrad_bn.linalg.{linalg_name}`."
    return function


for _name, _linalg_name in {"det": "det", "logdet": "logdet", "slogdet": "slogdet", "inverse": "inv",
                            "matrix_power": "matrix_power", "matrix_exp": "matrix_exp",
                            "cholesky_solve": "cholesky_solve", "orgqr": "householder_product"}.items():
    globals()[_name] = _linalg_function(_name, _linalg_name)
    setattr(Tensor, _name, globals()[_name])


def geqrf(input):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``torch.geqrf``: :func:`tinygrad_bn.linalg.householder.geqrf`."""
    return importlib.import_module("tinygrad_bn.linalg.householder").geqrf(input)


Tensor.geqrf = geqrf

globals().update(LEGACY_TYPES)  # torch.FloatTensor, torch.LongTensor, ... (see ops.conversion)

# The switches seeding boilerplate sets (torch.backends.cudnn.deterministic = True): there is no
# cuDNN here, and every op is deterministic already, so nothing reads them
backends = types.SimpleNamespace(cudnn=types.SimpleNamespace(deterministic=False, benchmark=False, enabled=True))

_SUBPACKAGES = ("nn", "optim", "utils", "data", "check", "viz", "linalg", "distributions", "func", "jit")


def __getattr__(name):
    """Load the sub-packages on first use, so ``import tinygrad_bn`` stays quick."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"tinygrad_bn.{name}")
    raise AttributeError(f"module 'tinygrad_bn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBPACKAGES))


from tinygrad_bn import special  # noqa: E402 - PyTorch's torch.special, loaded with the package: it is ops only

mvlgamma = special.multigammaln  # PyTorch's torch.mvlgamma
igamma, igammac = special.gammainc, special.gammaincc  # PyTorch's torch.igamma, torch.igammac


def _legacy_linalg_function(name: str):
    """PyTorch's older top-level decomposition ``torch.<name>``, loading ``linalg`` on its first call."""

    def function(*args, **kwargs):
        return getattr(importlib.import_module("tinygrad_bn.linalg.legacy"), name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"PyTorch's ``torch.{name}``: :func:`tinygrad_bn.linalg.legacy.{name}`."
    return function


svd, qr, cholesky, chain_matmul, lu_unpack, pinverse, cholesky_inverse, vander, triangular_solve = (
    _legacy_linalg_function(_name)
    for _name in ("svd", "qr", "cholesky", "chain_matmul", "lu_unpack", "pinverse", "cholesky_inverse", "vander",
                  "triangular_solve"))
Tensor.pinverse, Tensor.cholesky_inverse = pinverse, cholesky_inverse


def dropout(input, p, train):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``torch.dropout(input, p, train)``: :func:`tinygrad_bn.nn.functional.dropout`
    with ``training=train`` (which loads ``nn``, so it is imported on first use)."""
    from tinygrad_bn.nn.dropout import dropout as drop

    return drop(input, p, train)


def alpha_dropout(input, p, train):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``torch.alpha_dropout(input, p, train)``: :func:`tinygrad_bn.nn.functional.alpha_dropout`
    with ``training=train`` (which loads ``nn``, so it is imported on first use)."""
    from tinygrad_bn.nn.alpha_dropout import alpha_dropout as drop

    return drop(input, p, train)


def _channel_keep_mask(input, p, train):  # noqa: A002 - PyTorch's argument name
    """1/(1 − p) or 0 for each channel of (N, C, ...) input (1 in eval), shaped (N, C, 1, ...),
    drawn by :func:`tinygrad_bn.nn.functional.dropout` (which loads ``nn`` on first use)."""
    from tinygrad_bn.errors import ShapeError
    from tinygrad_bn.nn.dropout import dropout as drop

    if input.ndim < 2:
        raise ShapeError(f"Feature dropout requires at least 2 dimensions in the input, got shape {input.shape}")
    channels = (*input.shape[:2], *(1,) * (input.ndim - 2))
    return drop(ones(channels, dtype=input.dtype, device=input.device), p, train)


def feature_dropout(input, p, train):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``torch.feature_dropout(input, p, train)``: in training, each channel of
    (N, C, ...) input zeroed whole with probability p and the rest scaled by 1/(1 − p)."""
    return input * _channel_keep_mask(input, p, train)


def feature_alpha_dropout(input, p, train):  # noqa: A002 - PyTorch's argument name
    """PyTorch's ``torch.feature_alpha_dropout(input, p, train)``: alpha dropout (see
    :func:`tinygrad_bn.nn.functional.alpha_dropout`) of whole channels of (N, C, ...) input."""
    from tinygrad_bn.nn.alpha_dropout import SATURATION

    kept = _channel_keep_mask(input, p, train) * (1.0 - p)  # m ∈ {0, 1}
    if not train or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    # y = a·(x·m + α′·(1 − m)) + b,  a = 1/√(q(1 + p·α′²)),  b = −a·α′·p,  q = 1 − p
    a = ((1.0 - p) * (1.0 + p * SATURATION**2)) ** -0.5
    b = -a * SATURATION * p
    return (input * kept + SATURATION * (1.0 - kept)) * a + b
