"""The BatchNorm benchmark: its memory counts are what each graph really keeps, the
PyTorch counts are taken the same way, and the verdicts read the goals right.

No timing is asserted: speed goals live in the benchmark's own report."""

import numpy
import pytest

from tinygrad_bn import timing
from tinygrad_bn.bench import bn

SHAPES = [(16, 3), (4, 3, 5), (2, 3, 4, 4)]


@pytest.fixture
def no_pause(monkeypatch):
    monkeypatch.setattr(timing, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(timing, "WARM_SECONDS", 0.0)


@pytest.mark.parametrize("shape", SHAPES)
def test_bytes_kept_are_the_arrays_each_backward_needs(shape, no_pause):
    row = bn.measure(shape, rounds=1, rng=numpy.random.default_rng(0))
    data = 4 * int(numpy.prod(shape))  # one float32 array of the input's shape
    channel = 4 * shape[1]
    fused, composite = row["bytes"]["fused"], row["bytes"]["composite"]
    # fused: x, weight, and per channel K, μ − K and inv_std; beyond x and weight only the last three
    assert fused == {"saved": data + 4 * channel, "extra": 3 * channel}
    # composite: x − μ and x̂ and a few per-channel values, none of them an input
    assert 2 * data < composite["saved"] == composite["extra"] <= 2 * data + 4 * channel
    assert row["memory_fused_over_composite"]["saved"] == fused["saved"] / composite["saved"]


def test_torch_saved_bytes_counts_distinct_storages():
    torch = pytest.importorskip("torch")
    x = torch.ones(10, 4, requires_grad=True)
    w = torch.ones(4, requires_grad=True)
    # x * w saves both inputs; exp saves its output, a new array
    assert bn.torch_saved_bytes(torch, lambda a, b: a * b, (x, w)) == {"saved": 160 + 16, "extra": 0}
    assert bn.torch_saved_bytes(torch, lambda a, b: (a * 2).exp(), (x, w)) == {"saved": 160, "extra": 160}
    # the same storage saved twice (x·x) is counted once
    assert bn.torch_saved_bytes(torch, lambda a, b: a * a, (x, w)) == {"saved": 160, "extra": 0}


@pytest.mark.parametrize("shape", SHAPES)
def test_pytorch_pair_is_counted_like_ours(shape, no_pause):
    torch = pytest.importorskip("torch")
    rng = numpy.random.default_rng(1)
    x = torch.tensor((5 * rng.standard_normal(shape) + 12).astype(numpy.float32), requires_grad=True)
    w, b = (torch.tensor(rng.standard_normal(shape[1]).astype(numpy.float32), requires_grad=True) for _ in "wb")
    composite = bn._torch_composite(x, w, b)
    fused = torch.nn.functional.batch_norm(x, None, None, w, b, training=True)
    torch.testing.assert_close(composite, fused, rtol=1e-5, atol=1e-5)

    row = bn.measure(shape, rounds=1, rng=numpy.random.default_rng(0))
    ours, theirs = row["bytes"], row["pytorch_bytes"]
    data = 4 * int(numpy.prod(shape))
    # both frameworks keep one input-sized array for the fused op and two for the composite
    for memory in (ours, theirs):
        assert data <= memory["fused"]["saved"] < 2 * data
        assert 2 * data <= memory["composite"]["extra"] < 3 * data


def _result(speedup, over_pytorch, memory_saved, memory_extra):
    row = {"shape": [4, 3], "fused_speedup_over_composite": speedup, "pytorch_goal": 2.5,
           "memory_fused_over_composite": {"saved": memory_saved, "extra": memory_extra}}
    if over_pytorch is not None:
        row["fused_over_pytorch"] = over_pytorch
    return {"goals": bn.GOALS, "shapes": [row]}


@pytest.mark.parametrize(
    "ratios, expected",
    [
        ((3.5, 2.0, 0.30, 0.0), ["meets", "meets", "meets", "meets"]),
        ((2.9, 2.6, 0.50, 0.0), ["misses at (4, 3)"] * 3 + ["meets"]),
        ((3.0, 2.5, 1 / 3, 1 / 3), ["meets", "meets", "meets", "meets"]),  # bounds are inclusive
        ((3.5, None, 0.30, 0.5), ["meets", "not measured", "meets", "misses at (4, 3)"]),
    ],
)
def test_verdicts_read_each_goal_in_its_direction(ratios, expected):
    verdicts = bn.verdicts(_result(*ratios))
    assert [verdicts[name] for name in bn.VERDICTS] == expected


def test_report_has_a_line_per_shape_and_the_verdicts(no_pause):
    result = bn.run(rounds=1, shapes=[(8, 3)])
    text = bn.report(result)
    assert "(8, 3)" in text and "fused/composite" in text
    assert text.splitlines()[-4].startswith("  fused_speedup_over_composite: ")
    assert text.splitlines()[-1].startswith("  memory_fused_over_composite (beyond the input and parameters): ")
