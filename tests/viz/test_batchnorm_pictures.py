"""The pictures of the two BatchNorm twins: what a reader of docs/visualization.md relies on."""

import re

import numpy
import pytest

from tinygrad_bn import Function, Tensor, nn
from tinygrad_bn.annotations import of
from tinygrad_bn.autograd.graph import saved_bytes
from tinygrad_bn.viz import draw_graph, retain_grads, topological_order

STEPS = ("mean", "centre", "square", "variance", "add eps", "sqrt", "normalize", "scale", "shift")
ROUTE_COLOURS = ("#0072b2", "#e69f00", "#cc79a7")  # through x̂, μ, σ²: Okabe–Ito blue, orange, reddish purple
SHAPES = [(4, 3), (2, 3, 5), (2, 3, 4, 4)]


def run(impl, shape, training=True, **options):
    module = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(shape[1], impl=impl, **options)
    module.train(training)
    rng = numpy.random.default_rng(0)
    x = Tensor((5 * rng.normal(size=shape) + 12).astype("float32"), requires_grad=True)
    return module, x, module(x)


def draw(module, x, y, **options):
    return draw_graph(y, params=module.named_parameters(), buffers=module.named_buffers(), inputs={"x": x},
                      **options)


@pytest.mark.parametrize("shape", SHAPES)
def test_composite_is_a_labelled_cluster_of_its_steps(render, shape):
    module, x, y = run("composite", shape)
    picture = render(draw(module, x, y))
    assert len(picture.clusters) == 1
    cluster = picture.cluster(f"{type(module).__name__} · composite")
    for step in STEPS:
        node = next(n for n, g in picture.nodes.items() if picture.text(g).startswith(step + " "))
        assert picture.inside(node, cluster), step
    colours = picture.edge_colours()
    assert all(colours[c] >= 1 for c in ROUTE_COLOURS)
    legend = picture.legend_samples()
    for route, colour in zip(("directly through x̂", "through μ", "through σ²"), ROUTE_COLOURS):
        assert legend[f"x's gradient {route}"]["stroke"] == colour


@pytest.mark.parametrize("training", [True, False])
def test_fused_is_one_node_with_its_hyperparameters(render, training):
    module, x, y = run("fused", (4, 3), training, eps=1e-3, momentum=0.25)
    picture = render(draw(module, x, y))
    assert list(picture.clusters) == [picture.cluster("BatchNorm1d · fused")]  # the module's frame
    assert len(picture.nodes) == 7  # x, weight, bias, running_mean, running_var, the op, the output
    text = picture.label("BatchNorm (fused)")
    assert "eps=0.001" in text and "momentum=0.25" in text
    assert ("training" if training else "eval") in text
    for buffer in ("running_mean", "running_var"):
        assert picture.fill(picture.node(buffer)) != picture.fill(picture.node("weight"))
    dashed = [title for title, g in picture.edges if picture.line(g).get("stroke-dasharray")]
    assert sorted(dashed) == sorted(f"{picture.node(b)}->{picture.node('BatchNorm')}"
                                    for b in ("running_mean", "running_var"))


@pytest.mark.parametrize("shape", [(4, 3), (2, 1, 3, 3)])
def test_composite_in_eval_names_what_it_takes_from_the_buffers(render, shape):
    """In eval mode the running statistics enter the composite through unrecorded
    steps (a reshape, √(σ² + ε)); the picture still says what they are."""
    module, x, y = run("composite", shape, training=False)
    picture = render(draw(module, x, y))
    buffer_fill = picture.fill(picture.node("running_mean"))
    assert buffer_fill != picture.fill(picture.node("x ("))
    assert picture.fill(picture.node("√(running_var + ε)")) == buffer_fill
    assert f"(1, {shape[1]}" in picture.label("running_mean")
    cluster = picture.cluster("composite")
    for name in ("running_mean", "√(running_var + ε)", "centre", "normalize"):
        assert picture.inside(picture.node(name), cluster), name
    titles = [picture.text(g).split(" (")[0] for g in picture.nodes.values()]
    assert "input" not in titles


def test_eval_picture_with_gradients_on_the_device_stays_on_the_device(strict_cuda):
    module = nn.BatchNorm2d(3, impl="composite").to("cuda").eval()
    x = Tensor(numpy.random.default_rng(0).normal(size=(2, 3, 4, 4)).astype("float32"), device="cuda",
               requires_grad=True)
    y = module(x)
    retain_grads(y)
    y.backward(Tensor(numpy.ones((2, 3, 4, 4), "float32"), device="cuda"))
    source = draw(module, x, y, show_grads=True, show_saved=True).source
    assert "√(running_var + ε)" in source and "grad norm" in source


def test_a_view_of_a_named_tensor_takes_its_name_only_when_it_holds_the_same_elements():
    data = numpy.arange(6.0)
    whole, half = Tensor(data), Tensor(data[:3])
    w = Tensor(numpy.ones((2, 3)), requires_grad=True)
    y = (w * whole.reshape(2, 3)).sum() + (w[0] * half).sum()
    titles = re.findall(r"<B>([^<]*)</B>", draw_graph(y, params={"w": w}, buffers={"b": whole}).source)
    assert sorted(t for t in titles if t in ("w", "b", "input")) == ["b", "input", "w"]


def test_collapse_folds_the_composite_into_one_node(render):
    module, x, y = run("composite", (4, 3))
    picture = render(draw(module, x, y, collapse=("batch_norm",)))
    assert len(picture.clusters) == 0
    assert len(picture.nodes) == 5  # x, weight, bias, the folded BatchNorm, the output
    text = picture.label("BatchNorm1d · composite")
    assert "ops folded" in text and "(4, 3) float32" in text


@pytest.mark.parametrize("impl", ["composite", "fused"])
def test_show_saved_matches_the_graph_accounting(render, impl):
    module, x, y = run(impl, (8, 3))
    picture = render(draw(module, x, y, show_saved=True))
    kept = f"keeps {saved_bytes(y)} B for backward"
    assert kept in picture.graph_text()
    if impl == "composite":
        assert kept in picture.text(picture.clusters[picture.cluster("composite")])


@pytest.mark.parametrize("impl", ["composite", "fused"])
def test_show_grads_after_backward(render, impl):
    module, x, y = run(impl, (6, 3))
    retain_grads(y)
    dy = numpy.random.default_rng(1).normal(size=(6, 3)).astype("float32")
    y.backward(Tensor(dy), retain_graph=True)
    picture = render(draw(module, x, y, show_grads=True))
    norm = numpy.linalg.norm(x.grad.numpy().astype("float64"))
    assert f"grad norm {norm:.4g} · (6, 3)" in picture.label("x (")
    output = picture.label("output")
    assert f"grad norm {numpy.linalg.norm(dy.astype('float64')):.4g} · (6, 3)" in output


def test_reading_guide_gradients_are_the_terms_of_the_backward_formula():
    """docs/visualization.md names, for each term of (B1)–(B6), the node whose
    retained gradient it is; check each against the formula in float64."""
    rng = numpy.random.default_rng(2)
    data = 5 * rng.normal(size=(6, 3)) + 12
    x = Tensor(data, requires_grad=True)
    bn = nn.BatchNorm1d(3, impl="composite", dtype="float64")
    bn.weight._data[...] = rng.normal(size=3)
    y = bn(x)
    retain_grads(y)
    dy = rng.normal(size=(6, 3))
    y.backward(Tensor(dy))
    node = {of(n).role: n for n in topological_order([y]) if isinstance(n, Function) and of(n).role}

    m, eps, gamma = 6, 1e-5, bn.weight.numpy()
    mu = data.mean(0)
    centred = data - mu
    var = (centred**2).mean(0)
    inv_std = 1 / numpy.sqrt(var + eps)
    x_hat = centred * inv_std
    dx_hat = dy * gamma  # (B3)
    dvar = (dx_hat * centred).sum(0) * -0.5 * (var + eps) ** -1.5  # (B4)
    dmu = -inv_std * dx_hat.sum(0)  # (B5)
    close = numpy.testing.assert_allclose
    close(bn.bias.grad.numpy(), dy.sum(0))  # (B1)
    close(bn.weight.grad.numpy(), (dy * x_hat).sum(0))  # (B2)
    close(node["normalize"].grad.numpy(), dx_hat)
    close(node["add eps"].grad.numpy()[0], dvar)
    close(node["variance"].grad.numpy()[0], dvar)
    close(node["centre"].grad.numpy(), dx_hat * inv_std + dvar * 2 * centred / m)
    close(node["mean"].grad.numpy()[0], dmu, atol=1e-12)
    close(x.grad.numpy(), dx_hat * inv_std + dvar * 2 * centred / m + dmu / m)  # (B6)
