"""Frames of whole models: one per layer and loss, titled with the module's path,
foldable like BatchNorm; container modules draw none."""

import numpy
import pytest

from tinygrad_bn import Tensor, nn
from tinygrad_bn.annotations import region
from tinygrad_bn.nn import functional as F
from tinygrad_bn.viz import draw_graph


def model_and_loss(criterion=None):
    """Linear → composite BN → ReLU → Linear → fused BN, then a loss."""
    rng = numpy.random.default_rng(4)
    model = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4, impl="composite"), nn.ReLU(),
                          nn.Linear(4, 3), nn.BatchNorm1d(3, impl="fused"))
    x = Tensor(rng.normal(size=(8, 5)).astype("float32"))
    target = Tensor(rng.integers(0, 3, size=8))
    loss = (criterion or nn.CrossEntropyLoss())(model(x), target)
    return model, x, loss


def titles(picture) -> list:
    """Each frame's title: the first line of its label."""
    return sorted(next(g.iter("{http://www.w3.org/2000/svg}text")).text for g in picture.clusters.values())


def test_each_layer_and_the_loss_is_a_frame_titled_with_its_path(render):
    model, x, loss = model_and_loss()
    picture = render(draw_graph(loss, model=model, inputs={"x": x}))
    # no frame for the Sequential; a ReLU layer is one op, which takes its frame's title
    assert titles(picture) == ["0 · Linear", "1 · BatchNorm1d · composite", "3 · Linear", "4 · BatchNorm1d · fused",
                               "CrossEntropyLoss"]
    assert picture.label("2 · ReLU").split()[:4] == ["2", "·", "ReLU", "Relu"]
    for frame, members in [("0 · Linear", ["0.weight", "0.bias"]), ("3 · Linear", ["3.weight", "3.bias"]),
                           ("1 · BatchNorm1d", ["1.weight", "1.bias", "normalize"]),
                           ("4 · BatchNorm1d", ["4.weight", "4.running_mean", "BatchNorm (fused)"]),
                           ("CrossEntropyLoss", ["LogSoftmax"])]:
        for member in members:
            assert picture.inside(picture.node(member), picture.cluster(frame)), (member, frame)
    # the loss frame takes the last BatchNorm's output: an edge from its frame into the loss's
    fused, log_softmax = picture.node("BatchNorm (fused)"), picture.node("LogSoftmax")
    assert not picture.inside(fused, picture.cluster("CrossEntropyLoss"))
    assert not picture.inside(log_softmax, picture.cluster("4 · BatchNorm1d"))


def test_without_a_model_the_paths_come_from_the_calling_modules(render):
    model, x, loss = model_and_loss()
    picture = render(draw_graph(loss))
    assert "1 · BatchNorm1d · composite" in titles(picture) and "4 · BatchNorm1d · fused" in titles(picture)
    assert len(set(titles(picture))) == len(titles(picture))  # two BatchNorm layers, two titles
    assert "0.weight" not in " ".join(picture.text(g) for g in picture.nodes.values())


@pytest.mark.parametrize("collapse, folded", [
    (("Linear",), ["0 · Linear", "3 · Linear"]),
    (("batch_norm",), ["1 · BatchNorm1d · composite", "4 · BatchNorm1d · fused"]),
    (("cross_entropy",), ["CrossEntropyLoss"]),
])
def test_layers_and_losses_fold_like_batch_norm(render, collapse, folded):
    model, x, loss = model_and_loss()
    picture = render(draw_graph(loss, model=model, inputs={"x": x}, collapse=collapse))
    boxes = [picture.text(g) for g in picture.nodes.values() if "folded" in picture.text(g)]
    assert sorted(box.split(" op")[0].rsplit(" ", 1)[0] for box in boxes) == folded
    assert not set(folded) & set(titles(picture))  # a folded frame is drawn as its box only


@pytest.mark.parametrize("loss_function, frame, ops", [
    (lambda y, t: F.cross_entropy(y, t), "cross_entropy", 2),  # LogSoftmax, NLLLoss
    (lambda y, t: F.nll_loss(y.log_softmax(1), t), "nll_loss", 1),  # one node, as PyTorch's
    (lambda y, t: F.mse_loss(y, F.one_hot(t, 3).astype("float32")), "mse_loss", 2),
    (nn.MSELoss(), None, 2),
])
def test_a_loss_function_is_one_frame(render, loss_function, frame, ops):
    if frame is None:  # the module: its frame is its function's, titled with the module's class
        model, x, loss = model_and_loss(lambda y, t: loss_function(y, F.one_hot(t, 3).astype("float32")))
        frame = "MSELoss"
    else:
        model, x, loss = model_and_loss(loss_function)
    picture = render(draw_graph(loss, model=model))
    assert frame in titles(picture)
    loss_ops = [node for node, g in picture.nodes.items() if picture.inside(node, picture.cluster(frame))]
    assert len(loss_ops) >= ops


def test_an_unnamed_leaf_that_requires_grad_is_a_parameter(render):
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0])
    picture = render(draw_graph((w * x).sum()))
    assert picture.label("parameter").startswith("parameter")
    assert picture.label("input").startswith("input")
    assert picture.fill(picture.node("parameter")) != picture.fill(picture.node("input"))


def test_a_chain_of_layers_is_a_column_of_frames(render):
    from tests.viz.conftest import NUMBER_PAIR, SVG

    model, x, loss = model_and_loss()
    picture = render(draw_graph(loss, model=model, inputs={"x": x}))

    def rows(frame):  # the frame's top and bottom (y grows downwards in SVG)
        outline = next(e for e in picture.clusters[picture.cluster(frame)] if e.tag in (f"{SVG}path", f"{SVG}polygon"))
        ys = [float(y) for _, y in NUMBER_PAIR.findall(outline.get("d") or outline.get("points"))]
        return min(ys), max(ys)

    chain = ["0 · Linear", "1 · BatchNorm1d", "3 · Linear", "4 · BatchNorm1d", "CrossEntropyLoss"]
    for upper, lower in zip(chain, chain[1:]):
        assert rows(upper)[1] < rows(lower)[0], (upper, lower)  # each layer's frame starts below the last


def test_the_loss_frame_holds_one_log_softmax_node_and_no_unnamed_input(render):
    model, x, loss = model_and_loss()
    picture = render(draw_graph(loss, model=model, inputs={"x": x}))
    assert picture.inside(picture.node("LogSoftmax"), picture.cluster("CrossEntropyLoss"))
    assert [title for title in picture.nodes if title.startswith("input")] == []


def test_the_held_constant_shift_of_logsumexp_is_named_not_an_input(render):
    x = Tensor([[1.0, 2.0, 3.0], [0.0, 5.0, 1.0]], requires_grad=True)
    with region("logsumexp"):  # as inside a loss: constants are named in the frame they enter
        total = x.logsumexp(1).sum()
    picture = render(draw_graph(total))
    assert picture.label("max (held constant)").startswith("max (held constant)")
    assert [title for title in picture.nodes if title.startswith("input")] == []
