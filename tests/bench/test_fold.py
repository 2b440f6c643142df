"""The folding benchmark: its candidates compute the same outputs, PyTorch's fused model
included, and its report states what it measured.

No timing is asserted: the speed lives in the benchmark's own report."""

import numpy
import pytest

from tinygrad_bn import nn
from tinygrad_bn.bench import fold


def test_the_model_has_three_batch_norms_to_fold():
    model = fold.cnn_bn(nn)
    kinds = [type(module).__name__ for module in model]
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "ReLU", "Flatten",
                     "Linear", "BatchNorm1d", "ReLU", "Linear"]
    folded = nn.utils.fold_batch_norm(model.eval())
    assert [type(module).__name__ for module in folded].count("Identity") == 3


def test_every_candidate_computes_the_same_outputs():
    calls, model, x = fold.candidates(batch=4)
    outputs = {name: numpy.asarray(call().numpy()) for name, call in calls.items()}
    reference = outputs["unfolded"]
    assert reference.shape == (4, fold.CLASSES) and numpy.abs(reference).max() > 0.1
    for name, output in outputs.items():
        numpy.testing.assert_allclose(output, reference, rtol=1e-4, atol=1e-5, err_msg=name)


def test_the_state_looks_trained():
    rng = numpy.random.default_rng(1)
    state = fold.trained_state(fold.cnn_bn(nn), rng)
    assert not numpy.allclose(state["1.running_mean"], 0) and not numpy.allclose(state["1.running_var"], 1)
    assert state["1.running_var"].min() > 0


def test_run_and_report():
    result = fold.run(rounds=1, batch=2, runs=1)
    seconds = result["median_seconds"]
    assert result["folded_over_unfolded"] == seconds["folded"] / seconds["unfolded"]  # one run: its own ratio
    assert result["error_budget"]["float64"]["max_rel"] < 1e-12
    report = fold.report(result)
    assert f"{result['folded_over_unfolded']:.2f}" in report and "error budget" in report
    if "pytorch folded" in seconds:
        assert "pytorch" in report and f"{result['pytorch_folded_over_unfolded']:.2f}" in report
    else:
        assert "pip install" in report


def test_report_without_pytorch_says_how_to_get_it():
    result = {"batch": 2, "image": [3, 16, 16], "runs": 5, "median_seconds": {"unfolded": 2e-3, "folded": 1e-3},
              "folded_over_unfolded": 0.5,
              "error_budget": {"float32": {"max_abs": 1e-7, "max_rel": 2e-7}}}
    report = fold.report(result)
    assert "0.50" in report and "pip install -e '.[torch]'" in report and "1.00e-07 | 2.00e-07" in report


def test_pytorch_folded_model_folds_every_pair():
    torch = pytest.importorskip("torch")
    folded = fold._pytorch_fused(torch, fold.cnn_bn(torch.nn).eval())
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in folded.modules())
    assert len(folded) == 8
