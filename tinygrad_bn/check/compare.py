"""Cross-checking two implementations of one function, to any order up to 4.

Both functions (and a float64 reference) run on copies of the same inputs. With a
random cotangent w for the outputs and a random direction v for the inputs that
require grad, and Sⱼ = ⟨w, dʲ/dtʲ f(x + t·v)⟩ the j-th directional derivative
(see :mod:`~tinygrad_bn.check.derivatives`), ``compare(..., order=k)`` compares

- order 0: every output f(x), and every input without grad that a call changed in
  place (BatchNorm's running statistics, for example);
- order 1: every input gradient ∂⟨w, f⟩/∂x (taken without create_graph, so a fused
  op's fast path is what is checked), and S₁;
- order j + 1 for 1 ≤ j < k: the gradient of Sⱼ with respect to every input
  (Hessian-vector products at j = 1), at j = 1 also with respect to w (what a
  double backward has to get right as a function of its upstream gradient), and
  S_(j+1).

Orders 1 and 2 run in the inputs' dtypes; orders 3 and 4 on float64 copies. Each
order of each implementation is also checked against central differences of its
own order below, in float64: when the twins disagree, that says which one is right.

Random w and v matter: with w = ones some wrong gradients look right (BatchNorm's
dx is exactly 0 then, whatever the backward). See docs/cross-check.md.
"""

from __future__ import annotations

import numpy

from tinygrad_bn.autograd import Tensor
from tinygrad_bn.autograd.tensor import as_tensors
from tinygrad_bn.check.derivatives import derivatives
from tinygrad_bn.check.report import (
    FINITE_DIFFERENCES,
    ComparisonReport,
    Row,
    difference,
    largest,
    tolerance_for,
)

# compare draws w and v from its own stream: were it default_rng(seed), data drawn
# with that same seed (the library's generator starts as default_rng(0)) would give
# w ∝ x, and BatchNorm's dx would be ~0 whatever the backward.
_RANDOM_STREAM = 0xB17C

ORDERS = (1, 2, 3, 4)
#: The row kind of a quantity of each order.
KINDS = {0: "output", 1: "grad", 2: "2nd", 3: "3rd", 4: "4th"}
#: Relative step of the central differences, times the smallest spread of an input.
FD_STEP = 1e-4


def compare(fn_a, fn_b, inputs, *, reference=None, names=("a", "b"), reference_name="float64",
            input_names=None, output_names=None, grad_outputs=None, order=2,
            tolerances=None, title=None, seed=0) -> ComparisonReport:
    """Run ``fn_a`` and ``fn_b`` on the same ``inputs`` and report how far apart they
    are, with every derivative up to ``order`` (1 to 4).

    ``inputs`` is a Tensor or a sequence of Tensors of any dtype; each function gets
    its own copies, and those that require grad are differentiated. ``reference``
    (default: ``fn_a``) runs on float64 copies of the floating inputs, and a and b
    are each compared with it too. Either function, and the reference, may be a
    PyTorch function wrapped by :func:`~tinygrad_bn.check.from_pytorch`.
    ``grad_outputs`` fixes the cotangents w (default: standard normal, drawn with
    ``seed``). ``tolerances`` overrides entries of
    :data:`~tinygrad_bn.check.report.TOLERANCES`.

    >>> from tinygrad_bn import Tensor
    >>> x = Tensor([[-2.0, 0.5], [1.0, 3.0]], requires_grad=True)
    >>> naive = lambda t: (t.exp() + 1.0).log()
    >>> stable = lambda t: t.relu() + ((-t.abs()).exp() + 1.0).log()
    >>> report = compare(naive, stable, x, names=("naive", "stable"))
    >>> report.passed
    True
    >>> [f"{row.kind} {row.term}" for row in report.rows]
    ['output y', 'grad x', 'grad along v', '2nd x', '2nd grad_y', '2nd along v']
    """
    inputs = _checked_inputs(inputs, order)
    input_names = _names(input_names, len(inputs), "x", "input_names")
    rng = numpy.random.default_rng([_RANDOM_STREAM, seed])
    problem = _Problem(inputs, grad_outputs, rng)
    labels = {"a": names[0], "b": names[1], "ref": reference_name}
    functions = {"a": fn_a, "b": fn_b, "ref": reference or fn_a}

    first = {key: problem.derive(fn, key, 1, labels[key]) for key, fn in functions.items()}
    output_names = _names(output_names, len(first["a"].outputs), "y", "output_names")
    reference_differentiates = first["ref"].differentiable
    chains = _chains(problem, functions, labels, order) if problem.wanted else {}
    fd = _finite_differences(problem, functions, labels, order) if problem.wanted else {}

    rows = _value_rows(problem, first, input_names, output_names, tolerances)
    if not problem.wanted:
        return ComparisonReport(title or f"{names[0]} vs {names[1]}", tuple(names), reference_name, rows)

    def values(source, pick):
        return [pick(source[key]) if key != "ref" or reference_differentiates else None for key in ("a", "b", "ref")]

    for j, i in enumerate(problem.wanted):
        rows.append(_row("grad", input_names[i], 1, values(first, lambda r, j=j: r.grads[0][j]),
                         [inputs[i].dtype] * 2, None, tolerances))
    rows.append(_row("grad", "along v", 1, values(first, lambda r: r.along[1]), problem.chain_dtypes(1),
                     fd.get(("along", 1)), tolerances))
    for n in range(2, order + 1):
        chain = chains[n]
        kind, dtypes = KINDS[n], problem.chain_dtypes(n)
        for j, i in enumerate(problem.wanted):
            rows.append(_row(kind, input_names[i], n, values(chain, lambda r, j=j, n=n: r.grads[n - 1][j]),
                             dtypes, fd.get(("grad", n, j)), tolerances))
        if n == 2:
            for j, k in enumerate(problem.live(first["a"])):
                rows.append(_row(kind, f"grad_{output_names[k]}", n,
                                 values(chain, lambda r, j=j: r.upstream_grads[j]), dtypes,
                                 fd.get(("upstream", j)), tolerances))
        rows.append(_row(kind, "along v", n, values(chain, lambda r, n=n: r.along[n]), dtypes,
                         fd.get(("along", n)), tolerances))
    report = ComparisonReport(title or f"{names[0]} vs {names[1]}", tuple(names), reference_name, rows)
    report.grad_outputs = problem.upstream
    report.directions = problem.directions
    return report


def _checked_inputs(inputs, order) -> tuple:
    if order not in ORDERS:
        raise ValueError(f"compare: order must be one of {ORDERS}, got {order!r}")
    inputs = as_tensors(inputs, "compare: inputs")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"compare: input {i} is a {type(t).__name__}, expected a Tensor")
    return inputs


def _value_rows(problem, first, input_names, output_names, tolerances) -> list:
    """The rows of order 0: each output, and each input the functions changed in place."""
    rows = []
    for k, name in enumerate(output_names):
        rows.append(_row("output", name, 0, [first[key].outputs[k] for key in ("a", "b", "ref")],
                         [first[key].output_dtypes[k] for key in ("a", "b")], None, tolerances))
    for i in _changed_in_place(problem, first):
        rows.append(_row("state", input_names[i], 0, [first[key].state[i] for key in ("a", "b", "ref")],
                         [problem.dtypes[i]] * 2, None, tolerances))
    return rows


class _Problem:
    """The inputs as host arrays, and the cotangents w and directions v drawn for them."""

    def __init__(self, inputs, grad_outputs, rng):
        self.hosts = [t.numpy() for t in inputs]
        self.dtypes = [t.dtype for t in inputs]
        self.device = inputs[0].device if inputs else "cpu"
        self.wanted = [i for i, t in enumerate(inputs) if t.requires_grad]
        self.grad_outputs = grad_outputs
        self.rng = rng
        self.upstream = None
        self.directions = [rng.standard_normal(self.hosts[i].shape) for i in self.wanted]

    def cotangents(self, outputs, label) -> list:
        """One cotangent per floating output (None for the others), drawn once for
        the first implementation's outputs; another's must have the same shapes."""
        shapes = [tuple(out.shape) for out in outputs]
        if self.upstream is None:
            self.first = (label, shapes)
            dtypes = [numpy.dtype(str(out.dtype).removeprefix("torch.")) for out in outputs]
            self.upstream = _upstream(outputs, dtypes, self.grad_outputs, self.rng)
        _check_outputs(self.first, (label, shapes))
        return self.upstream

    def float64(self, dtypes):
        return [numpy.float64 if numpy.dtype(d).kind == "f" else d for d in dtypes]

    def is_float64(self) -> bool:
        return all(numpy.dtype(self.dtypes[i]) == numpy.float64 for i in self.wanted)

    def chain_dtypes(self, order) -> list:
        """The dtypes a row of this order is computed in (orders ≥ 3: float64)."""
        dtype = self.dtypes[self.wanted[0]] if order <= 2 else numpy.float64
        return [dtype, dtype]

    def derive(self, fn, key, order, label, hosts=None, in_float64=False):
        dtypes = self.float64(self.dtypes) if key == "ref" or in_float64 else self.dtypes
        return derivatives(fn, hosts or self.hosts, dtypes, self.device, self.wanted, self.cotangents,
                           self.directions, order, label)

    def live(self, run) -> list:
        return [k for k, u in enumerate(self.upstream) if u is not None and k in run.live]

    def step(self) -> float:
        """The central differences' step: FD_STEP times the smallest spread of an input."""
        spreads = [float(numpy.std(self.hosts[i].astype(numpy.float64))) for i in self.wanted]
        return FD_STEP * min((s for s in spreads if s > 0), default=1.0)

    def moved(self, step) -> list:
        """The inputs at x + step·v."""
        hosts = [h.astype(numpy.float64) if numpy.dtype(h.dtype).kind == "f" else h for h in self.hosts]
        for i, v in zip(self.wanted, self.directions, strict=True):
            hosts[i] = hosts[i] + step * v
        return hosts


def _chains(problem, functions, labels, order) -> dict:
    """For each order n ≥ 2, the Derivatives of a, b and the reference that its rows read."""
    chains = {}
    if order >= 2:
        native = min(order, 2) if not problem.is_float64() else order
        runs = {key: problem.derive(fn, key, native, labels[key]) for key, fn in functions.items()}
        chains.update({n: runs for n in range(2, native + 1)})
    if order >= 3 and not problem.is_float64():
        runs = {key: problem.derive(fn, key, order, labels[key], in_float64=True) for key, fn in functions.items()}
        chains.update({n: runs for n in range(3, order + 1)})
    return chains


def _finite_differences(problem, functions, labels, order) -> dict:
    """Central differences, along v, of each twin's own quantities of the order below:
    {("along", n) | ("grad", n, j) | ("upstream", j): [fd of a, fd of b]}."""
    h = problem.step()
    plus, minus = ({key: problem.derive(functions[key], key, order - 1, labels[key],
                                        hosts=problem.moved(sign * h), in_float64=True)
                    for key in ("a", "b")} for sign in (1, -1))

    def central(pick):
        return [(pick(plus[key]) - pick(minus[key])) / (2 * h) for key in ("a", "b")]

    estimates = {("along", n): central(lambda r, n=n: r.along[n - 1]) for n in range(1, order + 1)}
    for n in range(2, order + 1):
        for j in range(len(problem.wanted)):
            estimates[("grad", n, j)] = central(lambda r, j=j, n=n: r.grads[n - 2][j])
    if order >= 2:
        for j, k in enumerate(problem.live(plus["a"])):
            estimates[("upstream", j)] = central(lambda r, k=k: r.outputs[k])
    return estimates


def _upstream(outputs, dtypes, grad_outputs, rng) -> list:
    """One cotangent per floating output (None for the others), as host arrays."""
    if grad_outputs is not None:
        given = as_tensors(grad_outputs, "compare: grad_outputs")
        if len(given) != len(outputs):
            raise ValueError(f"compare: {len(given)} grad_outputs given for {len(outputs)} outputs")
        hosts = [g.numpy() if isinstance(g, Tensor) else numpy.asarray(g) for g in given]
        return [host.astype(dtype) if dtype.kind == "f" else None for host, dtype in zip(hosts, dtypes, strict=True)]
    return [rng.standard_normal(tuple(out.shape)).astype(dtype) if dtype.kind == "f" else None
            for out, dtype in zip(outputs, dtypes, strict=True)]


def _changed_in_place(problem, first) -> list:
    """Indices of the inputs without grad that a call of a or b changed."""
    changed = []
    for i, before in enumerate(problem.hosts):
        if i in problem.wanted:
            continue
        before = before.astype(numpy.float64)
        if any(not numpy.array_equal(first[key].state[i], before, equal_nan=True) for key in ("a", "b")):
            changed.append(i)
    return changed


def _row(kind, term, order, values, dtypes, finite_differences, tolerances) -> Row:
    """Compare a's and b's values with each other, with the reference's, and with
    central differences of their own order below (host arrays)."""
    a, b, ref = values
    dtype_a, dtype_b = (numpy.dtype(d) for d in dtypes)
    tol_a, tol_b = tolerance_for(dtype_a, tolerances), tolerance_for(dtype_b, tolerances)
    scale = largest(a, b, ref)
    label = dtype_a.name if dtype_a == dtype_b else f"{dtype_a.name}/{dtype_b.name}"
    row = Row(kind, term, label, scale, difference(a, b, scale, max(tol_a.twins, tol_b.twins)), order=order)
    row.values = (a, b, ref)
    if ref is not None:
        row.a_ref = difference(a, ref, scale, tol_a.reference)
        row.b_ref = difference(b, ref, scale, tol_b.reference)
    if finite_differences is not None:
        fd_a, fd_b = finite_differences
        row.a_fd = difference(a, fd_a, largest(a, fd_a), max(FINITE_DIFFERENCES, tol_a.reference))
        row.b_fd = difference(b, fd_b, largest(b, fd_b), max(FINITE_DIFFERENCES, tol_b.reference))
        row.finite_differences = (fd_a, fd_b)
    return row


def _check_outputs(first, other):
    """Raise when two implementations' outputs, (label, shapes), differ in number or shape."""
    (label_a, shapes_a), (label_b, shapes_b) = first, other
    if len(shapes_a) != len(shapes_b):
        raise ValueError(f"compare: the functions return different numbers of outputs: "
                         f"{label_a} {len(shapes_a)}, {label_b} {len(shapes_b)}")
    for k, (a, b) in enumerate(zip(shapes_a, shapes_b, strict=True)):
        if a != b:
            raise ValueError(f"compare: output {k} has different shapes: {label_a} {a}, {label_b} {b}")


def _names(names, count, stem, what) -> list:
    if names is None:
        return [stem] if count == 1 else [f"{stem}{i}" for i in range(count)]
    names = list(names)
    if len(names) != count:
        raise ValueError(f"compare: {len(names)} {what} given for {count} values: {names}")
    return names
