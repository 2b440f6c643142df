"""PyTorch's ``torch.func``, in part: :func:`functional_call`, :func:`stack_module_state`,
:func:`vmap`, and the transforms :func:`grad`, :func:`grad_and_value`, :func:`vjp`,
:func:`jvp`, :func:`linearize`, :func:`jacrev`, :func:`jacfwd` and :func:`hessian`.

The transforms are built on :func:`tinygrad_bn.autograd.grad` with ``create_graph=True``,
so they nest (``jacfwd(jacrev(f))``, ``jvp(grad(f), ...)``) and compose with :func:`vmap`,
which is a loop over the mapped axis. ``jacfwd``, ``jvp`` and ``linearize`` compute in
reverse mode (the values are the same): J·v is the gradient in u of ⟨uᵀJ, v⟩.

Not there: ``functionalize``.

>>> import tinygrad_bn as torch
>>> model = torch.nn.Linear(2, 1)
>>> params = {name: p.detach() for name, p in model.named_parameters()}
>>> def loss(params, x, y):
...     return ((functional_call(model, params, (x,)) - y) ** 2).sum()
>>> x, y = torch.ones(3, 2), torch.zeros(3, 1)
>>> per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
>>> per_sample["weight"].shape, per_sample["bias"].shape
((3, 1, 2), (3, 1))
"""

from __future__ import annotations

from collections.abc import Sequence

import tinygrad_bn as _tg
from tinygrad_bn.autograd.engine import grad as _autograd_grad
from tinygrad_bn.autograd.function import enable_grad
from tinygrad_bn.autograd.tensor import Tensor
from tinygrad_bn.nn.utils.stateless import call_with

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "linearize",
           "stack_module_state", "vjp", "vmap"]

def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):
    """PyTorch's ``torch.func.functional_call``: ``module(*args, **kwargs)`` with the
    given tensors in place of its parameters and buffers of the same dotted names,
    which are put back afterwards, also when the call raises; gradients flow to the
    given tensors (see :mod:`tinygrad_bn.nn.utils.stateless`).

    ``parameter_and_buffer_dicts`` is a dict of dotted name → Tensor, or a tuple (or
    list) of such dicts with no name in two of them. ``args`` that is not a tuple is
    the one argument. Tied members take one value together unless ``tie_weights`` is
    False; ``strict`` asks for every parameter and buffer and nothing else.

    >>> import tinygrad_bn as torch
    >>> model = torch.nn.Linear(2, 1)
    >>> params = {name: torch.ones_like(p, requires_grad=True) for name, p in model.named_parameters()}
    >>> loss = functional_call(model, params, torch.tensor([[1.0, 2.0]])).sum()
    >>> loss.item(), torch.autograd.grad(loss, params["weight"])[0].tolist()
    (4.0, [[1.0, 2.0]])
    >>> functional_call(model, ({"weight": torch.zeros(1, 2)}, {"bias": torch.ones(1)}), (torch.ones(1, 2),)).tolist()
    [[1.0]]
    """
    return call_with(module, _merged(parameter_and_buffer_dicts), args, kwargs, tie_weights=tie_weights,
                     strict=strict)


def _merged(dicts) -> dict:
    """One dict of the one given, or of the several, whose keys must not repeat."""
    if isinstance(dicts, dict):
        return dicts
    if not isinstance(dicts, Sequence) or isinstance(dicts, str):
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(dicts).__name__}")
    if not all(isinstance(d, dict) for d in dicts):
        got = ", ".join(type(d).__name__ for d in dicts)
        raise ValueError(f"Expected all elements of parameter_and_buffer_dicts to be dictionaries, got ({got})")
    merged, repeated = {}, []
    for d in dicts:
        repeated += [key for key in d if key in merged and key not in repeated]
        merged.update(d)
    if repeated:
        raise ValueError(f"{repeated} appeared in more than one of the dictionaries given to functional_call, so "
                         "which tensor to use is ambiguous")
    return merged


def stack_module_state(models) -> tuple[dict, dict]:
    """PyTorch's ``torch.func.stack_module_state``: the parameters and the buffers of
    ``models`` (all of one class and one training mode), each name's tensors stacked
    along a new leading axis. A stacked parameter is a new leaf, which requires grad if
    the originals do; buffers are stacked as they are.

    >>> import tinygrad_bn as torch
    >>> params, buffers = stack_module_state([torch.nn.Linear(3, 2) for _ in range(4)])
    >>> params["weight"].shape, params["weight"].is_leaf, params["weight"].requires_grad, buffers
    ((4, 2, 3), True, True, {})
    """
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    if len({type(m) for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    named = [dict(m.named_parameters()) for m in models]
    params = {name: _stacked_leaf([n[name] for n in named], name) for name in named[0]}
    named = [dict(m.named_buffers()) for m in models]
    buffers = {name: _tg.stack([n[name] for n in named]) for name in named[0]}
    return params, buffers


def _stacked_leaf(tensors, name) -> Tensor:
    wanting = {t.requires_grad for t in tensors}
    if len(wanting) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    stacked = _tg.stack([t.detach() for t in tensors])
    return stacked.requires_grad_(True) if True in wanting else stacked


# ---- trees: Tensors inside tuples, lists and dicts ----


def _flatten(tree) -> list:
    """The leaves of a tree of tuples, lists and dicts, in order."""
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _flatten(item)]
    if isinstance(tree, dict):
        return [leaf for item in tree.values() for leaf in _flatten(item)]
    return [tree]


def _unflatten(tree, leaves):
    """``tree``'s structure with the leaves taken in order from the iterator ``leaves``."""
    if isinstance(tree, (tuple, list)):
        items = [_unflatten(item, leaves) for item in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    if isinstance(tree, dict):
        return {key: _unflatten(item, leaves) for key, item in tree.items()}
    return next(leaves)


def _rebuilt(tree, leaves: list):
    return _unflatten(tree, iter(leaves))


def _broadcast(dims, tree, what: str) -> list:
    """One dim per leaf of ``tree``: an int or None spreads over its subtree; a tuple,
    list or dict must match the tree's structure there."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(_flatten(tree))
    same_sequence = isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)) and len(dims) == len(tree)
    if same_sequence:
        return [d for sub_dims, sub in zip(dims, tree) for d in _broadcast(sub_dims, sub, what)]
    if isinstance(dims, dict) and isinstance(tree, dict) and dims.keys() == tree.keys():
        return [d for key in tree for d in _broadcast(dims[key], tree[key], what)]
    raise ValueError(f"vmap: {what}={dims!r} is not compatible with the structure of the {what[:-5]}puts "
                     f"({type(tree).__name__}); it must be an int, None, or a tree of those matching it")


# ---- vmap ----


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """PyTorch's ``torch.func.vmap``: ``func`` mapped over an axis of its inputs.

    This is a loop, not a batching transform: ``func`` is called once per index of the
    mapped axis, on the slices of the mapped inputs, and its outputs are stacked along
    ``out_dims``; gradients flow through it as through any other ops, and so it
    composes with :func:`grad` and the other transforms. ``in_dims`` gives per
    positional argument the axis to map (an int), or None to pass it whole, nested as
    the arguments are (Tensors in tuples, lists and dicts); keyword arguments are not
    mapped. ``chunk_size`` changes nothing (each call is one slice); ``randomness`` is
    checked, but random ops in ``func`` draw anew in each call whatever it says.

    >>> import tinygrad_bn as torch
    >>> x, y = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([10.0, 20.0])
    >>> vmap(torch.dot)(x, torch.ones(2, 2)).tolist()
    [3.0, 7.0]
    >>> vmap(lambda a, b: a * b, in_dims=(1, None), out_dims=1)(x, y).tolist()
    [[10.0, 20.0], [60.0, 80.0]]
    """
    _check_vmap_options(in_dims, randomness, chunk_size)

    def mapped(*args, **kwargs):
        if isinstance(in_dims, tuple) and len(in_dims) != len(args):
            raise ValueError(f"vmap: in_dims={in_dims!r} has {len(in_dims)} elements but the function was given "
                             f"{len(args)} positional arguments; they must match")
        leaves, dims = _flatten(args), _broadcast(in_dims, args, "in_dims")
        size = _mapped_size(leaves, dims)
        results = [func(*_rebuilt(args, _sliced(leaves, dims, i)), **kwargs) for i in range(size)]
        return _stacked_outputs(results, out_dims)

    return mapped


def _check_vmap_options(in_dims, randomness, chunk_size):
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap: expected in_dims to be int or a (potentially nested) tuple matching the structure "
                         f"of inputs, got: {type(in_dims).__name__}.")
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. "
                           f"Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")


def _mapped_size(leaves, dims) -> int:
    sizes = []
    for leaf, dim in zip(leaves, dims):
        if dim is None:
            continue
        if not isinstance(leaf, Tensor):
            raise ValueError(f"vmap: Got in_dim={dim} for an input but the input is of type "
                             f"{type(leaf).__name__}. We cannot vmap over non-Tensor arguments")
        if not -leaf.ndim <= dim < leaf.ndim:
            raise ValueError(f"vmap: Got in_dim={dim} for an input but the input is of type Tensor with "
                             f"{leaf.ndim} dims: the in_dim must be in [-{leaf.ndim}, {leaf.ndim})")
        sizes.append(leaf.shape[dim])
    if not sizes:
        raise ValueError("vmap: at least one Tensor must be mapped over (no in_dims other than None for a Tensor)")
    if len(set(sizes)) > 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    if sizes[0] == 0:
        raise ValueError("vmap: the mapped dimension has size 0; this vmap loops over it and needs one slice at least")
    return sizes[0]


def _sliced(leaves, dims, index) -> list:
    return [leaf if dim is None else leaf.select(dim, index) for leaf, dim in zip(leaves, dims)]


def _stacked_outputs(results, out_dims):
    first = results[0]
    per_call = [_flatten(r) for r in results]
    dims = _broadcast(out_dims, first, "out_dims")
    stacked = []
    for k, dim in enumerate(dims):
        column = [leaves[k] for leaves in per_call]
        if not isinstance(column[0], Tensor):
            raise ValueError(f"vmap: `func` must only return Tensors, got type {type(column[0])}")
        if dim is None:
            stacked.append(column[0])
            continue
        if not -(column[0].ndim + 1) <= dim <= column[0].ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-(column[0].ndim + 1)}, {column[0].ndim}], but got {dim})")
        stacked.append(_tg.stack(column, dim=dim))
    return _rebuilt(first, stacked)


# ---- the differentiation transforms ----


def _argnums(argnums, args, name: str) -> tuple:
    """The positions differentiated, non-negative, as a tuple."""
    positions = argnums if isinstance(argnums, tuple) else (argnums,)
    if not positions or not all(isinstance(a, int) and not isinstance(a, bool) for a in positions):
        raise RuntimeError(f"{name}: argnums must be int or Tuple[int, ...], got: {argnums!r}")
    for a in positions:
        if not -len(args) <= a < len(args):
            raise RuntimeError(f"{name}: Got argnums={a}, but only {len(args)} positional inputs")
    return tuple(a % len(args) for a in positions)


def _inputs(args, positions, name: str):
    """The arguments with the differentiated ones replaced by Tensors to differentiate
    with respect to; those inputs (flat); and whether the results are to stay on the
    graph (some given Tensor requires grad, so an outer transform or autograd needs it)."""
    args, leaves = list(args), []
    on_graph = any(isinstance(t, Tensor) and t.requires_grad for t in _flatten(args))
    for a in positions:
        given = _flatten(args[a])
        if not all(isinstance(t, Tensor) for t in given):
            raise RuntimeError(f"{name}: Expected the differentiated argument {a} to be a Tensor or a tuple, list or "
                               f"dict of Tensors")
        mine = [t.clone() if t.requires_grad else t.detach().requires_grad_(True) for t in given]
        args[a] = _rebuilt(args[a], mine)
        leaves += mine
    return args, leaves, on_graph


def _split(output, has_aux: bool, name: str):
    if not has_aux:
        return output, None
    if not isinstance(output, (tuple, list)) or len(output) != 2:
        raise RuntimeError(f"{name}(f)(*args): output of function f should be a tuple: (output, aux) if has_aux "
                           f"is True")
    return output[0], output[1]


def _kept(tree, on_graph: bool):
    """``tree`` as is when on the graph, else with its Tensors detached."""
    if on_graph:
        return tree
    return _rebuilt(tree, [t.detach() if isinstance(t, Tensor) else t for t in _flatten(tree)])


def _gradients(outputs, leaves, cotangents=None) -> list:
    """∂⟨cotangents, outputs⟩/∂leaves on the graph, zeros where no path leads."""
    live = [k for k, o in enumerate(outputs) if o.requires_grad]
    grads = [None] * len(leaves)
    if live:
        grads = _autograd_grad([outputs[k] for k in live], leaves, retain_graph=True, create_graph=True,
                               allow_unused=True,
                               grad_outputs=None if cotangents is None else [cotangents[k] for k in live])
    return [t * 0.0 if g is None else g for g, t in zip(grads, leaves)]


def _per_argnum(flat, args, positions, argnums):
    """Flat results over the differentiated arguments, shaped as those arguments, one
    for an int ``argnums``, a tuple for a tuple."""
    shaped, start = [], 0
    for a in positions:
        count = len(_flatten(args[a]))
        shaped.append(_rebuilt(args[a], flat[start:start + count]))
        start += count
    return tuple(shaped) if isinstance(argnums, tuple) else shaped[0]


def grad_and_value(func, argnums=0, has_aux=False):
    """PyTorch's ``torch.func.grad_and_value``: a function returning ``(gradient,
    value)`` of ``func``, whose output is a one-element Tensor, with respect to the
    arguments ``argnums`` (an int, or a tuple of them for a tuple of gradients); with
    ``has_aux``, ``func`` returns ``(output, aux)`` and the result is ``(gradient,
    (value, aux))``. The arguments need not require grad.

    >>> import tinygrad_bn as torch
    >>> g, value = grad_and_value(lambda x: (x ** 2).sum())(torch.tensor([1.0, 3.0]))
    >>> g.tolist(), value.item(), g.requires_grad
    ([2.0, 6.0], 10.0, False)
    """

    def transformed(*args, **kwargs):
        positions = _argnums(argnums, args, "grad_and_value")
        with enable_grad():
            new_args, leaves, on_graph = _inputs(args, positions, "grad_and_value")
            output, aux = _split(func(*new_args, **kwargs), has_aux, "grad_and_value")
            if not isinstance(output, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                   f"{type(output)}")
            if output.numel() != 1:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {output.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   f"instead?")
            flat = _gradients([output], leaves)
        grads = _kept(_per_argnum(flat, new_args, positions, argnums), on_graph)
        value = _kept(output, on_graph)
        return (grads, (value, _kept(aux, on_graph))) if has_aux else (grads, value)

    return transformed


def grad(func, argnums=0, has_aux=False):
    """PyTorch's ``torch.func.grad``: as :func:`grad_and_value` without the value (with
    ``has_aux``, ``(gradient, aux)``).

    >>> import tinygrad_bn as torch
    >>> grad(grad(lambda x: x ** 3))(torch.tensor(2.0)).item()
    12.0
    >>> w, b, x = torch.ones(2), torch.ones(2), torch.tensor([3.0, 3.0])
    >>> gw, gb = grad(lambda w, b, x: (w * x + b).sum(), argnums=(0, 1))(w, b, x)
    >>> gw.tolist(), gb.tolist()
    ([3.0, 3.0], [1.0, 1.0])
    """
    both = grad_and_value(func, argnums, has_aux)

    def transformed(*args, **kwargs):
        grads, value = both(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return transformed


def vjp(func, *primals, has_aux=False):
    """PyTorch's ``torch.func.vjp``: ``(func(*primals), vjp_fn)`` (and ``aux`` last with
    ``has_aux``), where ``vjp_fn(cotangents)``, the cotangents shaped as the output,
    gives the tuple of vector-Jacobian products, one per primal, shaped as it.

    >>> import tinygrad_bn as torch
    >>> out, vjp_fn = vjp(lambda x, y: x * y, torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]))
    >>> [g.tolist() for g in vjp_fn(torch.ones(2))]
    [[3.0, 4.0], [1.0, 2.0]]
    """
    positions = tuple(range(len(primals)))
    with enable_grad():
        args, leaves, on_graph = _inputs(primals, positions, "vjp")
        output, aux = _split(func(*args), has_aux, "vjp")
    outputs = _flatten(output)
    if not all(isinstance(o, Tensor) for o in outputs):
        raise RuntimeError("vjp(f, *primals): Expected f to be a function that has only Tensors as outputs")

    def vjp_fn(cotangents):
        given = _flatten(cotangents)
        if len(given) != len(outputs) or any(c.shape != o.shape for c, o in zip(given, outputs)):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               "outputs to the function")
        with enable_grad():
            flat = _gradients(outputs, leaves, given)
        return _kept(_per_argnum(flat, args, positions, positions), on_graph or any(c.requires_grad for c in given))

    result = (_kept(output, on_graph), vjp_fn)
    return (*result, _kept(aux, on_graph)) if has_aux else result


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """PyTorch's ``torch.func.jvp``: ``(func(*primals), J·tangents)`` (and ``aux`` last
    with ``has_aux``), where the tuple ``tangents`` is shaped as the tuple ``primals``
    and the Jacobian-vector product as the output. An output that does not depend on
    the primals has a zero product, or raises with ``strict``. Computed in reverse
    mode (see the module docstring), in the dtypes of the primals (a tangent of
    another dtype is cast to its primal's).

    >>> import tinygrad_bn as torch
    >>> out, product = jvp(lambda x, y: x * y, (torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])),
    ...                    (torch.ones(2), torch.zeros(2)))
    >>> out.tolist(), product.tolist()
    ([3.0, 8.0], [3.0, 4.0])
    """
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    if not _same_structure(primals, tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, tangents also must be.")
    output, push, aux, on_graph = _linearized(func, primals, has_aux, "jvp(f, primals, tangents)")
    given = _checked_tangents(_flatten(tangents), _flatten(primals), "jvp(f, primals, tangents)")
    products = _rebuilt(output, push(given, strict))
    result = (_kept(output, on_graph), _kept(products, on_graph or any(t.requires_grad for t in given)))
    return (*result, _kept(aux, on_graph)) if has_aux else result


def linearize(func, *primals):
    """PyTorch's ``torch.func.linearize``: ``(func(*primals), jvp_fn)``, where
    ``jvp_fn(*tangents)``, the tangents shaped as the primals, gives J·tangents at the
    primals, shaped as the output. As PyTorch's, ``func`` runs twice: once for the
    output, once on the primals detached for ``jvp_fn``, whose graph each call
    reuses; so the products carry gradients to the tangents, never to the primals.

    >>> import tinygrad_bn as torch
    >>> out, jvp_fn = linearize(torch.sin, torch.zeros(2))
    >>> jvp_fn(torch.tensor([1.0, 2.0])).tolist()
    [1.0, 2.0]
    """
    output = func(*primals)
    constants = tuple(_rebuilt(p, [t.detach() for t in _flatten(p)]) for p in primals)
    traced, push, _, _ = _linearized(func, constants, False, "linearize")
    leaves = _flatten(primals)

    def jvp_fn(*tangents):
        if not _same_structure(primals, tangents):
            raise RuntimeError("linearize: Expected the tangents to have the same structure as the primals")
        given = _checked_tangents(_flatten(tangents), leaves, "linearize")
        return _kept(_rebuilt(traced, push(given)), any(t.requires_grad for t in given))

    return output, jvp_fn


def _linearized(func, primals, has_aux, name):
    """``func(*primals)`` on the graph, the map from tangents to its Jacobian-vector
    products (:func:`_pushforward`), its aux, and whether the results are to stay on the graph."""
    positions = tuple(range(len(primals)))
    with enable_grad():
        args, leaves, on_graph = _inputs(primals, positions, name)
        output, aux = _split(func(*args), has_aux, name)
        outputs = _flatten(output)
        if not all(isinstance(o, Tensor) for o in outputs):
            raise RuntimeError(f"{name}: expected f(*args) to return only tensors")
        push = _pushforward(outputs, leaves)
    return output, push, aux, on_graph


def _pushforward(outputs, leaves):
    """v ↦ J·v (flat lists) for the outputs at the leaves, in reverse mode: uᵀJ is the
    gradient of ⟨u, outputs⟩ in the leaves, linear in u, so J·v is the gradient of
    ⟨uᵀJ, v⟩ in u. An output no path leads to from the leaves has zeros (or raises
    with ``strict``)."""
    live = [k for k, o in enumerate(outputs) if o.requires_grad]
    us = [_tg.zeros_like(outputs[k]).requires_grad_(True) for k in live]
    uJ = _gradients([outputs[k] for k in live], leaves, us) if live else []

    def push(tangents, strict=False):
        Jv = [None] * len(us)
        pairs = [(g, t) for g, t in zip(uJ, tangents) if g.requires_grad]
        if pairs:
            with enable_grad():
                Jv = _autograd_grad([g for g, _ in pairs], us, grad_outputs=[t for _, t in pairs], retain_graph=True,
                                    create_graph=True, allow_unused=True)
        products = [None] * len(outputs)
        for k, product in zip(live, Jv):
            products[k] = product
        if strict and None in products:
            raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is independent of the "
                               "inputs. This is not allowed with strict=True.")
        return [o.detach() * 0.0 if p is None else p for p, o in zip(products, outputs)]

    return push


def _same_structure(a, b) -> bool:
    """Whether the trees ``a`` and ``b`` nest alike (their leaves may differ)."""
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same_structure, a, b))
    if isinstance(a, dict) or isinstance(b, dict):
        return type(a) is type(b) and a.keys() == b.keys() and all(_same_structure(a[k], b[k]) for k in a)
    return True


def _checked_tangents(tangents, primals, name: str) -> list:
    """The tangents, Tensors each shaped as its primal (``linearize`` also asks for its
    dtype; ``jvp`` takes another, as PyTorch does, and casts it to the primal's)."""
    checked = []
    for k, (t, p) in enumerate(zip(tangents, primals)):
        if not isinstance(t, Tensor):
            raise RuntimeError(f"{name}: Expected tangents to only contain Tensors, got {type(t)}")
        if t.shape != p.shape:
            raise RuntimeError(f"{name}: tangent:{k} with shape {t.shape} doesn't match the shape {p.shape} of the "
                               "corresponding primal")
        if t.dtype != p.dtype and name == "linearize":
            raise RuntimeError(f"linearize: tangent:{k} with dtype {t.dtype} doesn't match the dtype {p.dtype} of "
                               "the corresponding primal")
        checked.append(t if t.dtype == p.dtype else t.astype(p.dtype))
    return checked


def _jacobian_of(func, argnums, has_aux, name):
    def transformed(*args, **kwargs):
        positions = _argnums(argnums, args, name)
        with enable_grad():
            new_args, leaves, on_graph = _inputs(args, positions, name)
            output, aux = _split(func(*new_args, **kwargs), has_aux, name)
            per_output = [_jacobian_blocks(out, leaves, name) for out in _flatten(output)]
        jac = _rebuilt(output, [_per_argnum(blocks, new_args, positions, argnums) for blocks in per_output])
        return (_kept(jac, on_graph), _kept(aux, on_graph)) if has_aux else _kept(jac, on_graph)

    return transformed


def _jacobian_blocks(out, leaves, name) -> list:
    """∂out/∂leaf for each leaf, of shape out.shape + leaf.shape, one gradient per
    element of ``out``."""
    if not isinstance(out, Tensor):
        raise RuntimeError(f"{name}(f, ...)(*args): Expected f to be a function that has only Tensors as outputs, "
                           f"got {type(out)}")
    flat = out.reshape(-1)
    rows = [_gradients([flat[i]], leaves) for i in range(flat.shape[0])]
    blocks = []
    for k, leaf in enumerate(leaves):
        if rows:
            blocks.append(_tg.stack([row[k] for row in rows]).reshape(*out.shape, *leaf.shape))
        else:
            blocks.append(_tg.zeros(*out.shape, *leaf.shape, dtype=leaf.dtype, device=leaf.device))
    return blocks


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """PyTorch's ``torch.func.jacrev``: a function returning the Jacobian of ``func``
    with respect to the arguments ``argnums``, of shape output.shape + input.shape,
    nested as the outputs outside and the arguments inside (a tuple for a tuple
    ``argnums``); one reverse pass per output element (``chunk_size`` changes nothing).

    >>> import tinygrad_bn as torch
    >>> jacrev(lambda x: x.sin())(torch.tensor([0.0, 0.0])).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"jacrev: `chunk_size` should be greater than 0. (got {chunk_size})")
    return _jacobian_of(func, argnums, has_aux, "jacrev")


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """PyTorch's ``torch.func.jacfwd``: the same Jacobian as :func:`jacrev`, which is
    how it is computed here (in reverse mode, not forward).

    >>> import tinygrad_bn as torch
    >>> jacfwd(lambda x, y: x * y, argnums=1)(torch.tensor([2.0, 3.0]), torch.ones(2)).tolist()
    [[2.0, 0.0], [0.0, 3.0]]
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. "
                           f"Got {randomness}")
    return _jacobian_of(func, argnums, has_aux, "jacfwd")


def hessian(func, argnums=0):
    """PyTorch's ``torch.func.hessian``: ``jacfwd(jacrev(func, argnums), argnums)``.

    >>> import tinygrad_bn as torch
    >>> hessian(lambda x: (x ** 3).sum())(torch.tensor([1.0, 2.0])).tolist()
    [[6.0, 0.0], [0.0, 12.0]]
    """
    return jacfwd(jacrev(func, argnums), argnums)
