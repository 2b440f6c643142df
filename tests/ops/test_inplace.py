"""In-place ops: values, versions, the leaf rule, recorded changes gradchecked in float64
(to second order) and compared with PyTorch, and the device rule."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, no_grad
from tinygrad_bn.check import gradcheck, gradgradcheck

rng = numpy.random.default_rng(0)
X = rng.standard_normal((3, 4))
W = rng.standard_normal((3, 4))
ROW = rng.standard_normal(4)

# name -> (in-place change of h by w, the same new value from NumPy's float64 arrays)
CHANGES = {
    "add_": (lambda h, w: h.add_(w), lambda h, w: h + w),
    "add_ alpha": (lambda h, w: h.add_(w, alpha=-0.5), lambda h, w: h - 0.5 * w),
    "sub_": (lambda h, w: h.sub_(w), lambda h, w: h - w),
    "sub_ alpha": (lambda h, w: h.sub_(w, alpha=2.0), lambda h, w: h - 2.0 * w),
    "mul_": (lambda h, w: h.mul_(w), lambda h, w: h * w),
    "div_": (lambda h, w: h.div_(w * w + 1.0), lambda h, w: h / (w * w + 1.0)),
    "+=": (lambda h, w: h.__iadd__(w), lambda h, w: h + w),
    "-=": (lambda h, w: h.__isub__(w), lambda h, w: h - w),
    "*=": (lambda h, w: h.__imul__(w), lambda h, w: h * w),
    "/=": (lambda h, w: h.__itruediv__(w * w + 1.0), lambda h, w: h / (w * w + 1.0)),
    "clamp_ min": (lambda h, w: h.clamp_(min=w), lambda h, w: numpy.maximum(h, w)),
    "clamp_ max": (lambda h, w: h.clamp_(max=w), lambda h, w: numpy.minimum(h, w)),
    "copy_": (lambda h, w: h.copy_(w), lambda h, w: w + 0 * h),
    "copy_ row": (lambda h, w: h.copy_(w[0]), lambda h, w: numpy.broadcast_to(w[0], h.shape) + 0 * h),
    "fill_": (lambda h, w: h.fill_(w[1, 2]), lambda h, w: numpy.full_like(h, w[1, 2])),
    "setitem int": (lambda h, w: h.__setitem__(1, w[0]), lambda h, w: numpy.vstack([h[:1], w[:1], h[2:]])),
    "setitem slice": (lambda h, w: h.__setitem__((slice(None), slice(1, 3)), w[:, :2]),
                      lambda h, w: numpy.hstack([h[:, :1], w[:, :2], h[:, 3:]])),
    "setitem mask": (lambda h, w: h.__setitem__(h > 0, w[0, 0]), lambda h, w: numpy.where(h > 0, w[0, 0], h)),
    "setitem broadcast": (lambda h, w: h.__setitem__(Ellipsis, w[2]), lambda h, w: numpy.broadcast_to(w[2], h.shape)),
    "pow_": (lambda h, w: h.pow_(3), lambda h, w: h**3),
    "lerp_": (lambda h, w: h.lerp_(w, 0.3), lambda h, w: h + 0.3 * (w - h)),
    "lerp_ tensor weight": (lambda h, w: h.lerp_(w[0], w), lambda h, w: h + w * (w[0] - h)),
    "masked_fill_": (lambda h, w: h.masked_fill_(h > 0, w[1, 1]), lambda h, w: numpy.where(h > 0, w[1, 1], h)),
    "index_fill_": (lambda h, w: h.index_fill_(1, h.new_tensor([0, 2]).long(), w[1, 1]),
                    lambda h, w: _columns_set(h, [0, 2], w[1, 1])),
    "fill_diagonal_": (lambda h, w: h.fill_diagonal_(0.5), lambda h, w: _diagonal_set(h, 0.5)),
    "index_copy_": (lambda h, w: h.index_copy_(0, h.new_tensor([2, 0]).long(), w[:2]),
                    lambda h, w: numpy.vstack([w[1:2], h[1:2], w[:1]])),
    "scatter_reduce_ sum": (lambda h, w: h.scatter_reduce_(0, h.new_tensor(SCATTERED).long(), w, "sum"),
                            lambda h, w: _scatter_summed(h, w)),
    "scatter_reduce_ amax": (lambda h, w: h.scatter_reduce_(0, h.new_tensor(SCATTERED).long(), w, "amax",
                                                           include_self=False),
                             lambda h, w: _scatter_maximum(h, w)),
    "index_reduce_ prod": (lambda h, w: h.index_reduce_(0, h.new_tensor([2, 0, 2]).long(), w, "prod"),
                           lambda h, w: numpy.vstack([h[:1] * w[1:2], h[1:2], h[2:] * w[:1] * w[2:]])),
    "index_reduce_ mean": (lambda h, w: h.index_reduce_(0, h.new_tensor([2, 0, 2]).long(), w, "mean",
                                                       include_self=False),
                           lambda h, w: numpy.vstack([w[1:2], h[1:2], (w[:1] + w[2:]) / 2])),
    # unary: w is not used (its gradient is None, in PyTorch too)
    "abs_": (lambda h, w: h.abs_(), lambda h, w: numpy.abs(h)),
    "neg_": (lambda h, w: h.neg_(), lambda h, w: -h),
    "exp_": (lambda h, w: h.exp_(), lambda h, w: numpy.exp(h)),
    "sigmoid_": (lambda h, w: h.sigmoid_(), lambda h, w: 1 / (1 + numpy.exp(-h))),
    "tanh_": (lambda h, w: h.tanh_(), lambda h, w: numpy.tanh(h)),
    "relu_": (lambda h, w: h.relu_(), lambda h, w: numpy.maximum(h, 0)),
}
SCATTERED = [[0, 1, 2, 0], [2, 2, 0, 1], [1, 1, 1, 2]]  # row of the result each row of w goes to, per column


def _columns_set(h, columns, value):
    out = h.copy()
    out[:, columns] = value
    return out


def _diagonal_set(h, value):
    out = h.copy()
    numpy.fill_diagonal(out, value)
    return out


def _scatter_summed(h, w):
    out = h.copy()
    numpy.add.at(out, (numpy.array(SCATTERED), numpy.arange(4)), w)
    return out


def _scatter_maximum(h, w):
    """Each place reached takes the largest w sent there (h itself does not count); the others keep h."""
    out, reached = h.copy(), numpy.zeros(h.shape, bool)
    for i, j in numpy.ndindex(w.shape):
        k = SCATTERED[i][j]
        out[k, j] = w[i, j] if not reached[k, j] else max(out[k, j], w[i, j])
        reached[k, j] = True
    return out


POSITIVE_ONLY = {  # log_ and sqrt_, whose change needs positive values
    "log_": (lambda h: h.log_(), numpy.log),
    "sqrt_": (lambda h: h.sqrt_(), numpy.sqrt),
}


def _host(t):
    """The tensor's values, or None for a gradient that was never computed."""
    return None if t is None else t.detach().numpy()


def _assert_same(ours: list, theirs: list, tolerance: float):
    for a, b in zip(ours, theirs, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            numpy.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


def _value(change, h, w):
    """Apply ``change`` to h (the in-place ops return None for setitem) and return h."""
    change(h, w)
    return h


@pytest.mark.parametrize("name", CHANGES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_changes_the_tensor_itself_and_bumps_its_version(name, dtype):
    change, expected = CHANGES[name]
    h = Tensor(X.astype(dtype))
    alias, before = h.detach(), h._data
    _value(change, h, Tensor(W.astype(dtype)))
    tolerance = 1e-6 if dtype == "float32" else 1e-14
    numpy.testing.assert_allclose(h.numpy(), expected(X, W), rtol=tolerance, atol=tolerance)
    assert h._data is before and h.dtype == dtype
    assert h._version == 1 and alias._version == 1
    numpy.testing.assert_array_equal(alias.numpy(), h.numpy())


@pytest.mark.parametrize("name", CHANGES)
def test_a_recorded_change_is_gradchecked_to_second_order(name):
    change = CHANGES[name][0]

    def f(x, w):
        h = x * 1.5  # a non-leaf: its change is recorded
        change(h, w)
        return h * x

    inputs = [Tensor(X.copy(), requires_grad=True), Tensor(W.copy(), requires_grad=True)]
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


@pytest.mark.parametrize("name", CHANGES)
def test_a_recorded_change_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    change = CHANGES[name][0]
    upstream = rng.standard_normal(X.shape)

    def run(make, x_host, w_host):
        x, w = make(x_host), make(w_host)
        h = x * 1.5
        change(h, w)
        y = h * x
        y.backward(make(upstream))
        return [_host(y), _host(x.grad), _host(w.grad)]

    ours = run(lambda a: Tensor(a.copy(), requires_grad=True), X, W)
    theirs = run(lambda a: torch.tensor(a, requires_grad=True), X, W)
    _assert_same(ours, theirs, 1e-12)


@pytest.mark.parametrize("name", POSITIVE_ONLY)
def test_log_and_sqrt_in_place_change_bump_and_match_pytorch(name):
    torch = pytest.importorskip("torch")
    change, expected = POSITIVE_ONLY[name]
    positive = numpy.abs(X) + 0.5
    h = Tensor(positive.copy())
    change(h)
    numpy.testing.assert_allclose(h.numpy(), expected(positive), rtol=1e-14)
    assert h._version == 1

    def f(x):
        h = x * 1.5
        change(h)
        return h * x

    assert gradcheck(f, Tensor(positive.copy(), requires_grad=True))
    assert gradgradcheck(f, Tensor(positive.copy(), requires_grad=True))
    x, tx = Tensor(positive.copy(), requires_grad=True), torch.tensor(positive, requires_grad=True)
    y, ty = f(x), f(tx)
    y.backward(Tensor(W))
    ty.backward(torch.tensor(W))
    _assert_same([_host(y), _host(x.grad)], [_host(ty), _host(tx.grad)], 1e-12)


def test_under_no_grad_a_parameter_changes_and_stays_a_leaf_that_requires_grad():
    p = Tensor(X.copy(), requires_grad=True)
    (p * p).sum().backward()
    with no_grad():
        p -= 0.1 * p.grad
        p.mul_(2.0)
    numpy.testing.assert_allclose(p.numpy(), 2.0 * (X - 0.1 * 2.0 * X))
    assert p.is_leaf and p.requires_grad and p.grad_fn is None and p._version == 2


@pytest.mark.parametrize("name", CHANGES)
def test_in_grad_mode_a_leaf_that_requires_grad_is_refused_as_in_pytorch(name):
    p = Tensor(X.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        CHANGES[name][0](p, Tensor(W))
    numpy.testing.assert_array_equal(p.numpy(), X)
    assert p._version == 0


def test_a_leaf_without_grad_takes_a_value_that_requires_grad_and_joins_the_graph():
    w = Tensor(W.copy(), requires_grad=True)
    buffer = Tensor(numpy.zeros((3, 4)))
    buffer[1] = w[0] * 2.0
    assert buffer.grad_fn is not None and buffer.requires_grad
    buffer.sum().backward()
    expected = numpy.zeros((3, 4))
    expected[0] = 2.0
    numpy.testing.assert_array_equal(w.grad.numpy(), expected)


def test_the_gradient_of_a_custom_backward_is_masked_in_place():
    grad_output = Tensor(W.copy())
    grad_input = grad_output.clone()
    grad_input[Tensor(X) < 0] = 0
    numpy.testing.assert_array_equal(grad_input.numpy(), numpy.where(X < 0, 0.0, W))
    numpy.testing.assert_array_equal(grad_output.numpy(), W)


def test_changes_through_data_are_seen_by_the_tensor_but_not_counted():
    p = Tensor(X.copy(), requires_grad=True)
    p.data.mul_(0.5)
    p.data.zero_()
    numpy.testing.assert_array_equal(p.numpy(), numpy.zeros_like(X))
    assert p._version == 0


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda h: h.add_(Tensor(numpy.ones((2, 3, 4)))), "does not fit the tensor of shape"),
        (lambda h: h.__setitem__(0, Tensor(numpy.ones(3))), "cannot be broadcast to the indexed part"),
        (lambda h: h.fill_(Tensor(numpy.ones(2))), "fill_ expects a number or a 0-d tensor"),
        (lambda h: h.clamp_(Tensor(numpy.zeros(4)), Tensor(numpy.ones(4))), "at most one bound as a Tensor"),
    ],
    ids=["broadcast bigger", "setitem shape", "fill_ shape", "two tensor bounds"],
)
def test_misfits_are_refused_and_leave_the_tensor_as_it_was(change, message):
    h = Tensor(X.copy())
    with pytest.raises((RuntimeError, TypeError), match=message):
        change(h)
    numpy.testing.assert_array_equal(h.numpy(), X)
    assert h._version == 0


def test_a_float_result_is_not_truncated_into_an_integer_tensor():
    counts = Tensor(numpy.arange(3))
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the tensor's type int64"):
        counts += 0.5
    counts += 2
    assert counts.tolist() == [2, 3, 4] and counts.dtype == "int64"


def test_recording_a_change_of_a_viewed_tensor_is_refused():
    x = Tensor(X.copy(), requires_grad=True)
    h = x * 2.0
    flat = h.reshape(-1)
    with pytest.raises(RuntimeError, match="shares its storage with a view"):
        flat += 1.0
    with pytest.raises(RuntimeError, match="shares its storage with a view"):
        h += 1.0
    with no_grad():  # not recorded: the view writes through, as in PyTorch, and both see the version
        flat += 1.0
    numpy.testing.assert_array_equal(h.numpy(), 2.0 * X + 1.0)
    assert h._version == flat._version == 1


def test_a_recorded_mul_keeps_the_old_value_its_backward_needs():
    x = Tensor(X.copy(), requires_grad=True)
    w = Tensor(W.copy(), requires_grad=True)
    h = x + 0.0
    h *= w
    h *= w
    h.backward(Tensor(numpy.ones_like(X)))
    numpy.testing.assert_allclose(w.grad.numpy(), 2.0 * X * W)
    numpy.testing.assert_allclose(x.grad.numpy(), W * W)


@pytest.mark.parametrize("name", CHANGES)
def test_on_the_strict_device_as_on_the_cpu(strict_cuda, name):
    change = CHANGES[name][0]

    def run(device):
        x = Tensor(X.copy(), requires_grad=True, device=device)
        w = Tensor(W.copy(), requires_grad=True, device=device)
        h = x * 1.5
        change(h, w)
        h.backward(Tensor(ROW * numpy.ones((3, 1)), device=device))
        return [_host(h), _host(x.grad), _host(w.grad)]

    _assert_same(run("cuda"), run("cpu"), 1e-14)


@pytest.mark.parametrize("shape, wrap", [((5, 3), True), ((5, 3), False), ((3, 5), True), ((7, 2), True),
                                         ((3, 3, 3), False), ((2, 2, 2, 2), True)])
def test_fill_diagonal_fills_pytorchs_places(shape, wrap):
    torch = pytest.importorskip("torch")
    ours = Tensor(numpy.zeros(shape)).fill_diagonal_(1.0, wrap=wrap)
    theirs = torch.zeros(shape, dtype=torch.float64).fill_diagonal_(1.0, wrap=wrap)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("shape", [(3,), (2, 3, 2)])
def test_fill_diagonal_needs_a_matrix_or_equal_sides_as_pytorch(shape):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.zeros(shape).fill_diagonal_(1.0)
    with pytest.raises(RuntimeError, match=r"a matrix, or a tensor whose sides are all equal, got shape \("):
        Tensor(numpy.zeros(shape)).fill_diagonal_(1.0)


@pytest.mark.parametrize("change", [lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.copy_(t.clone()),
                                    lambda t: t.clamp_(0.5), lambda t: t.exp_()])
def test_writing_into_an_expanded_tensor_is_refused_as_pytorchs(torch, change):
    for framework in (tg, torch):
        expanded = framework.zeros(1, 3).expand(2, 3)
        with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single"):
            change(expanded)


@pytest.mark.parametrize("accumulate", [False, True])
def test_put_and_put_are_pytorchs_with_their_gradients(torch, accumulate):
    index = [-1, 0, 4, 0] if accumulate else [-1, 0, 4]
    results = []
    for framework in (tg, torch):
        x = framework.tensor(numpy.arange(6.0).reshape(2, 3), requires_grad=True)
        source = framework.tensor(numpy.linspace(1.0, 2.0, len(index)), requires_grad=True)
        y = framework.put(x, framework.tensor(index), source, accumulate)
        (y * framework.tensor(numpy.arange(6.0).reshape(2, 3) + 1)).sum().backward()
        changed = framework.zeros(2, 3, dtype=framework.float64).put_(framework.tensor(index), source.detach(),
                                                                        accumulate=accumulate)
        results.append([y.detach().numpy(), x.grad.numpy(), source.grad.numpy(), changed.numpy()])
    for ours, theirs in zip(*results, strict=True):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_put_refuses_what_pytorch_refuses(torch):
    for framework in (tg, torch):
        with pytest.raises(IndexError):
            framework.zeros(2, 3).put_(framework.tensor([6]), framework.tensor([1.0]))
        with pytest.raises(IndexError):
            framework.zeros(2, 3).put_(framework.tensor([1, 2]), framework.tensor([1.0]))
