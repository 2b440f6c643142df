"""Version counters: what bumps them, who shares them, and the backward that refuses a
tensor changed after an op saved it (naming the op, the shape and both versions)."""

import numpy
import pytest

from tinygrad_bn import Tensor, nn, no_grad, optim
from tinygrad_bn.autograd.version import HISTORY
from tinygrad_bn.batchnorm import batch_norm

rng = numpy.random.default_rng(1)
MODIFIED = "modified by an inplace operation"


def _loss_of_linear():
    model = nn.Linear(3, 2)
    x = Tensor(rng.standard_normal((5, 3)).astype("float32"))
    return model, (model(x) ** 2).sum()


OPTIMIZERS = {
    "SGD": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "Adam": lambda params: optim.Adam(params, lr=0.1),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.1),
}


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_an_optimizer_step_between_forward_and_backward_is_refused(make):
    model, loss = _loss_of_linear()
    optimizer = make(model.parameters())
    loss.backward(retain_graph=True)
    versions = [p._version for p in model.parameters()]
    optimizer.step()
    assert [p._version for p in model.parameters()] == [v + 1 for v in versions]
    with pytest.raises(RuntimeError, match=MODIFIED) as caught:
        loss.backward()
    message = str(caught.value)
    assert "Linear" in message and "shape (2, 3)" in message  # the weight itself
    assert f"is at version {versions[0] + 1}; expected version {versions[0]} instead" in message


def test_the_usual_order_forward_backward_step_runs():
    model, loss = _loss_of_linear()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        _, loss = model, (model(Tensor(numpy.ones((5, 3), dtype="float32"))) ** 2).sum()


@pytest.mark.parametrize("training", [True, False])
def test_writing_into_the_input_the_fused_batch_norm_saved_is_refused(training):
    x = Tensor(5 * rng.standard_normal((8, 3)) + 12, requires_grad=True)
    running = [Tensor(numpy.zeros(3)), Tensor(numpy.ones(3))]
    y = batch_norm(x, *running, training=training, impl="fused")
    with no_grad():
        x[0, 0] = 100.0
    with pytest.raises(RuntimeError, match=MODIFIED) as caught:
        y.backward(Tensor(rng.standard_normal((8, 3))))
    assert "shape (8, 3)" in str(caught.value)


def test_the_fused_batch_norm_names_itself_and_both_versions():
    x = Tensor(rng.standard_normal((8, 3)), requires_grad=True)
    y = batch_norm(x, None, None, training=True)
    x.detach().add_(1.0)  # detach() shares the counter, as in PyTorch
    x.detach().add_(1.0)
    with pytest.raises(RuntimeError, match=MODIFIED) as caught:
        y.backward(Tensor(numpy.ones((8, 3))))
    assert "saved input 0 of BatchNorm (fused)" in str(caught.value)
    assert "is at version 2; expected version 0 instead" in str(caught.value)


def test_a_changed_saved_output_is_refused():
    x = Tensor(rng.standard_normal(4), requires_grad=True)
    y = x.exp()
    y += 1.0  # recorded, but exp's backward needs the old y
    with pytest.raises(RuntimeError, match=MODIFIED) as caught:
        y.sum().backward()
    assert "the output of Exp" in str(caught.value)


@pytest.mark.parametrize(
    "change",
    [
        lambda x: x.detach().mul_(2.0),
        lambda x: x.detach().reshape(-1).mul_(2.0),
        lambda x: x.detach()[0].zero_(),
        lambda x: x.detach().swapaxes(0, 1).fill_(1.0),
    ],
    ids=["detach", "reshape view", "slice view", "transpose view"],
)
def test_changes_through_aliases_that_share_the_storage_are_seen(change):
    x = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    y = (x * x).sum()
    change(x)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_a_change_through_data_is_not_seen_as_in_pytorch():
    x = Tensor(numpy.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    x.data.mul_(3.0)
    y.backward()  # runs, with the changed x: PyTorch's documented hazard of .data
    assert x.grad.tolist() == [6.0, 12.0]


def test_changes_before_the_save_or_after_the_backward_are_fine():
    x = Tensor(numpy.array([1.0, 2.0]), requires_grad=True)
    with no_grad():
        x += 1.0
    y = (x * x).sum()
    y.backward(retain_graph=True)
    assert x.grad.tolist() == [4.0, 6.0]
    other = Tensor(numpy.ones(2))
    other += 1.0  # a change of an unrelated tensor moves the clock: the saved x is checked, and unchanged
    y.backward()
    assert x.grad.tolist() == [8.0, 12.0]


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.load_state_dict(m.state_dict()),
        lambda m: nn.init.normal_(m.weight),
        lambda m: nn.init.constant_(m.weight, 0.5),
        lambda m: m.weight.copy_(Tensor(numpy.zeros((2, 3), dtype="float32"))),
    ],
    ids=["load_state_dict", "init.normal_", "init.constant_", "copy_"],
)
def test_loading_and_initializing_count_as_changes(change):
    model = nn.Linear(3, 2)
    before = model.weight._version
    y = model(Tensor(numpy.ones((1, 3), dtype="float32"))).sum()
    with no_grad():
        change(model)
    assert model.weight._version > before
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


@pytest.mark.parametrize("impl", ["fused", "composite"])
def test_a_training_forward_updates_the_running_statistics_in_place(impl):
    bn = nn.BatchNorm1d(3, impl=impl)
    mean, var, tracked = (t._version for t in (bn.running_mean, bn.running_var, bn.num_batches_tracked))
    bn(Tensor(rng.standard_normal((4, 3)).astype("float32")))
    assert bn.running_mean._version == mean + 1
    assert bn.running_var._version == var + 1
    assert bn.num_batches_tracked._version == tracked + 1


def test_after_more_changes_than_remembered_the_message_gives_a_bound():
    x = Tensor(numpy.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    for _ in range(HISTORY + 3):
        x.detach().add_(0.0)
    with pytest.raises(RuntimeError, match=f"is at version {HISTORY + 3}; expected version at most 3 instead"):
        y.backward()
