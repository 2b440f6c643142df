import math
import re

import graphviz
import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.annotations import note, region
from tinygrad_bn.viz import draw_graph, retain_grads, to_dot

NODE_LINE = re.compile(r"^\s*(n\d+) \[label=", re.MULTILINE)
EDGE_LINE = re.compile(r"^\s*(n\d+) -> (n\d+)", re.MULTILINE)


def tensor(shape, dtype="float32", requires_grad=True, seed=0):
    values = numpy.random.default_rng(seed).normal(size=shape).astype(dtype)
    return Tensor(values, requires_grad=requires_grad)


def layer(shape, dtype):
    """(x·w + running) · 2: an input, a parameter, a buffer and a constant."""
    x = tensor(shape, dtype, seed=1)
    w = tensor(shape[-1:], dtype, seed=2)
    running = tensor(shape[-1:], dtype, requires_grad=False, seed=3)
    y = (x * w + running) * 2.0
    return x, w, running, y


# What each node shows -------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_kind_of_tensor_is_labelled_and_styled_apart(render, shape, dtype):
    x, w, running, y = layer(shape, dtype)
    picture = render(draw_graph(y, params={"1.weight": w}, buffers=[("running", running)], inputs={"x": x}))
    assert len(picture.nodes) == 8  # x, 1.weight, running, 2, Mul, Add, Mul, output
    assert len(picture.clusters) == 0
    assert len(picture.edges) == 7
    nodes = {
        "input": picture.node("x ("),
        "parameter": picture.node("1.weight"),
        "buffer": picture.node("running"),
        "op": picture.node("Add"),
        "output": picture.node("output"),
    }
    assert f"{shape} {dtype}" in picture.text(picture.nodes[nodes["input"]])
    assert f"({shape[-1]},) {dtype}" in picture.text(picture.nodes[nodes["parameter"]])
    assert f"({shape[-1]},) {dtype}" in picture.text(picture.nodes[nodes["buffer"]])
    assert f"{shape} {dtype}" in picture.text(picture.nodes[nodes["output"]])
    assert len({picture.fill(node) for node in nodes.values()}) == 5
    assert [picture.text(g) for g in picture.nodes.values()].count(f"2 {dtype}") == 1


def test_unnamed_leaves_are_parameters_when_they_require_grad_and_names_come_from_pairs(render):
    x, w, running, y = layer((4, 3), "float32")
    picture = render(draw_graph(y, params=iter([("w", w)])))
    texts = [picture.text(g) for g in picture.nodes.values()]
    assert sum(text.startswith("input ") for text in texts) == 1  # the buffer
    assert sum(text.startswith("parameter ") for text in texts) == 1  # x
    assert picture.fill(picture.node("parameter ")) == picture.fill(picture.node("w "))


def test_a_used_up_generator_of_names_is_an_error_not_a_silent_nothing():
    x, w, running, y = layer((4, 3), "float32")
    names = iter([("w", w)])
    draw_graph(y, params=names)
    with pytest.raises(ValueError, match="params is an iterator that gives nothing"):
        draw_graph(y, params=names)


@pytest.mark.parametrize(("axis", "kept"), [(0, (1, 3)), (1, (4, 1))])
def test_op_nodes_show_params_shape_and_dtype(render, axis, kept):
    x = tensor((4, 3), "float64")
    picture = render(draw_graph(x.sum(axis=axis, keepdims=True)))
    text = picture.label("Sum")
    assert f"axes=({axis},) · keepdims=True" in text
    assert f"{kept} float64" in text


def test_show_shapes_false_hides_shapes():
    x, w, running, y = layer((4, 3), "float32")
    dot = to_dot(y, show_shapes=False)
    assert "float32" not in dot and "(4, 3)" not in dot
    assert "float32" in to_dot(y)


def test_role_titles_the_node_and_keeps_the_op_name(render):
    x = tensor((4, 3))
    mean = note(x.mean(axis=0, keepdims=True), "mean")
    picture = render(draw_graph(mean))
    assert picture.label("mean").startswith("mean Mean · axes=(0,)")


# Ids: unique per tensor, stable between runs -----------------------------------------------


def test_equal_tensors_are_distinct_nodes_and_a_reused_one_is_one():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([1.0, 2.0], requires_grad=True)
    dot = to_dot(a * b)
    assert len(NODE_LINE.findall(dot)) == 4  # a, b, Mul, output
    dot = to_dot(a * a)
    assert len(NODE_LINE.findall(dot)) == 3
    assert EDGE_LINE.findall(dot).count(("n0", "n1")) == 2


def test_ids_are_stable_across_renders_and_rebuilds():
    first = to_dot(layer((4, 3), "float32")[-1])
    rebuilt = layer((4, 3), "float32")[-1]
    assert to_dot(rebuilt) == to_dot(rebuilt) == first
    ids = NODE_LINE.findall(first)
    assert sorted(ids, key=lambda i: int(i[1:])) == [f"n{k}" for k in range(len(ids))]


def test_a_20000_op_chain_renders_to_dot():
    x = Tensor([1.0, -1.0], requires_grad=True)
    y = x
    for _ in range(20_000):
        y = -y
    dot = to_dot(y)
    assert len(NODE_LINE.findall(dot)) == 20_002  # x, 20,000 ops, the output
    edges = EDGE_LINE.findall(dot)
    assert len(edges) == len(set(edges)) == 20_001


# Regions: clusters, and folding ------------------------------------------------------------


def scoped(collapse_inner=False):
    """A 'block' region holding a 'batch_norm' region of three ops, then one op outside."""
    x = tensor((4, 3))
    w = tensor((3,), seed=5)
    with region("block", "block 1"):
        with region("batch_norm", "toy norm"):
            centred = x - x.mean(axis=0, keepdims=True)
            y = centred * w
        z = y.exp()
    return x, w, z.sum()


def test_scopes_are_nested_labelled_clusters(render):
    x, w, loss = scoped()
    picture = render(draw_graph(loss, params={"w": w}, inputs={"x": x}))
    assert len(picture.clusters) == 2
    outer, inner = picture.cluster("block 1"), picture.cluster("toy norm")
    for op in ("Mean", "Sub", "Mul"):
        assert picture.inside(picture.node(op), inner)
    assert picture.inside(picture.node("Exp"), outer)
    assert not picture.inside(picture.node("Exp"), inner)
    assert not picture.inside(picture.node("Sum"), outer)
    # a leaf used only inside a cluster is drawn inside it
    assert picture.inside(picture.node("x "), inner)


@pytest.mark.parametrize("collapse", [("batch_norm",), "batch_norm", ["other", "batch_norm"]])
def test_collapse_folds_each_scope_of_that_kind_into_one_node(render, collapse):
    x, w, loss = scoped()
    picture = render(draw_graph(loss, params={"w": w}, inputs={"x": x}, collapse=collapse))
    assert len(picture.clusters) == 1
    fold = picture.node("toy norm")
    assert picture.text(picture.nodes[fold]) == "toy norm 3 ops folded (4, 3) float32"
    assert picture.inside(fold, picture.cluster("block 1"))
    assert len(picture.nodes) == 6  # x, w, fold, Exp, Sum, output
    # x feeds two ops inside the fold: one edge; the fold feeds Exp
    assert sorted(title for title, _ in picture.edges) == sorted(
        ["n0->n1", "n2->n1", "n1->n3", "n3->n4", "n4->n5"]
    )


def test_collapse_outer_scope_folds_everything_inside_it():
    x, w, loss = scoped()
    dot = to_dot(loss, collapse=("block",))
    assert "subgraph" not in dot
    assert "4 ops folded" in dot


# Gradients, memory, and the routes of x's gradient -----------------------------------------


@pytest.mark.parametrize("shape", [(4, 3), (6,)])
def test_show_grads_shows_each_gradient_norm(render, shape):
    x = tensor(shape, "float64")
    c = tensor(shape, "float64", requires_grad=False, seed=9)
    loss = (x * c).sum()
    before = render(draw_graph(loss, show_grads=True))
    assert "grad norm" not in " ".join(before.text(g) for g in before.nodes.values())
    retain_grads(loss)
    loss.backward()
    picture = render(draw_graph(loss, inputs={"x": x}, show_grads=True))
    # d/dx Σ x·c = c;  d loss/d(x·c) = 1 everywhere
    assert f"grad norm {numpy.linalg.norm(c.numpy()):.4g} · {shape}" in picture.label("x ")
    ones = f"grad norm {math.sqrt(math.prod(shape)):.4g} · {shape}"
    assert ones in picture.label("Mul")
    assert "grad norm 1 · ()" in picture.label("output")


def test_show_grads_leaves_out_nodes_that_kept_no_gradient():
    x = tensor((4, 3))
    loss = (x * 3.0).sum()
    loss.backward()
    dot = to_dot(loss, show_grads=True)
    assert dot.count("grad norm") == 1  # x's only


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_show_saved_draws_each_kept_tensor_once_linked_to_its_keepers(render, dtype):
    a, b = tensor((4, 3), dtype), tensor((4, 3), dtype, seed=1)
    size = 12 * numpy.dtype(dtype).itemsize
    product = a * b
    y = product * a  # keeps product and a: a is kept twice, counted once
    picture = render(draw_graph(y, inputs={"a": a, "b": b}, show_saved=True))
    first, second = product.grad_fn, y.grad_fn
    mul_nodes = sorted(title for title, g in picture.nodes.items() if picture.text(g).startswith("Mul"))
    boxes = {title: picture.text(g) for title, g in picture.nodes.items() if "saved ·" in picture.text(g)}
    assert sorted(text.split(" (")[0] for text in boxes.values()) == ["Mul output", "a", "b"]
    assert all(f"saved · {size} B" in text for text in boxes.values())
    links = {title for title, g in picture.edges if title.split("->")[1] in boxes}
    box = {text.split(" (")[0]: title for title, text in boxes.items()}
    assert links == {f"{mul_nodes[0]}->{box['a']}", f"{mul_nodes[1]}->{box['a']}", f"{mul_nodes[0]}->{box['b']}",
                     f"{mul_nodes[1]}->{box['Mul output']}"}  # each box hangs under the ops that keep it
    assert first is not second
    assert f"the whole graph keeps {3 * size} B for backward" in picture.graph_text()
    assert "keeps nothing" not in " ".join(picture.text(g) for g in picture.nodes.values())


def test_show_saved_totals_each_cluster(render):
    x, w, loss = scoped()
    picture = render(draw_graph(loss, show_saved=True))
    # inside the toy norm only Mul keeps anything: centred (4, 3) and w (3,), float32
    assert "keeps 60 B for backward" in picture.text(picture.clusters[picture.cluster("toy norm")])


def routes():
    """A graph whose nodes are noted with routes, one for all inputs or one per input."""
    x = tensor((4, 3))
    a = note(x.exp(), None, "mu")
    b = note(x * a, None, ("x_hat", "mu"))
    return note((b * b).sum(), None, "var")


def test_edges_of_each_route_of_x_gradient_are_told_apart(render):
    picture = render(draw_graph(routes()))
    colours = picture.edge_colours()
    # x→exp, exp→mul: through μ (orange); x→mul: through x̂ (blue); mul→mul twice: through σ² (purple)
    assert (colours["#e69f00"], colours["#0072b2"], colours["#cc79a7"]) == (2, 1, 1)
    assert colours["#444444"] == 3  # untagged: b into b·b twice, and the sum to the output
    legend = picture.legend_samples()
    assert legend["x's gradient directly through x̂"] == {"stroke": "#0072b2", "stroke-dasharray": None}
    assert legend["x's gradient through μ"]["stroke"] == "#e69f00"
    assert legend["x's gradient through σ²"]["stroke"] == "#cc79a7"
    dashes = {legend[f"x's gradient through {s}"]["stroke-dasharray"] for s in ("μ", "σ²")}
    assert len(dashes) == 2 and None not in dashes  # dashed and dotted, apart in grey too


def test_no_routes_in_the_legend_without_tags():
    assert "through" not in to_dot(layer((4, 3), "float32")[-1])


# Options, errors and the missing Graphviz program -------------------------------------------


@pytest.mark.parametrize("rankdir", ["TB", "LR", "BT", "RL"])
def test_rankdir(rankdir):
    assert f"rankdir={rankdir}" in to_dot(layer((4, 3), "float32")[-1], rankdir=rankdir)


def test_bad_arguments_say_what_was_expected():
    y = layer((4, 3), "float32")[-1]
    with pytest.raises(ValueError, match="rankdir must be one of TB, LR, BT, RL, got 'XY'"):
        draw_graph(y, rankdir="XY")
    with pytest.raises(TypeError, match=r"params must be a dict name -> Tensor or \(name, Tensor\) pairs"):
        draw_graph(y, params=[y])
    with pytest.raises(TypeError, match="buffers must be .* got an item tuple"):
        draw_graph(y, buffers={"running": numpy.zeros(3)})


def test_without_graphviz_dot_text_works_and_images_fail(monkeypatch):
    monkeypatch.setenv("PATH", "")
    y = layer((4, 3), "float32")[-1]
    assert to_dot(y).startswith("digraph {")
    with pytest.raises(graphviz.ExecutableNotFound):
        draw_graph(y).pipe(format="svg")


def test_on_a_device_without_numpy(strict_cuda):
    x = Tensor(numpy.ones((4, 3), dtype="float32"), requires_grad=True, device="cuda")
    loss = (x * x).sum()
    retain_grads(loss)
    loss.backward(retain_graph=True)
    dot = to_dot(loss, show_grads=True, show_saved=True)
    assert "grad norm 6.928 · (4, 3)" in dot  # d/dx Σ x² = 2x = 2, and √(12·4)
    assert "saved · 48 B" in dot


# Whole models ---------------------------------------------------------------------------


def test_model_names_parameters_and_buffers_by_module_path_and_a_bias_before_batch_norm_is_zero(render):
    from tinygrad_bn import nn

    rng = numpy.random.default_rng(3)
    model = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    x = Tensor(rng.normal(size=(8, 5)).astype("float32"))
    loss = (model(x) ** 2).mean()
    loss.backward()
    picture = render(draw_graph(loss, model=model, inputs={"x": x}, output_names="loss", show_grads=True))
    texts = [picture.text(g) for g in picture.nodes.values()]
    for name in ("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "3.weight"):
        assert sum(t.startswith(f"{name} ") for t in texts) == 1, name
    assert not any(t.startswith(("input ", "parameter ")) for t in texts)
    assert picture.label("loss ").startswith("loss ")
    # Σ over the batch of BatchNorm's dx is zero, so the bias just before it gets nothing but rounding
    zero = [t.split(" ")[0] for t in texts if "zero up to rounding" in t]
    assert zero == ["0.bias"]
    assert numpy.linalg.norm(model[0].bias.grad.numpy()) < 1e-5 * numpy.linalg.norm(model[0].weight.grad.numpy())
    stroke = next(e for e in picture.nodes[picture.node("0.bias")].iter() if e.get("stroke")).get("stroke")
    assert stroke == "#d55e00"


def test_a_constant_is_drawn_once_per_use():
    from tinygrad_bn import nn

    model = nn.Sequential(nn.BatchNorm1d(3, impl="composite"), nn.BatchNorm1d(3, impl="composite"))
    dot = to_dot(model(tensor((4, 3))))
    constants = re.findall(r"^\s*(n\d+) \[label=<<B>(2|1e-05)</B>", dot, flags=re.M)
    assert sorted(value for _, value in constants) == ["1e-05", "1e-05", "2", "2"]  # one per BatchNorm
    for node_id, _ in constants:
        assert len(re.findall(rf"^\s*{node_id} -> ", dot, flags=re.M)) == 1
