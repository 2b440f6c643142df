"""AdaptiveLogSoftmaxWithLoss (nn/adaptive_log_softmax.py): PyTorch's initial weights for the
same seed, state-dict keys, repr, forward (output and loss) and gradients, log_prob,
predict, finite differences and errors."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.check import gradcheck, gradgradcheck

# (in_features, n_classes, cutoffs, keyword arguments)
CASES = [
    (8, 20, [4, 10, 15], {"div_value": 2.0}),
    (16, 12, (3,), {"head_bias": True}),
    (12, 30, [5, 6, 20], {"div_value": 1.5, "head_bias": True}),
]
IDS = [str(case[:3]) for case in CASES]


@pytest.fixture(autouse=True)
def _keep_the_generator():
    state = tg.get_rng_state()
    yield
    tg.set_rng_state(state)


def _both(torch, case, dtype="float32"):
    in_features, n_classes, cutoffs, kwargs = case
    models = []
    for framework in (tg, torch):
        framework.manual_seed(3)
        models.append(framework.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, **kwargs,
                                                              dtype=getattr(framework, dtype)))
    return models


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_initial_weights_keys_and_repr_are_pytorchs(torch, case):
    ours, theirs = _both(torch, case)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (name, mine), other in zip(ours.state_dict().items(), theirs.state_dict().values(), strict=True):
        numpy.testing.assert_array_equal(mine.numpy(), other.numpy(), err_msg=name)
    for attribute in ("in_features", "n_classes", "cutoffs", "div_value", "head_bias", "shortlist_size", "n_clusters",
                      "head_size"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute


def _targets(n_classes, cutoffs, count, seed):
    """Targets in every part: the shortlist, each cluster, and random ones."""
    edges = [0, *cutoffs, n_classes]
    fixed = [edge for edge in edges[:-1]] + [n_classes - 1]
    return numpy.array(fixed + list(numpy.random.default_rng(seed).integers(0, n_classes, count - len(fixed))))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_log_prob_and_predict_are_pytorchs(torch, case, dtype):
    ours, theirs = _both(torch, case, dtype)
    in_features, n_classes, cutoffs, _ = case
    x = numpy.random.default_rng(0).standard_normal((9, in_features)).astype(dtype) * 3
    y = _targets(n_classes, cutoffs, 9, 1)
    tolerance = {"rtol": 2e-6, "atol": 2e-6} if dtype == "float32" else {"rtol": 1e-13, "atol": 1e-13}
    results = []
    for framework, model in ((tg, ours), (torch, theirs)):
        inputs = framework.tensor(x, requires_grad=True)
        output, loss = model(inputs, framework.tensor(y))
        (loss + (output * framework.tensor(numpy.arange(9.0).astype(dtype))).sum()).backward()
        results.append([output.detach().numpy(), loss.detach().numpy(), inputs.grad.numpy(),
                        *(p.grad.numpy() for p in model.parameters()),
                        model.log_prob(framework.tensor(x)).detach().numpy()])
        results[-1].append(model.predict(framework.tensor(x)).numpy())
    for mine, other in zip(*results, strict=True):
        assert mine.dtype == other.dtype and mine.shape == other.shape
        numpy.testing.assert_allclose(mine, other, **tolerance)


def test_one_sample_gives_a_0d_output(torch):
    ours, theirs = _both(torch, CASES[0])
    x = numpy.random.default_rng(2).standard_normal(8).astype("float32")
    mine, other = ours(tg.tensor(x), tg.tensor(12)), theirs(torch.tensor(x), torch.tensor(12))
    assert mine._fields == other._fields == ("output", "loss")
    for a, b in zip(mine, other, strict=True):
        assert a.shape == tuple(b.shape)
        numpy.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-6)


def test_predict_takes_the_head_choice_and_else_the_best_class(torch):
    """Rows whose head picks a cluster get the argmax of the full log-probabilities."""
    ours, theirs = _both(torch, CASES[2])
    x = numpy.random.default_rng(4).standard_normal((200, 12)).astype("float32") * 5
    mine, other = ours.predict(tg.tensor(x)).numpy(), theirs.predict(torch.tensor(x)).numpy()
    assert (other >= 5).any() and (other < 5).any()  # both kinds of rows occur
    numpy.testing.assert_array_equal(mine, other)


def test_gradients_match_finite_differences():
    tg.manual_seed(0)
    model = tg.nn.AdaptiveLogSoftmaxWithLoss(6, 10, [3, 6], div_value=2.0, head_bias=True, dtype=tg.float64)
    x = tg.tensor(numpy.random.default_rng(5).standard_normal((7, 6)), requires_grad=True)
    y = tg.tensor(_targets(10, [3, 6], 7, 6))
    parameters = list(model.parameters())

    def outputs(x, *weights):
        return model(x, y).output

    assert gradcheck(outputs, (x, *parameters))
    assert gradgradcheck(lambda x: model(x, y).loss, (x,))
    assert gradcheck(lambda x: model.log_prob(x), (x,))


@pytest.mark.parametrize("cutoffs", [[], [4, 4], [0, 3], [25], [3.5], [10, 4], [20]], ids=str)
def test_bad_cutoffs_are_refused_as_by_pytorch(torch, raises_like_torch, cutoffs):
    raises_like_torch(lambda: tg.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs),
                      lambda: torch.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs), "cutoffs should be a sequence")


@pytest.mark.parametrize(("input_shape", "target", "words"), [
    ((5, 8), [0, 1, 2, 3], "Input and target should have the same size in the batch dimension"),
    ((5, 8), [[0, 1]] * 5, "0D or 1D target tensor expected, multi-target not supported"),
    ((5,), [0] * 5, "1D target tensor expects 2D input tensors"),
    ((5, 8), 0, "0D target tensor expects 1D input tensors"),
    ((2, 8), [0, 20], r"Target values should be in \[0, 19\], but values in range \[0, 20\] were found"),
    ((2, 8), [-1, 3], r"Target values should be in \[0, 19\], but values in range \[-1, 3\] were found"),
], ids=["batch", "2-d target", "1-d input", "0-d target", "too large", "negative"])
def test_bad_input_and_target_are_refused_as_by_pytorch(torch, raises_like_torch, input_shape, target, words):
    ours, theirs = _both(torch, CASES[0])
    raises_like_torch(lambda: ours(tg.ones(input_shape), tg.tensor(target)),
                      lambda: theirs(torch.ones(input_shape), torch.tensor(target)), words)


def test_it_is_at_pytorchs_path(torch):
    assert torch.nn.modules.adaptive.AdaptiveLogSoftmaxWithLoss is torch.nn.AdaptiveLogSoftmaxWithLoss
    assert tg.nn.modules.adaptive.AdaptiveLogSoftmaxWithLoss is tg.nn.AdaptiveLogSoftmaxWithLoss
