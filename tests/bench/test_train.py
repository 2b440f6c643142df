"""The training-step benchmark: both frameworks do the same work, the memory
check tells a flat loop from a leaking one, and the result reads back.

No timing is asserted: speed goals live in the benchmark's own report."""

import numpy
import pytest

from tinygrad_bn import Tensor, nn, optim
from tinygrad_bn.bench import train
from tinygrad_bn.train import build_model, train_step

SMALL = (12, 8, 8, 3)


def assert_same_losses(torch, ours, theirs, x, target, steps):
    """Start ``ours`` from ``theirs``'s weights; each SGD step gives both the same loss."""
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    our_optimizer = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    their_optimizer = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        our_loss, _ = train_step(ours, our_optimizer, Tensor(x), Tensor(target))
        their_loss, _ = train_step(
            theirs, their_optimizer, torch.from_numpy(x), torch.from_numpy(target), torch.nn.functional
        )
        assert our_loss.item() == pytest.approx(their_loss.item(), rel=1e-5)


def test_the_model_has_the_benchmark_layout():
    model = train.mlp_bn(nn)
    assert list(model.state_dict()) == [
        "0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
        "3.weight", "4.weight", "4.bias", "4.running_mean", "4.running_var", "4.num_batches_tracked",
        "6.weight", "6.bias",
    ]
    assert model[0].weight.shape == (512, 784) and model[6].weight.shape == (10, 512)


@pytest.mark.parametrize("impl", ["fused", "composite"])
def test_one_step_does_the_same_work_as_pytorch(impl):
    torch = pytest.importorskip("torch")
    x, target = train._batch(SMALL, batch=16)
    torch.manual_seed(0)
    theirs = train.mlp_bn(torch.nn, SMALL)
    ours = train.mlp_bn(nn, SMALL, impl=impl)
    assert_same_losses(torch, ours, theirs, x, target, steps=3)
    their_state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        numpy.testing.assert_allclose(value.numpy(), their_state[key].numpy(), rtol=1e-4, atol=1e-6, err_msg=key)


def test_memory_check_tells_flat_from_growing():
    kept = []
    flat = train.memory_check(lambda: numpy.ones(10_000).sum(), steps=20, checkpoints=4)
    leaking = train.memory_check(lambda: kept.append(numpy.ones(100_000)), steps=20, checkpoints=4)
    assert flat["stable"] and flat["steps"] == 20 and len(flat["current_bytes"]) == 4
    assert not leaking["stable"]
    assert leaking["growth_bytes"] >= 15 * 800_000  # 15 arrays of 800 kB kept after the first window


def test_run_and_report_smoke():
    result = train.run(rounds=1, memory_steps=10, runs=2, models=("mlp",))
    (row,) = result["steps"]
    assert set(row["step_seconds"]) <= {"tinygrad_bn", "pytorch"}
    assert all(seconds > 0 for seconds in row["step_seconds"].values())
    assert result["memory"]["steps"] == 10
    text = train.report(result)
    assert "784-512-512-10, batch 256" in text and "memory over 10 steps" in text
    if "pytorch" in row["step_seconds"]:
        assert len(row["ratios"]) == 2 and row["ratio"] == pytest.approx(sum(row["ratios"]) / 2)
        assert "ratio tinygrad_bn / pytorch" in text


@pytest.mark.parametrize("shape", train.CNN_IMAGES)
def test_the_cnn_is_the_train_commands_cnn(shape):
    ours = train.cnn_bn(nn, shape).state_dict()
    command = build_model("cnn", "fused", shape, train.CLASSES).state_dict()
    assert [(key, value.shape) for key, value in ours.items()] == [(key, value.shape) for key, value in command.items()]


def test_one_cnn_step_does_the_same_work_as_pytorch(torch):
    shape = train.CNN_IMAGES[0]
    x, target = train._batch((shape, train.CLASSES), batch=8)
    torch.manual_seed(0)
    theirs = train.cnn_bn(torch.nn, shape)
    ours = train.cnn_bn(nn, shape)
    assert_same_losses(torch, ours, theirs, x, target, steps=2)
