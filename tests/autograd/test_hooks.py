"""Tensor hooks: called once per backward with the summed gradient, chained, able to
replace it; on leaves before accumulation; removable; checked; as PyTorch's."""

import gc

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import hooks


def test_a_hook_sees_the_summed_gradient_and_its_result_flows_on():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    ((y * y).sum() + y.sum()).backward()  # dL/dy = 2y + 1 = [7, 13]
    assert seen == [[7.0, 13.0]]
    assert x.grad.tolist() == [210.0, 390.0]  # 3 · 10 · (2y + 1)


def test_hooks_run_in_order_each_on_the_last_result_and_retain_grad_keeps_the_final():
    x = tg.tensor([1.0, -1.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    calls = []
    y.register_hook(lambda g: calls.append(("first", g.tolist())) or g + 1)
    y.register_hook(lambda g: calls.append(("second", g.tolist())))
    y.sum().backward()
    assert calls == [("first", [1.0, 1.0]), ("second", [2.0, 2.0])]
    assert y.grad.tolist() == [2.0, 2.0]
    assert x.grad.tolist() == [4.0, 4.0]


def test_a_leaf_hook_runs_once_on_the_sum_of_all_paths_before_accumulation():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()) or g + 1)
    (x * 2 + x * 3).sum().backward()
    assert seen == [[5.0, 5.0]]
    assert x.grad.tolist() == [6.0, 6.0]


def test_hooks_also_shape_what_grad_returns():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g + 1)
    w = x * 1
    w.register_hook(lambda g: g * 100)
    (dw,) = tg.autograd.grad((w * 2).sum(), w, retain_graph=True)
    (dx,) = tg.autograd.grad((w * 2).sum(), x)
    assert dw.tolist() == [200.0, 200.0]
    assert dx.tolist() == [201.0, 201.0]


def test_a_removed_hook_is_not_called_and_removing_twice_is_harmless():
    x = tg.tensor([1.0], requires_grad=True)
    handle = x.register_hook(lambda g: pytest.fail("a removed hook was called"))
    handle.remove()
    handle.remove()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]
    with x.register_hook(lambda g: g * 0):
        pass  # leaving the block removes it
    (x * 2).sum().backward()
    assert x.grad.tolist() == [4.0]


def test_post_accumulate_grad_hook_sees_the_accumulated_grad():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    p.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (p * 3).sum().backward()
    (p * 3).sum().backward()
    assert seen == [[3.0, 3.0], [6.0, 6.0]]


@pytest.mark.parametrize("returned, error", [
    (lambda g: tg.ones(3), RuntimeError),
    (lambda g: g.double(), RuntimeError),
    (lambda g: g.numpy(), TypeError),
])
def test_a_hook_that_changes_shape_or_dtype_or_returns_no_tensor_fails_clearly(returned, error):
    x = tg.ones(2, requires_grad=True)
    x.register_hook(returned)
    with pytest.raises(error, match="hook '<lambda>'"):
        (x * 1).sum().backward()


@pytest.mark.parametrize("register", ["register_hook", "register_post_accumulate_grad_hook"])
def test_hooks_need_a_tensor_that_requires_grad(register):
    with pytest.raises(RuntimeError, match="require"):
        getattr(tg.tensor([1.0]), register)(lambda g: None)
    with pytest.raises(TypeError, match="callable"):
        tg.tensor([1.0], requires_grad=True).register_hook("not a function")


def test_a_leafs_hooks_are_forgotten_with_the_leaf():
    before = len(hooks._leaf_hooks)
    x = tg.ones(2, requires_grad=True)
    x.register_hook(lambda g: None)
    assert len(hooks._leaf_hooks) == before + 1
    del x
    gc.collect()
    assert len(hooks._leaf_hooks) == before


def test_hooked_gradients_are_differentiable_under_create_graph():
    x = tg.tensor([2.0], requires_grad=True)
    y = x * x
    y.register_hook(lambda g: g * x)  # dL/dy · x, itself a function of x
    (dx,) = tg.autograd.grad(y.sum(), x, create_graph=True)  # (1 · x) · 2x = 2x²
    (ddx,) = tg.autograd.grad(dx.sum(), x)
    assert dx.item() == 8.0
    assert ddx.item() == 8.0  # d(2x²)/dx = 4x


def _scenario(t):
    """Hooks on leaves and inner tensors of a small network, run in ``t`` (tinygrad_bn or torch)."""
    rng = numpy.random.default_rng(0)
    x = t.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = t.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    seen = []
    w.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
    hidden = (x @ w).tanh()
    hidden.retain_grad()
    hidden.register_hook(lambda g: seen.append(g.numpy().copy()) or g.clamp(min=-0.1))
    (hidden ** 2).sum().backward()
    return [*seen, x.grad.numpy(), w.grad.numpy(), hidden.grad.numpy()]


def test_hooks_match_pytorch(torch):
    for ours, theirs in zip(_scenario(tg), _scenario(torch), strict=True):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-12)


def _hook_order(t):
    """The order in which the parameters' post-accumulate hooks fire in an MLP's
    backward, and which gradients were set by then."""
    t.manual_seed(0)
    model = t.nn.Sequential(t.nn.Linear(3, 4), t.nn.ReLU(), t.nn.Linear(4, 2))
    order = []
    for name, p in model.named_parameters():
        p.register_post_accumulate_grad_hook(
            lambda leaf, name=name: order.append((name, [q.grad is not None for q in model.parameters()])))
    model(t.ones(5, 3)).sum().backward()
    return order


def test_a_leafs_hooks_run_as_soon_as_its_gradient_is_whole():
    order = dict(_hook_order(tg))
    assert order["2.weight"][:2] == [False, False]  # the last layer's, while the first layer's are still to come
    assert order["0.weight"] == [True] * 4 or order["0.bias"] == [True] * 4


def test_leaf_hooks_fire_in_pytorchs_order(torch):
    assert _hook_order(tg) == _hook_order(torch)
