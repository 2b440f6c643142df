"""F.ctc_loss and nn.CTCLoss: PyTorch's losses and gradients (also for inputs that are
not log-softmax outputs), padded and concatenated targets, lengths as Tensors or tuples,
one sequence without a batch axis, impossible alignments with and without
zero_infinity, PyTorch's refusals, a gradcheck, and the strict device."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn import functional as F

T, N, C, S = 12, 4, 6, 4
INPUT_LENGTHS = [12, 9, 7, 12]
TARGET_LENGTHS = [4, 2, 3, 0]
# repeats need a blank between them; the third row's 1, 1, 1 needs 5 of its 7 frames
PADDED = numpy.array([[1, 2, 2, 5], [3, 3, 0, 0], [1, 1, 1, 4], [2, 2, 2, 2]])
IMPOSSIBLE = dict(input_lengths=[12, 9, 4, 12], target_lengths=[4, 2, 3, 0])  # 1, 1, 1 in 4 frames


def _concatenated(padded, lengths):
    return numpy.concatenate([row[:length] for row, length in zip(padded, lengths)])


def _inputs(dtype, normalized=True, seed=0):
    x = 2 * numpy.random.default_rng(seed).standard_normal((T, N, C))
    if normalized:
        x = x - numpy.log(numpy.exp(x).sum(axis=2, keepdims=True))
    return x.astype(dtype)


def _lengths(framework, lengths, as_tensor):
    return framework.tensor(lengths) if as_tensor else tuple(lengths)


def _both(torch, x, targets, input_lengths, target_lengths, as_tensors=True, **options):
    """(ours, theirs): losses and the leaf inputs they were computed from."""
    results = []
    for framework in (tg, torch):
        leaf = framework.tensor(x, requires_grad=True)
        loss = framework.nn.functional.ctc_loss(
            leaf, framework.tensor(targets), _lengths(framework, input_lengths, as_tensors),
            _lengths(framework, target_lengths, as_tensors), **options)
        results.append((loss, leaf))
    return results


def _tolerance(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-11, atol=1e-12)


def _assert_matches(torch, ours, theirs, dtype, seed=1):
    (loss_ours, x_ours), (loss_theirs, x_theirs) = ours, theirs
    numpy.testing.assert_allclose(loss_ours.numpy(), loss_theirs.detach().numpy(), **_tolerance(dtype))
    upstream = numpy.random.default_rng(seed).standard_normal(loss_ours.shape).astype(dtype)
    loss_ours.backward(tg.tensor(upstream))
    loss_theirs.backward(torch.tensor(upstream))
    numpy.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), **_tolerance(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_losses_and_gradients_match_pytorch(torch, dtype, reduction, layout):
    targets = PADDED if layout == "padded" else _concatenated(PADDED, TARGET_LENGTHS)
    ours, theirs = _both(torch, _inputs(dtype), targets, INPUT_LENGTHS, TARGET_LENGTHS,
                         as_tensors=layout == "padded", reduction=reduction)
    _assert_matches(torch, ours, theirs, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("blank", [0, 3, C - 1])
def test_the_gradient_of_inputs_that_are_not_normalized_is_pytorchs(torch, dtype, blank):
    targets = numpy.where(PADDED == blank, (blank + 1) % C, PADDED)
    ours, theirs = _both(torch, _inputs(dtype, normalized=False), targets, INPUT_LENGTHS, TARGET_LENGTHS,
                         blank=blank, reduction="sum")
    _assert_matches(torch, ours, theirs, dtype)


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_an_impossible_alignment_is_infinite_or_zero_with_zero_infinity(torch, zero_infinity, reduction):
    (loss, x), (their_loss, their_x) = _both(torch, _inputs("float64"), PADDED, **IMPOSSIBLE,
                                             zero_infinity=zero_infinity, reduction=reduction)
    numpy.testing.assert_allclose(loss.numpy(), their_loss.detach().numpy(), rtol=1e-12)
    loss.sum().backward()
    their_loss.sum().backward()
    gradient, theirs = x.grad.numpy(), their_x.grad.numpy()
    numpy.testing.assert_array_equal(numpy.isnan(gradient), numpy.isnan(theirs))  # NaN within the frames
    numpy.testing.assert_allclose(numpy.nan_to_num(gradient), numpy.nan_to_num(theirs), rtol=1e-11, atol=1e-12)
    if zero_infinity:
        assert loss.numpy().min() >= 0 and not gradient[:, 2].any()
    else:
        assert numpy.isinf(loss.numpy()).any() and numpy.isnan(gradient[:4, 2]).all()


@pytest.mark.parametrize("input_lengths, target_lengths", [([0, 0, 12, 1], [0, 1, 0, 0]), ([1, 2, 3, 5], [1, 1, 2, 2])])
def test_empty_inputs_and_targets_match_pytorch(torch, input_lengths, target_lengths):
    ours, theirs = _both(torch, _inputs("float64"), PADDED, input_lengths, target_lengths, reduction="none")
    numpy.testing.assert_allclose(ours[0].numpy(), theirs[0].detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("targets", [[1, 2, 2], [[1, 2, 2, 5]]], ids=["its labels", "padded"])
@pytest.mark.parametrize("lengths", ["tensors", "tuples"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_one_sequence_without_a_batch_axis(torch, targets, lengths, reduction):
    x = _inputs("float64")[:, 0]
    results = []
    for framework in (tg, torch):
        leaf = framework.tensor(x, requires_grad=True)
        sizes = (framework.tensor(10), framework.tensor(3)) if lengths == "tensors" else ((10,), (3,))
        results.append((framework.nn.functional.ctc_loss(leaf, framework.tensor(targets), *sizes,
                                                        reduction=reduction), leaf))
    assert results[0][0].shape == tuple(results[1][0].shape) == ()
    _assert_matches(torch, *results, "float64")


def test_a_target_holding_the_blank_is_scored_as_pytorch_scores_it(torch):
    """PyTorch's documentation rules such targets out but its kernel scores them; so do we."""
    ours, theirs = _both(torch, _inputs("float64"), PADDED, INPUT_LENGTHS, TARGET_LENGTHS, blank=2)
    _assert_matches(torch, ours, theirs, "float64")


def test_the_module_matches_pytorch(torch):
    options = dict(blank=C - 2, reduction="sum", zero_infinity=True)
    ours, theirs = nn.CTCLoss(**options), torch.nn.CTCLoss(**options)
    assert repr(ours) == repr(theirs) == "CTCLoss()" and list(ours.state_dict()) == list(theirs.state_dict()) == []
    assert (ours.blank, ours.reduction, ours.zero_infinity) == (C - 2, "sum", True)
    targets = numpy.where(PADDED == C - 2, 0, PADDED)
    x, arguments = _inputs("float32"), (targets, IMPOSSIBLE["input_lengths"], IMPOSSIBLE["target_lengths"])
    expected = theirs(torch.tensor(x), *(torch.tensor(a) for a in arguments)).item()
    assert ours(tg.tensor(x), *arguments).item() == pytest.approx(expected, rel=1e-5)
    assert nn.modules.loss.CTCLoss is nn.CTCLoss and F.ctc_loss is tg.nn.ctc_loss.ctc_loss


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_gradcheck_through_log_softmax(reduction):
    x = tg.tensor(_inputs("float64", normalized=False)[:6, :3], requires_grad=True)
    targets = tg.tensor(PADDED[:3, :2])

    def loss(logits):
        return F.ctc_loss(logits.log_softmax(2), targets, (6, 5, 6), (2, 2, 1), reduction=reduction)

    assert gradcheck(loss, x)


def test_the_gradient_cannot_be_differentiated_again():
    x = tg.tensor(_inputs("float64"), requires_grad=True)
    loss = F.ctc_loss(x, PADDED, INPUT_LENGTHS, TARGET_LENGTHS)
    (gradient,) = tg.autograd.grad(loss, x, tg.tensor(1.0, dtype="float64", requires_grad=True), create_graph=True)
    with pytest.raises(RuntimeError, match="differentiate twice"):
        gradient.sum().backward()


def _call(framework, targets=PADDED, input_lengths=INPUT_LENGTHS, target_lengths=TARGET_LENGTHS, x=None,
          **options):
    x = _inputs("float64") if x is None else x
    as_tensor = [framework.tensor(a) if isinstance(a, numpy.ndarray) else a
                 for a in (x, targets, numpy.array(input_lengths), numpy.array(target_lengths))]
    return framework.nn.functional.ctc_loss(*as_tensor, **options)


REFUSED = {  # what PyTorch refuses with a RuntimeError (ValueError for the reduction)
    "an input length past T": dict(input_lengths=[13, 9, 7, 12]),
    "a negative input length": dict(input_lengths=[-1, 9, 7, 12]),
    "a negative target length": dict(target_lengths=[-1, 2, 3, 0]),
    "a target length past S": dict(target_lengths=[5, 2, 3, 0]),
    "lengths of another size": dict(input_lengths=[12, 9, 7]),
    "float lengths": dict(input_lengths=numpy.array([12.0, 9.0, 7.0, 12.0])),
    "padded targets of another batch": dict(targets=PADDED[:3]),
    "concatenated targets of another size": dict(targets=_concatenated(PADDED, TARGET_LENGTHS)[1:]),
    "3-d targets": dict(targets=PADDED[None]),
    "4-d log_probs": dict(x=_inputs("float64")[None]),
    "blank past the classes": dict(blank=C),
    "a negative blank": dict(blank=-1),
    "an unknown reduction": dict(reduction="avg"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_refuses_what_pytorch_refuses(torch, case):
    error = ValueError if case == "an unknown reduction" else RuntimeError
    with pytest.raises(error):
        _call(torch, **REFUSED[case])
    with pytest.raises(error, match="ctc_loss.* expects|ctc_loss: reduction"):
        _call(tg, **REFUSED[case])


OWN_REFUSALS = {  # PyTorch reads float targets and classes out of range without a word
    "float targets": (dict(targets=PADDED.astype("float64")), TypeError, "integer classes, got dtype float64"),
    "a class past C": (dict(targets=numpy.where(PADDED == 5, C, PADDED)), ValueError,
                       r"target classes in \[0, 6\), got values from 0 to 6"),
    "a number of frames": (dict(input_lengths=12), TypeError, "a Tensor or a tuple or list of ints, got int"),
}


@pytest.mark.parametrize("case", OWN_REFUSALS)
def test_refuses_targets_that_pytorch_misreads(case):
    options, error, words = OWN_REFUSALS[case]
    with pytest.raises(error, match=words):
        F.ctc_loss(tg.tensor(_inputs("float64")), options.get("targets", PADDED),
                   options.get("input_lengths", INPUT_LENGTHS), TARGET_LENGTHS)


def test_runs_on_the_device_as_on_the_cpu(strict_cuda):
    x = _inputs("float64", normalized=False)
    results = []
    for device in ("cuda", "cpu"):
        leaf = tg.tensor(x, device=device, requires_grad=True)
        targets = tg.tensor(_concatenated(PADDED, TARGET_LENGTHS), device=device)
        loss = F.ctc_loss(leaf.log_softmax(2), targets, tg.tensor(IMPOSSIBLE["input_lengths"], device=device),
                          tg.tensor(IMPOSSIBLE["target_lengths"], device=device), zero_infinity=True)
        loss.backward()
        results.append((loss, leaf.grad))
    (loss, gradient), (host_loss, host_gradient) = results
    assert loss.device == gradient.device == "cuda"
    numpy.testing.assert_allclose(loss.numpy(), host_loss.numpy(), rtol=1e-14)
    numpy.testing.assert_allclose(gradient.numpy(), host_gradient.numpy(), rtol=1e-13, atol=1e-15)
