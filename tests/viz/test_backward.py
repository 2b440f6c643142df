"""The backward graph: what the engine records under create_graph=True, grouped
under the forward node each op differentiates."""

import re

import numpy
import pytest

from tinygrad_bn import Tensor, nn
from tinygrad_bn.viz import draw_graph

SVG = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"
STEPS = ("scale", "normalize", "sqrt", "variance", "square", "centre", "mean")


def bn_backward(render, impl, shape=(4, 3), training=True):
    rng = numpy.random.default_rng(0)
    x = Tensor(rng.normal(size=shape).astype("float32"), requires_grad=True)
    bn = nn.BatchNorm1d(shape[1], impl=impl).train(training)
    dy = Tensor(rng.normal(size=shape).astype("float32"))
    return render(draw_graph(bn(x), model=bn, inputs={"x": x}, backward=True, grad_outputs=dy))


def cluster_of(picture, node: str) -> list:
    """The titles of the clusters ``node`` is drawn inside, outermost first."""
    inside = [title for title in picture.clusters if picture.inside(node, title)]
    return [picture.text(picture.clusters[title]).split(" ")[0:2] for title in inside]


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5)])
def test_composite_backward_is_grouped_under_each_forward_step(render, shape):
    picture = bn_backward(render, "composite", shape)
    titles = [picture.text(g) for g in picture.clusters.values()]
    for step in STEPS:
        (cluster,) = [t for t in titles if t.startswith(f"∂ {step} ")]
    assert sum(t.startswith("∂ ") for t in titles) >= len(STEPS)
    outer = picture.cluster("BatchNorm1d · composite")
    for title in picture.clusters:
        if title != outer:
            assert picture.inside(next(n for n in picture.nodes if picture.inside(n, title)), outer)
    # each backward cluster carries its local formula: (B3), (B2) under scale, (B4) under normalize
    assert "(B3) dx̂ = dy·γ" in picture.text(picture.clusters[picture.cluster("∂ scale")])
    assert "(B4)" in picture.text(picture.clusters[picture.cluster("∂ normalize")])


def test_composite_backward_reads_forward_values_as_named_boxes(render):
    picture = bn_backward(render, "composite")
    kept = [picture.text(g) for g in picture.nodes.values() if "kept by forward" in picture.text(g)]
    names = sorted(text.split(" (")[0] for text in kept)
    assert names == ["weight", "x − μ", "x̂", "√(σ² + ε)"]
    assert any(text.startswith("x − μ (4, 3) float32 kept by forward · 48 B") for text in kept)


def test_composite_backward_shows_the_engine_adding_fanned_out_gradients(render):
    picture = bn_backward(render, "composite")
    accumulate = [n for n, g in picture.nodes.items() if picture.text(g).startswith("accumulate")]
    assert len(accumulate) == 2  # at x − μ (square, normalize) and at x (centre, mean)
    into = {title.split("->")[1] for title, _ in picture.edges}
    assert all(n in into for n in accumulate)
    dx = picture.node("dx ")
    assert any(title == f"{n}->{dx}" for n in accumulate for title, _ in picture.edges)


@pytest.mark.parametrize("training", [True, False])
def test_fused_backward_is_the_closed_form(render, training):
    picture = bn_backward(render, "fused", training=training)
    (cluster,) = [t for t in picture.clusters if picture.text(picture.clusters[t]).startswith("∂ BatchNorm (fused)")]
    assert picture.label("(B1) dβ = Σ dy").startswith("dβ Sum")
    assert picture.label("(B2) dγ = Σ dy·x̂").startswith("dγ Sum")
    dx_node = next(n for n, g in picture.nodes.items() if picture.text(g).startswith("dx ") and "Mul" in
                   picture.text(g))
    assert "(B7)" in picture.text(picture.nodes[dx_node])
    for node in (picture.node("(B1)"), picture.node("(B2)"), dx_node):
        assert picture.inside(node, cluster)
    outputs = sorted(picture.text(g).split(" ")[0] for g in picture.nodes.values()
                     if picture.text(g).split(" ")[0] in ("dx", "dweight", "dbias") and "Mul" not in picture.text(g))
    assert outputs == ["dbias", "dweight", "dx"]


def test_every_node_tooltip_is_a_formula_not_an_id(render):
    picture = bn_backward(render, "composite")
    for title, g in picture.nodes.items():
        tooltip = next(a.get(XLINK_TITLE) for a in g.iter(f"{SVG}a"))
        assert tooltip and not re.fullmatch(r"n\d+", tooltip), title
    normalize_ops = [g for g in picture.nodes.values() if picture.text(g).startswith("Div")]
    assert any("da = g/b" in next(a.get(XLINK_TITLE) for a in g.iter(f"{SVG}a")) for g in normalize_ops)


def test_backward_of_a_simple_product_names_its_gradient_and_its_upstream(render):
    w = Tensor([[1.0, 2.0]], requires_grad=True)
    x = Tensor([[3.0, 4.0]])
    picture = render(draw_graph(w * x, params={"w": w}, inputs={"x": x}, backward=True))
    texts = [picture.text(g) for g in picture.nodes.values()]
    assert any(t.startswith("dw ") for t in texts) and any(t.startswith("dy ") for t in texts)
    (mul,) = [n for n, g in picture.nodes.items() if picture.text(g).startswith("Mul")]
    assert picture.inside(mul, picture.cluster("∂ Mul"))
