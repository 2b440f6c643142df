"""Module hooks: forward pre-hooks and hooks (with_kwargs, prepend, always_call), full
backward hooks and pre-hooks, removal; the same calls and gradients as PyTorch."""

import pytest

import tinygrad_bn as tg


def _linear(t):
    layer = t.nn.Linear(3, 2)
    with t.no_grad():
        layer.weight.copy_(t.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        layer.bias.copy_(t.tensor([0.5, -0.5]))
    return layer


def _all_four(t):
    """Every kind of hook on one Linear; what each saw, the output and the gradients."""
    layer, log = _linear(t), []
    x = t.tensor([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]], requires_grad=True)
    handles = [
        layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,)),
        layer.register_forward_hook(lambda m, args, out: out + 1),
        layer.register_full_backward_pre_hook(lambda m, go: log.append(("pre", go[0].tolist())) or (go[0] * 3,)),
        layer.register_full_backward_hook(lambda m, gi, go: log.append(("full", gi[0].tolist(), go[0].tolist()))),
    ]
    y = layer(x)
    (y * t.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    for handle in handles:
        handle.remove()
    return [y.tolist(), *log, x.grad.tolist(), layer.weight.grad.tolist(), layer(x).tolist()]


def test_every_kind_of_module_hook_by_hand():
    y, pre, full, x_grad, weight_grad, after_removal = _all_four(tg)
    assert y == [[-2.5, -3.5], [9.5, 26.5]]  # W (2x) + b + 1
    assert pre == ("pre", [[1.0, 2.0], [3.0, 4.0]])
    assert full[2] == [[3.0, 6.0], [9.0, 12.0]]  # grad_output as the pre-hook left it
    assert full[1] == [[27.0, 36.0, 45.0], [57.0, 78.0, 99.0]]  # (3 G) W, the gradient of 2x
    assert x_grad == [[54.0, 72.0, 90.0], [114.0, 156.0, 198.0]]  # through the pre-hook's doubling
    assert weight_grad == [[42.0, 18.0, -6.0], [60.0, 24.0, -12.0]]  # (3 G)ᵀ (2x)
    assert after_removal == [[-1.5, -2.5], [4.5, 12.5]]


def test_module_hooks_match_pytorch(torch):
    assert _all_four(tg) == _all_four(torch)


def _several(t):
    log = []

    class Two(t.nn.Module):
        def forward(self, a, b, scale=1.0):
            return a * b * scale, a + b

    module = Two()
    module.register_forward_pre_hook(lambda m, args, kwargs: (args, {"scale": 10.0}), with_kwargs=True)
    module.register_forward_hook(lambda m, args, kwargs, out: log.append(("kwargs", kwargs)), with_kwargs=True)
    module.register_forward_hook(lambda *args: log.append("appended"))
    module.register_forward_hook(lambda *args: log.append("prepended"), prepend=True)
    module.register_full_backward_hook(
        lambda m, gi, go: log.append(("full", [g.tolist() for g in gi], [g.tolist() for g in go])))
    a = t.tensor([1.0, 2.0], requires_grad=True)
    b = t.tensor([3.0, 4.0], requires_grad=True)
    p, q = module(a, b, scale=2.0)
    (p * 2 + q * 3).sum().backward()
    return [*log, a.grad.tolist(), b.grad.tolist()]


def test_several_inputs_and_outputs_kwargs_and_order_match_pytorch(torch):
    assert _several(tg) == _several(torch)


def test_several_inputs_and_outputs_by_hand():
    log = _several(tg)
    assert log[:3] == ["prepended", ("kwargs", {"scale": 10.0}), "appended"]
    # p = 10ab, q = a + b; L = 2p + 3q: dL/da = 20b + 3, dL/db = 20a + 3
    assert log[3] == ("full", [[63.0, 83.0], [23.0, 43.0]], [[2.0, 2.0], [3.0, 3.0]])
    assert log[4:] == [[63.0, 83.0], [23.0, 43.0]]


def test_a_backward_hook_can_replace_grad_input():
    layer = _linear(tg)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    x = tg.ones(2, 3, requires_grad=True)
    layer(x).sum().backward()
    assert x.grad.tolist() == [[0.0] * 3] * 2
    assert layer.weight.grad.tolist() == [[2.0] * 3] * 2  # the parameters are not the hook's


def test_inputs_without_gradient_give_none_and_a_warning():
    layer, seen = _linear(tg), []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append(gi))
    with pytest.warns(UserWarning, match="no input requires a gradient"):
        layer(tg.ones(1, 3)).sum().backward()
    assert seen == [(None,)]


def test_always_call_runs_the_hook_when_forward_raises():
    class Failing(tg.nn.Module):
        def forward(self, x):
            raise ValueError("bad input")

    module, seen = Failing(), []
    module.register_forward_hook(lambda m, args, out: seen.append(out), always_call=True)
    module.register_forward_hook(lambda m, args, out: seen.append("not always"))
    with pytest.raises(ValueError, match="bad input"):
        module(tg.ones(1))
    assert seen == [None]


def test_feature_extraction_from_an_inner_layer():
    net = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.ReLU(), tg.nn.Linear(4, 1))
    features = {}
    net[1].register_forward_hook(lambda m, args, out: features.setdefault("relu", out))
    net(tg.ones(5, 3))
    assert features["relu"].shape == (5, 4) and features["relu"].min().item() >= 0


def test_bad_hooks_fail_clearly():
    layer = _linear(tg)
    with pytest.raises(TypeError, match="callable"):
        layer.register_forward_hook(None)
    layer.register_forward_pre_hook(lambda m, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"tuple \(args, kwargs\)"):
        layer(tg.ones(1, 3))
    other = _linear(tg)
    other.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="tuple of 1 gradients"):
        other(tg.ones(1, 3, requires_grad=True)).sum().backward()


def _unused_output(t):
    """A module of two outputs of which the loss uses one: what the backward hooks see."""

    class Mix(t.nn.Module):
        def forward(self, h, y):
            return h * y, h.sum()

    module, seen = Mix(), []
    module.register_full_backward_pre_hook(lambda m, go: seen.append([g is None for g in go]))
    module.register_full_backward_hook(
        lambda m, gi, go: seen.append([None if g is None else g.tolist() for g in (*gi, *go)]))
    h = t.tensor([1.0, 2.0], requires_grad=True)
    y = t.tensor([3.0, 4.0], requires_grad=True)
    product, _ = module(h, y)
    product.mean().backward()
    return seen


def test_an_output_no_gradient_reached_shows_none():
    pre, full = _unused_output(tg)
    assert pre == [False, True]
    assert full == [[1.5, 2.0], [0.5, 1.0], [0.5, 0.5], None]  # dL/dh = y/2, dL/dy = h/2; the sum unused


def test_an_output_no_gradient_reached_as_in_pytorch(torch):
    assert _unused_output(tg) == _unused_output(torch)
