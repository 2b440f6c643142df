"""Categorical (and OneHotCategorical) at the edges: logits far apart, classes of
probability 0, unnormalized probabilities, values broadcast against the batch."""

from __future__ import annotations

import numpy

import tinygrad_bn as tg


def test_logits_far_apart_match_pytorch_with_gradients(torch):
    logits = numpy.array([[1e4, 0.0, -1e4], [0.0, 0.0, 50.0]])
    results = []
    for framework, module in ((tg, tg.distributions), (torch, torch.distributions)):
        leaf = framework.tensor(logits, requires_grad=True)
        dist = module.Categorical(logits=leaf)
        log_prob, entropy = dist.log_prob(framework.tensor([[0, 1], [2, 2]])), dist.entropy()
        (log_prob.sum() + entropy.sum()).backward()
        results.append([log_prob.detach().numpy(), entropy.detach().numpy(), leaf.grad.numpy()])
    for ours, theirs in zip(*results, strict=True):
        assert numpy.isfinite(ours).all()
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_classes_of_probability_0_have_finite_entropy_and_are_never_drawn(same_as_pytorch):
    same_as_pytorch(lambda D, t: D.Categorical(t([0.0, 3.0, 1.0, 0.0])).entropy())
    same_as_pytorch(lambda D, t: D.Categorical(logits=t([-numpy.inf, 0.0, 1.0])).entropy())
    tg.manual_seed(0)
    draws = tg.distributions.Categorical(tg.tensor([0.0, 3.0, 1.0, 0.0])).sample((20_000,)).numpy()
    assert set(numpy.unique(draws).tolist()) == {1, 2}


def test_probabilities_are_normalized_and_values_broadcast_as_in_pytorch(same_as_pytorch):
    probs = same_as_pytorch(lambda D, t: D.Categorical(t([[1.0, 3.0], [2.0, 2.0], [0.5, 0.0]])).probs)
    assert probs.sum(-1).tolist() == [1.0, 1.0, 1.0]
    log_prob = same_as_pytorch(lambda D, t: D.Categorical(t([[1.0, 3.0], [2.0, 2.0], [0.5, 0.0]])).log_prob(
        t([[0.0], [1.0]]).long()))
    assert log_prob.shape == (2, 3)


def test_one_hot_log_prob_is_the_categorical_one_of_the_hot_class(same_as_pytorch):
    same_as_pytorch(lambda D, t: D.OneHotCategorical(logits=t([[0.0, 1.0, 2.0]])).log_prob(t([[0.0, 0.0, 1.0],
                                                                                                [1.0, 0.0, 0.0]])))
    modes = same_as_pytorch(lambda D, t: D.OneHotCategorical(t([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])).mode)
    assert modes.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_parameters_first_computed_by_sample_keep_their_gradient(torch):
    # sample() reads probs under no_grad; the probs it computes first must still lead back to the logits
    grads = []
    for framework, module in ((tg, tg.distributions), (torch, torch.distributions)):
        framework.manual_seed(0)
        leaf = framework.tensor([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]], dtype=framework.float64, requires_grad=True)
        dist = module.Categorical(logits=leaf)
        dist.sample((4,))
        (dist.log_prob(framework.tensor([1, 2])).sum() - dist.entropy().sum()).backward()
        grads.append(leaf.grad.numpy())
    numpy.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-15)
    bernoulli = tg.distributions.Bernoulli(logits=tg.tensor([0.5, -1.0], requires_grad=True))
    with tg.no_grad():
        probs = bernoulli.probs
    assert probs.requires_grad
