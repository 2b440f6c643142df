"""Loss modules: the same numbers, gradients, printed form and state as PyTorch's."""

from __future__ import annotations

import numpy
import pytest

from tinygrad_bn import Tensor, nn

torch = pytest.importorskip("torch")

TARGET = numpy.array([2, 0, 1, 2, -1, 0])
WEIGHT = [0.5, 2.0, 1.5]
# (module name, options, input maker): logits, log-probabilities, regression pairs
CASES = [
    ("CrossEntropyLoss", {}, "logits"),
    ("CrossEntropyLoss", dict(weight=WEIGHT, ignore_index=-1, label_smoothing=0.2), "logits"),
    ("CrossEntropyLoss", dict(reduction="sum", label_smoothing=0.1, ignore_index=-1), "logits"),
    ("NLLLoss", dict(weight=WEIGHT, ignore_index=-1), "log_probs"),
    ("NLLLoss", dict(reduction="none", ignore_index=-1), "log_probs"),
    ("MSELoss", {}, "pairs"),
    ("MSELoss", dict(reduction="sum"), "pairs"),
]


def _build(framework, name, options):
    if "weight" in options:
        weight = options["weight"]
        options = {**options, "weight": torch.tensor(weight, dtype=torch.float64) if framework is torch.nn
                   else numpy.array(weight)}
    return getattr(framework, name)(**options)


@pytest.mark.parametrize("name, options, inputs", CASES)
def test_loss_module_matches_pytorch(name, options, inputs):
    rng = numpy.random.default_rng(0)
    x = 3 * rng.standard_normal((6, 3))
    if inputs == "log_probs":
        x = x - numpy.log(numpy.exp(x).sum(axis=1, keepdims=True))
    ours, theirs = _build(nn, name, options), _build(torch.nn, name, options)
    if inputs == "pairs":
        target = rng.standard_normal((6, 3))
    else:  # row 4 is ignored where an ignore_index is given, class 1 otherwise
        target = numpy.where(TARGET < 0, options.get("ignore_index", 1), TARGET)
    their_target = torch.from_numpy(target)
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    loss_ours, loss_theirs = ours(x_ours, target), theirs(x_theirs, their_target)
    numpy.testing.assert_allclose(loss_ours.numpy(), loss_theirs.detach().numpy(), rtol=1e-12)
    v = rng.standard_normal(loss_ours.shape)
    loss_ours.backward(Tensor(v))
    loss_theirs.backward(torch.from_numpy(v))
    numpy.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_a_class_weight_is_a_buffer_and_loads_from_a_state_dict():
    loss = nn.CrossEntropyLoss(weight=[1.0, 1.0, 1.0])
    loss.load_state_dict({"weight": numpy.array(WEIGHT, dtype="float32")})
    numpy.testing.assert_array_equal(loss.weight.numpy(), numpy.array(WEIGHT, dtype="float32"))
    theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor(WEIGHT))
    x = numpy.random.default_rng(1).standard_normal((6, 3)).astype("float32")
    target = numpy.where(TARGET < 0, 1, TARGET)
    assert loss(Tensor(x), target).item() == pytest.approx(theirs(torch.from_numpy(x), torch.from_numpy(target)).item(),
                                                            rel=1e-6)


@pytest.mark.parametrize("name", ["CrossEntropyLoss", "NLLLoss", "MSELoss"])
def test_an_unknown_reduction_is_refused_when_built(name):
    with pytest.raises(ValueError, match=f"{name}: reduction must be one of .* got 'avg'"):
        getattr(nn, name)(reduction="avg")
