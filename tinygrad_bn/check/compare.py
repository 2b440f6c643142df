"""Cross-checking two implementations of one function, to first and second order.

Both functions (and a float64 reference) run on copies of the same inputs. With
a random upstream gradient u for the outputs and a random direction v for the
input gradients, the check compares

- every output f(x),
- every input gradient ∂⟨u, f⟩/∂x,
- the second-order terms ∂⟨v, ∂⟨u, f⟩/∂x⟩/∂z for z = every input and every u:
  Hessian-vector products, and the derivative of the backward pass with respect
  to its upstream gradient (what a double backward has to get right),
- every input that does not require grad and that a call changed in place
  (BatchNorm's running statistics, for example).

Random u and v matter: with u = ones some wrong gradients look right (BatchNorm's
dx is exactly 0 then, whatever the backward). See docs/cross-check.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy

from tinygrad_bn.autograd import Tensor, grad
from tinygrad_bn.autograd.tensor import as_tensors
from tinygrad_bn.check.gradcheck import host_or_zeros, vector_jacobian
from tinygrad_bn.check.report import ComparisonReport, Row, difference, largest, tolerance_for

# compare draws u and v from its own stream: were it default_rng(seed), data drawn
# with that same seed (the library's generator starts as default_rng(0)) would give
# u ∝ x, and BatchNorm's dx would be ~0 whatever the backward.
_RANDOM_STREAM = 0xB17C


def compare(fn_a, fn_b, inputs, *, reference=None, names=("a", "b"), reference_name="float64",
            input_names=None, output_names=None, grad_outputs=None, second_order=True,
            tolerances=None, title=None, seed=0) -> ComparisonReport:
    """Run ``fn_a`` and ``fn_b`` on the same ``inputs`` and report how far apart they are.

    ``inputs`` is a Tensor or a sequence of Tensors of any dtype; each function gets
    its own copies, and those that require grad are differentiated. ``reference``
    (default: ``fn_a``) runs on float64 copies of the floating inputs, and a and b
    are each compared with it too. ``grad_outputs`` fixes the upstream gradients
    (default: standard normal, drawn with ``seed``). ``second_order=False`` skips
    the Hessian-vector products (for backwards that are not differentiable).
    ``tolerances`` overrides entries of :data:`~tinygrad_bn.check.report.TOLERANCES`.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[-2.0, 0.5], [1.0, 3.0]], requires_grad=True)
    >>> naive = lambda t: (t.exp() + 1.0).log()
    >>> stable = lambda t: t.relu() + ((-t.abs()).exp() + 1.0).log()
    >>> report = compare(naive, stable, x, names=("naive", "stable"))
    >>> report.passed
    True
    >>> [f"{row.kind} {row.term}" for row in report.rows]
    ['output y', 'grad x', '2nd x', '2nd grad_y']
    """
    inputs = as_tensors(inputs, "compare: inputs")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"compare: input {i} is a {type(t).__name__}, expected a Tensor")
    input_names = _names(input_names, len(inputs), "x", "input_names")
    rng = numpy.random.default_rng([_RANDOM_STREAM, seed])

    a = _Evaluation(fn_a, inputs, names[0])
    b = _Evaluation(fn_b, inputs, names[1])
    ref = _Evaluation(reference or fn_a, inputs, reference_name, is_reference=True)
    runs = (a, b, ref)
    _check_outputs(*runs)
    output_names = _names(output_names, len(a.outputs), "y", "output_names")
    upstream = _upstream(a.outputs, grad_outputs, rng)
    directions = [rng.standard_normal(inputs[i].shape).astype(inputs[i].dtype) for i in a.wanted]

    # (kind, term, dtypes of a and b, values of a, b and the reference)
    quantities = []
    for k, name in enumerate(output_names):
        outputs = [run.outputs[k] for run in runs]
        quantities.append(("output", name, outputs[:2], [_host(out) for out in outputs]))
    differentiated = [(input_names[i], [inputs[i], inputs[i]]) for i in a.wanted]
    if a.wanted:
        gradients = [run.gradients(upstream) for run in runs]
        by_input = zip(*gradients, strict=True)
        for (name, like), values in zip(differentiated, by_input, strict=True):
            quantities.append(("grad", name, like, values))
    if a.wanted and second_order:
        live = [k for k, u in enumerate(upstream) if u is not None]
        upstream_terms = [(f"grad_{output_names[k]}", [a.outputs[k], b.outputs[k]]) for k in live]
        terms = [run.second_order(upstream, directions) for run in runs]
        by_term = zip(*terms, strict=True)
        for (name, like), values in zip(differentiated + upstream_terms, by_term, strict=True):
            quantities.append(("2nd", name, like, values))
    for i in _changed_in_place(a, b):
        values = [_host(run.args[i]) for run in runs]
        quantities.append(("state", input_names[i], [inputs[i], inputs[i]], values))

    rows = [_row(kind, term, [t.dtype for t in like], values, tolerances)
            for kind, term, like, values in quantities]
    return ComparisonReport(title or f"{names[0]} vs {names[1]}", tuple(names), reference_name, rows)


class _Evaluation:
    """One implementation (named ``label``) called on its own copies of the inputs;
    gradients are taken on demand. The reference gets float64 copies of the floating
    inputs, and may be computed outside the engine (then it has no gradients)."""

    def __init__(self, fn, inputs, label, is_reference=False):
        self.fn = fn
        self.label = label
        self.inputs = inputs
        self.is_reference = is_reference
        self.wanted = [i for i, t in enumerate(inputs) if t.requires_grad]
        self.args = self._copies()
        self.outputs = self._call(self.args)

    def _copies(self) -> list:
        copies = []
        for t in self.inputs:
            dtype = numpy.float64 if self.is_reference and t.dtype.kind == "f" else t.dtype
            copies.append(Tensor(t._data.astype(dtype, copy=True), requires_grad=t.requires_grad))
        return copies

    def _call(self, args) -> tuple:
        result = self.fn(*args)
        outputs = (result,) if isinstance(result, Tensor) else result
        if not isinstance(outputs, Sequence) or not all(isinstance(out, Tensor) for out in outputs):
            raise TypeError(
                f"compare: {self.label} returned {type(result).__name__} {result!r:.60}; "
                "expected a Tensor or a sequence of Tensors"
            )
        return tuple(outputs)

    @property
    def without_gradients(self) -> bool:
        """A reference none of whose outputs is in a graph."""
        return self.is_reference and not any(out.requires_grad for out in self.outputs)

    def _gradients(self, outputs, args, upstream, create_graph):
        """∂⟨u, f⟩/∂x for every wanted input x (None where no path leads)."""
        return vector_jacobian(outputs, upstream, [args[i] for i in self.wanted], create_graph)

    def gradients(self, upstream) -> list:
        """Host float64 gradients of the wanted inputs (zeros where no path leads)."""
        if self.without_gradients:
            return [None] * len(self.wanted)
        us = [_device(u, out) for u, out in zip(upstream, self.outputs, strict=True)]
        grads = self._gradients(self.outputs, self.args, us, create_graph=False)
        return [host_or_zeros(g, self.args[i]) for g, i in zip(grads, self.wanted, strict=True)]

    def second_order(self, upstream, directions) -> list:
        """∂⟨v, ∂⟨u, f⟩/∂x⟩/∂z for z = each wanted input, then each upstream u
        (on fresh copies, since the first call may have changed its inputs)."""
        live = [k for k, u in enumerate(upstream) if u is not None]
        if self.without_gradients:
            return [None] * (len(self.wanted) + len(live))
        args = self._copies()
        outputs = self._call(args)
        us = [_device(u, out, requires_grad=True) for u, out in zip(upstream, outputs, strict=True)]
        grads = self._gradients(outputs, args, us, create_graph=True)
        # ⟨v, ∂⟨u, f⟩/∂x⟩, one scalar per input gradient
        inner = [(g * _device(v, g)).sum() for g, v in zip(grads, directions, strict=True) if g is not None]
        inner = [s for s in inner if s.requires_grad]
        targets = [args[i] for i in self.wanted] + [us[k] for k in live]
        terms = grad(inner, targets, allow_unused=True) if inner else [None] * len(targets)
        return [host_or_zeros(term, target) for term, target in zip(terms, targets, strict=True)]


def _host(t: Tensor):
    """The values of ``t`` as a float64 array on the host."""
    return t.numpy().astype(numpy.float64)


def _device(host, like: Tensor, requires_grad=False):
    """A host array as a Tensor of ``like``'s dtype on ``like``'s device (None stays None)."""
    if host is None:
        return None
    return Tensor(host.astype(like.dtype), device=like.device, requires_grad=requires_grad)


def _upstream(outputs, grad_outputs, rng) -> list:
    """One upstream gradient per floating output (None for the others), as host arrays."""
    if grad_outputs is not None:
        given = as_tensors(grad_outputs, "compare: grad_outputs")
        if len(given) != len(outputs):
            raise ValueError(f"compare: {len(given)} grad_outputs given for {len(outputs)} outputs")
        hosts = [g.numpy() if isinstance(g, Tensor) else numpy.asarray(g) for g in given]
        return [host.astype(out.dtype) if out.dtype.kind == "f" else None
                for host, out in zip(hosts, outputs, strict=True)]
    return [rng.standard_normal(out.shape).astype(out.dtype) if out.dtype.kind == "f" else None
            for out in outputs]


def _changed_in_place(a: _Evaluation, b: _Evaluation) -> list:
    """Indices of the inputs without grad that a call of a or b changed."""
    changed = []
    for i, original in enumerate(a.inputs):
        if original.requires_grad:
            continue
        before = original.numpy()
        if any(not numpy.array_equal(e.args[i].numpy(), before, equal_nan=before.dtype.kind == "f")
               for e in (a, b)):
            changed.append(i)
    return changed


def _row(kind, term, dtypes, values, tolerances) -> Row:
    """Compare a's and b's values with each other and with the reference's (host arrays)."""
    a, b, ref = values
    dtype_a, dtype_b = (numpy.dtype(d) for d in dtypes)
    tol_a, tol_b = tolerance_for(dtype_a, tolerances), tolerance_for(dtype_b, tolerances)
    scale = largest(a, b, ref)
    label = dtype_a.name if dtype_a == dtype_b else f"{dtype_a.name}/{dtype_b.name}"
    row = Row(kind, term, label, scale, difference(a, b, scale, max(tol_a.twins, tol_b.twins)))
    if ref is not None:
        row.a_ref = difference(a, ref, scale, tol_a.reference)
        row.b_ref = difference(b, ref, scale, tol_b.reference)
    return row


def _check_outputs(a, b, ref):
    labels = (a.label, b.label, ref.label)
    counts = [len(e.outputs) for e in (a, b, ref)]
    if len(set(counts)) != 1:
        given = ", ".join(f"{label} {n}" for label, n in zip(labels, counts, strict=True))
        raise ValueError(f"compare: the functions return different numbers of outputs: {given}")
    for k, outs in enumerate(zip(a.outputs, b.outputs, ref.outputs, strict=True)):
        shapes = [o.shape for o in outs]
        if len(set(shapes)) != 1:
            given = ", ".join(f"{label} {s}" for label, s in zip(labels, shapes, strict=True))
            raise ValueError(f"compare: output {k} has different shapes: {given}")


def _names(names, count, stem, what) -> list:
    if names is None:
        return [stem] if count == 1 else [f"{stem}{i}" for i in range(count)]
    names = list(names)
    if len(names) != count:
        raise ValueError(f"compare: {len(names)} {what} given for {count} values: {names}")
    return names
