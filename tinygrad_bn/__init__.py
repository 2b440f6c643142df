"""tinygrad_bn: a small reverse-mode autodiff framework over NumPy and CuPy in which
Batch Normalization is a first-class op, written twice (composite and fused).

It answers to PyTorch's names, so a script ported from PyTorch changes only its
imports (``import tinygrad_bn as torch``; see docs/porting.md). The sub-packages
``nn``, ``optim``, ``distributions``, ``utils``, ``data`` and ``check`` load on first use.

>>> import tinygrad_bn as torch
>>> model = torch.nn.Linear(3, 2)
>>> model(torch.ones(4, 3)).dtype == torch.float32, torch.optim.SGD is torch.optim.sgd.SGD
(True, True)
"""

# ruff: noqa: F401 - this module re-exports PyTorch's top-level names

import importlib
import types

from tinygrad_bn import autograd, batchnorm, cuda, ops
from tinygrad_bn.autograd import (
    Function,
    Tensor,
    enable_grad,
    grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from tinygrad_bn.autograd.tensor import Shape as Size  # PyTorch's torch.Size
from tinygrad_bn.device import device
from tinygrad_bn.dtypes import (
    bool_ as bool,  # noqa: A004 - PyTorch's name
)
from tinygrad_bn.dtypes import (
    double,
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
    float32 as float,  # noqa: A004 - PyTorch's name
)
from tinygrad_bn.dtypes import (
    int32 as int,  # noqa: A004 - PyTorch's name
)
from tinygrad_bn.generator import Generator, default_generator
from tinygrad_bn.ops import (
    LEGACY_TYPES,
    abs,  # noqa: A004 - PyTorch's name
    all,  # noqa: A004 - PyTorch's name
    allclose,
    amax,
    amin,
    any,  # noqa: A004 - PyTorch's name
    arange,
    argmax,
    argmin,
    as_tensor,
    bernoulli,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    bmm,
    cat,
    ceil,
    chunk,
    clamp,
    concatenate,
    cos,
    cumsum,
    dot,
    einsum,
    empty,
    equal,
    erf,
    exp,
    eye,
    flatten,
    flip,
    floor,
    floor_divide,
    from_numpy,
    full,
    full_like,
    gather,
    index_select,
    isclose,
    linspace,
    log,
    log1p,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    manual_seed,
    matmul,
    max,  # noqa: A004 - PyTorch's name
    maximum,
    mean,
    min,  # noqa: A004 - PyTorch's name
    minimum,
    mm,
    multinomial,
    neg,
    nonzero,
    norm,
    normal,
    ones,
    ones_like,
    permute,
    poisson,
    pow,  # noqa: A004 - PyTorch's name
    prod,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    relu,
    remainder,
    reshape,
    round,  # noqa: A004 - PyTorch's name
    sigmoid,
    sign,
    sin,
    softmax,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sum,  # noqa: A004 - PyTorch's name
    tanh,
    tensor,
    topk,
    transpose,
    trunc,
    unsqueeze,
    var,
    where,
    zeros,
    zeros_like,
)
from tinygrad_bn.serialization import load, save

__version__ = "0.1.0"

clip = clamp
concat = cat


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input) -> int:  # noqa: A002 - PyTorch's argument name
    return input.numel()


def _method_as_function(name: str):
    def function(input, *args, **kwargs):  # noqa: A002 - PyTorch's argument name
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"PyTorch's ``torch.{name}(x, ...)``: ``x.{name}(...)``."
    return function


# PyTorch's functions that are the Tensor methods of the same name (torch.add(x, y, alpha=2) is x.add(y, alpha=2))
for _name in ("add", "sub", "mul", "div", "true_divide", "clone", "eq", "ne", "gt", "ge", "lt", "le", "t",
              "masked_fill", "isnan", "isinf", "isfinite", "tril", "triu", "argsort", "unbind", "roll", "reciprocal",
              "rsqrt", "outer", "scatter", "scatter_add", "index_add", "unique", "bincount"):
    globals()[_name] = _method_as_function(_name)

globals().update(LEGACY_TYPES)  # torch.FloatTensor, torch.LongTensor, ... (see ops.conversion)

# The switches seeding boilerplate sets (torch.backends.cudnn.deterministic = True): there is no
# cuDNN here, and every op is deterministic already, so nothing reads them
backends = types.SimpleNamespace(cudnn=types.SimpleNamespace(deterministic=False, benchmark=False, enabled=True))

_SUBPACKAGES = ("nn", "optim", "utils", "data", "check", "viz", "linalg", "distributions")


def __getattr__(name):
    """Load the sub-packages on first use, so ``import tinygrad_bn`` stays quick."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"tinygrad_bn.{name}")
    raise AttributeError(f"module 'tinygrad_bn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBPACKAGES))
