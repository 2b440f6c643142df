"""Inference mode (tinygrad_bn/autograd/inference.py): is_inference_mode_enabled() and
Tensor.is_inference() where PyTorch's are, in a block, a decorated function and
inference_mode(False), against PyTorch's answers."""

import threading

import pytest

import tinygrad_bn
from tinygrad_bn.autograd import inference


def _modes(framework):
    """(is_inference_mode_enabled(), is_grad_enabled()) at each step of using inference_mode."""
    seen = [(framework.is_inference_mode_enabled(), framework.is_grad_enabled())]

    def now():
        seen.append((framework.is_inference_mode_enabled(), framework.is_grad_enabled()))

    with framework.inference_mode():
        now()
        with framework.inference_mode(False):
            now()
        with framework.no_grad():
            now()
        now()
    now()
    with framework.no_grad(), framework.inference_mode(False):
        now()

    @framework.inference_mode()
    def called():
        now()

    @framework.inference_mode
    def bare():
        now()

    framework.inference_mode()  # making the switch switches nothing
    now()
    called(), bare()
    now()
    return seen


def test_the_mode_is_on_where_pytorchs_is(torch):
    expected = [(False, True), (True, False), (False, True), (True, False), (True, False), (False, True),
                (False, True), (False, True), (True, False), (True, False), (False, True)]
    assert _modes(tinygrad_bn) == _modes(torch) == expected


def _inference_tensors(framework):
    """is_inference() of tensors made outside, inside and after inference mode."""
    outside = framework.ones(2)
    with framework.inference_mode():
        made = {"op": outside * 2, "factory": framework.zeros(3), "tensor": framework.tensor([1.0]),
                "reduction": outside.sum(), "used inside": outside}
        with framework.inference_mode(False):
            made["inference_mode(False)"] = outside + 1
            made["op on an inference tensor, inference_mode(False)"] = made["op"] + 1
    made["outside"] = outside
    made["op on an inference tensor, after"] = made["op"] * 3
    made["clone, after"] = made["factory"].clone()
    made["torch.is_inference"] = framework.is_inference(made["op"])

    @framework.inference_mode()
    def decorated():
        return framework.ones(1)

    made["made in a decorated function"] = decorated()
    return {name: t if isinstance(t, bool) else t.is_inference() for name, t in made.items()}


def test_tensors_made_in_inference_mode_are_inference_tensors(torch):
    ours = _inference_tensors(tinygrad_bn)
    assert ours == _inference_tensors(torch)
    assert [name for name, inference in ours.items() if inference] == [
        "op", "factory", "tensor", "reduction", "torch.is_inference", "made in a decorated function"]


def test_nothing_is_recorded_and_requires_grad_is_false_inside():
    x = tinygrad_bn.ones(2, requires_grad=True)
    with tinygrad_bn.inference_mode():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None and y.is_inference()


@pytest.mark.parametrize("raised", [False, True])
def test_the_mode_is_put_back_after_an_exception(raised):
    try:
        with tinygrad_bn.inference_mode():
            if raised:
                raise KeyError
    except KeyError:
        pass
    assert not tinygrad_bn.is_inference_mode_enabled() and tinygrad_bn.is_grad_enabled()
    assert inference.entered == 0


def test_the_count_of_threads_in_the_mode_follows_nesting_and_other_threads():
    assert inference.entered == 0
    with tinygrad_bn.inference_mode():
        with tinygrad_bn.inference_mode():
            assert inference.entered == 1
            with tinygrad_bn.inference_mode(False):
                assert inference.entered == 0 and not tinygrad_bn.ones(1).is_inference()
            assert inference.entered == 1
        counts = []
        thread = threading.Thread(target=lambda: counts.append(tinygrad_bn.inference_mode()(
            lambda: (inference.entered, tinygrad_bn.ones(1).is_inference()))()))
        thread.start()
        thread.join()
        assert counts == [(2, True)] and inference.entered == 1
    assert inference.entered == 0


def test_the_mode_is_per_thread():
    seen = []
    with tinygrad_bn.inference_mode():
        thread = threading.Thread(target=lambda: seen.append(
            (tinygrad_bn.is_inference_mode_enabled(), tinygrad_bn.ones(1).is_inference())))
        thread.start()
        thread.join()
    assert seen == [(False, False)]


def test_is_inference_mode_enabled_is_exported_where_pytorchs_is(torch):
    assert tinygrad_bn.is_inference_mode_enabled is tinygrad_bn.autograd.is_inference_mode_enabled
    assert "is_inference_mode_enabled" in tinygrad_bn.autograd.__all__
    assert hasattr(torch, "is_inference_mode_enabled") and hasattr(torch, "is_inference")


def test_an_inference_tensor_saved_for_backward_is_refused_as_pytorchs(torch):
    for framework in (tinygrad_bn, torch):
        layer = framework.nn.Linear(3, 1)
        with framework.inference_mode():
            a = layer(framework.ones(2, 3))
        weight = framework.ones(1, requires_grad=True)
        with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
            a * weight  # the product keeps a for weight's gradient
        (a + weight).sum().backward()  # a sum keeps nothing: allowed
        (a.clone() * weight).sum().backward()  # a clone is an ordinary tensor
        assert weight.grad.item() == pytest.approx(2 + float(a.sum()))


def test_a_custom_function_may_not_save_an_inference_tensor_as_in_pytorch(torch):
    for framework in (tinygrad_bn, torch):
        class Product(framework.autograd.Function):
            @staticmethod
            def forward(ctx, a, w):
                ctx.save_for_backward(a, w)
                return a * w

            @staticmethod
            def backward(ctx, g):
                a, w = ctx.saved_tensors
                return g * w, g * a

        with framework.inference_mode():
            a = framework.ones(2) * 2
        w = framework.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
            Product.apply(a, w)
        with framework.no_grad():  # nothing recorded, nothing kept
            assert Product.apply(a, w).tolist() == [2.0, 4.0]


def test_a_number_first_used_in_inference_mode_can_be_saved_later():
    """Numbers are lifted to cached constants: one made inside the mode is shared outside it."""
    with tinygrad_bn.inference_mode():
        tinygrad_bn.ones(2) * 1.375
    x = tinygrad_bn.tensor([1.0, 2.0], requires_grad=True)
    (x * 1.375).pow(2).sum().backward()  # the product keeps the constant 1.375 for x's gradient
    assert x.grad.tolist() == [2 * 1.375**2, 4 * 1.375**2]
