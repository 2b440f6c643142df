"""Notes for pictures kept beside the graph: regions, roles and routes, and the core's one hook."""

import gc
import weakref

import pytest

from tinygrad_bn import Function, Tensor, nn
from tinygrad_bn.annotations import note, of, region, regions
from tinygrad_bn.autograd import custom
from tinygrad_bn.autograd.function import on_record


def test_regions_nest_and_hold_the_nodes_recorded_inside():
    x = Tensor([1.0], requires_grad=True)
    with region("block", "outer") as outer:
        y = x * 2.0
        with region("block", "inner") as inner:
            z = y.exp()
            assert regions() == (outer, inner)
    w = z + 1.0
    assert of(y.grad_fn).regions == (outer,) and of(z.grad_fn).regions == (outer, inner)
    assert of(w.grad_fn).regions == () and regions() == ()
    assert (outer.kind, outer.label, region("kind").region.label) == ("block", "outer", "kind")


def test_the_hook_is_set_only_inside_a_region_and_put_back_after_an_error():
    assert on_record(None) is None
    with pytest.raises(ZeroDivisionError):
        with region("block"):
            hook = on_record(None)
            assert hook is not None
            on_record(hook)
            raise ZeroDivisionError
    assert on_record(None) is None and regions() == ()


def test_a_custom_function_is_noted_like_a_primitive():
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, grad):
            return grad * 2.0

    x = Tensor([1.0], requires_grad=True)
    with region("block") as block:
        y = Double.apply(x)
    assert isinstance(y.grad_fn, custom.CustomNode) and of(y.grad_fn).regions == (block,)


@pytest.mark.parametrize("path, routes", [("mu", ("mu", "mu")), (("x_hat", "var"), ("x_hat", "var"))])
def test_note_gives_a_role_and_a_route_per_input(path, routes):
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = note(x * x, "square", path)
    assert of(y.grad_fn).role == "square" and (of(y.grad_fn).route(0), of(y.grad_fn).route(1)) == routes
    assert note(Tensor([1.0]), "leaf") is not None  # a tensor without a node is left as it is


def test_a_note_does_not_keep_its_node_alive():
    x = Tensor([1.0], requires_grad=True)
    with region("block"):
        y = note(x * 2.0, "double")
    node = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert node() is None


def test_the_core_keeps_no_display_attributes():
    x = Tensor([1.0], requires_grad=True)
    with region("block"):
        y = note(x * 2.0, "double", "mu")
    assert not {"scope", "role", "path"} & set(vars(y.grad_fn))
    assert not {"scope", "role", "path"} & set(vars(Function))


def test_a_module_records_its_forward_in_a_region_it_owns():
    layer = nn.Linear(2, 3)
    y = layer(Tensor([[1.0, 2.0]]))
    (frame,) = of(y.grad_fn).regions
    assert (frame.kind, frame.label, frame.owner) == ("module", "Linear", layer)
