"""EmbeddingBag and F.embedding_bag: PyTorch's bags, values and gradients for every
mode, with offsets or a 2-d input, padding_idx, per-sample weights and the last
offset included; PyTorch's refusals; the same on the strict device."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn.nn.embedding_bag import embedding_bag

WEIGHT = numpy.random.default_rng(0).standard_normal((10, 3))
INDICES = numpy.array([1, 2, 4, 5, 4, 3, 2, 9, 2])
OFFSETS = numpy.array([0, 4, 4, 6])  # the second bag is empty

CALLS = {
    "offsets": dict(offsets=OFFSETS),
    "padding_idx": dict(offsets=OFFSETS, padding_idx=2),
    "last offset included": dict(offsets=numpy.append(OFFSETS, len(INDICES)), include_last_offset=True),
    "2-d": dict(rows=True),
    "2-d, padding_idx": dict(rows=True, padding_idx=4),
}


def _call(framework, weight, options, mode, per_sample_weights=None):
    options = dict(options)
    indices = INDICES[:8].reshape(2, 4) if options.pop("rows", False) else INDICES
    offsets = options.pop("offsets", None)
    return framework.nn.functional.embedding_bag(
        framework.tensor(indices), weight, None if offsets is None else framework.tensor(offsets), mode=mode,
        per_sample_weights=per_sample_weights, **options)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("name", CALLS)
def test_values_and_weight_gradients_match_pytorch(torch, name, mode):
    ours_weight, theirs_weight = tg.tensor(WEIGHT, requires_grad=True), torch.tensor(WEIGHT, requires_grad=True)
    ours, theirs = _call(tg, ours_weight, CALLS[name], mode), _call(torch, theirs_weight, CALLS[name], mode)
    numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = numpy.random.default_rng(1).standard_normal(ours.shape)
    ours.backward(tg.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    numpy.testing.assert_allclose(ours_weight.grad.numpy(), theirs_weight.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_per_sample_weights_and_their_gradient_match_pytorch(torch):
    scale = numpy.linspace(0.5, 2.0, len(INDICES))
    ours_scale, theirs_scale = tg.tensor(scale, requires_grad=True), torch.tensor(scale, requires_grad=True)
    ours = _call(tg, tg.tensor(WEIGHT), CALLS["padding_idx"], "sum", ours_scale)
    theirs = _call(torch, torch.tensor(WEIGHT), CALLS["padding_idx"], "sum", theirs_scale)
    numpy.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    (ours * ours).sum().backward()
    (theirs * theirs).sum().backward()
    numpy.testing.assert_allclose(ours_scale.grad.numpy(), theirs_scale.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_the_module_has_pytorchs_repr_state_and_bags(torch):
    ours = tg.nn.EmbeddingBag.from_pretrained(tg.tensor(WEIGHT), mode="max", padding_idx=2)
    theirs = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(WEIGHT), mode="max", padding_idx=2)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    assert not ours.weight.requires_grad
    numpy.testing.assert_allclose(ours(tg.tensor(INDICES), tg.tensor(OFFSETS)).numpy(),
                                  theirs(torch.tensor(INDICES), torch.tensor(OFFSETS)).numpy(), rtol=1e-12)
    assert repr(tg.nn.EmbeddingBag(10, 3)) == repr(torch.nn.EmbeddingBag(10, 3))


def test_gradcheck_through_each_mode():
    weight = tg.tensor(WEIGHT, requires_grad=True)
    for mode in ("sum", "mean", "max"):
        assert tg.check.gradcheck(lambda w, mode=mode: embedding_bag(tg.tensor(INDICES), w, tg.tensor(OFFSETS),
                                                                      mode=mode), weight)


ERRORS = {
    "no offsets": (lambda f: f.nn.functional.embedding_bag(f.tensor(INDICES), f.tensor(WEIGHT)), ValueError),
    "weights with mean": (lambda f: f.nn.functional.embedding_bag(
        f.tensor(INDICES), f.tensor(WEIGHT), f.tensor(OFFSETS), per_sample_weights=f.ones(len(INDICES))),
        NotImplementedError),
}


@pytest.mark.parametrize("name", ERRORS)
def test_refuses_what_pytorch_refuses(torch, name):
    call, error = ERRORS[name]
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(tg)


def test_runs_on_the_device_as_on_the_cpu(strict_cuda):
    on_device = embedding_bag(tg.tensor(INDICES, device="cuda"), tg.tensor(WEIGHT, device="cuda"),
                              tg.tensor(OFFSETS, device="cuda"), mode="mean", padding_idx=2)
    assert on_device.device == "cuda"
    on_host = embedding_bag(tg.tensor(INDICES), tg.tensor(WEIGHT), tg.tensor(OFFSETS), mode="mean", padding_idx=2)
    numpy.testing.assert_allclose(on_device.numpy(), on_host.numpy(), rtol=1e-14)
