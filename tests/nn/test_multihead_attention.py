"""nn.MultiheadAttention: PyTorch's parameters, outputs, attention weights and gradients
on the same weights, with every mask kind; finite differences in float64; the errors."""

import re

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn import nn
from tinygrad_bn.check.gradcheck import gradcheck
from tinygrad_bn.errors import ShapeError

E, HEADS, L, S, N = 6, 2, 3, 4, 2
CONFIGS = {
    "plain": {},
    "batch_first": {"batch_first": True},
    "no_bias": {"bias": False},
    "kdim_vdim": {"kdim": 5, "vdim": 3},
    "bias_kv_zero_attn": {"add_bias_kv": True, "add_zero_attn": True},
    "three_heads": {"num_heads": 3},
}
MASKS = ["none", "bool attn_mask", "float attn_mask", "3-D attn_mask", "key_padding_mask", "both"]


def _make(namespace, config, dtype):
    options = {"num_heads": HEADS, **config}
    return namespace.nn.MultiheadAttention(E, dtype=getattr(namespace, dtype), **options)


def _twins(torch, config, dtype):
    torch.manual_seed(0)
    theirs = _make(torch, config, dtype)
    ours = _make(tb, config, dtype)
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    return theirs, ours


def _inputs(config, dtype, batched=True):
    rng = numpy.random.default_rng(0)
    sizes = (E, config.get("kdim", E), config.get("vdim", E))
    lengths = (L, S, S)
    if not batched:
        return [rng.standard_normal((length, size)).astype(dtype) for length, size in zip(lengths, sizes)]
    shapes = [(N, length, size) if config.get("batch_first") else (length, N, size)
              for length, size in zip(lengths, sizes)]
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def _masks(kind, heads, dtype, batched=True):
    """attn_mask and key_padding_mask of each kind, as NumPy arrays; none masks a whole row."""
    rng = numpy.random.default_rng(1)
    blocked = rng.random((L, S)) < 0.4
    blocked[:, 0] = False  # every query may attend to the first key
    attn, padding = None, None
    if kind in ("bool attn_mask", "both"):
        attn = blocked
    if kind == "float attn_mask":
        attn = rng.standard_normal((L, S)).astype(dtype)
    if kind == "3-D attn_mask":
        attn = rng.random((N * heads, L, S)) < 0.4
        attn[..., 0] = False
    if kind in ("key_padding_mask", "both"):
        padding = numpy.zeros((N, S), dtype=bool)
        padding[1, 2:] = True
        if not batched:
            padding = padding[1]
    return attn, padding


def _run(framework, module, inputs, attn, padding, need_weights, average):
    tensor = (lambda a: framework.tensor(a)) if framework is not tb else tb.Tensor
    leaves = [framework.tensor(a, requires_grad=True) if framework is not tb else tb.Tensor(a, requires_grad=True)
              for a in inputs]
    output, weights = module(*leaves, key_padding_mask=None if padding is None else tensor(padding),
                             need_weights=need_weights, attn_mask=None if attn is None else tensor(attn),
                             average_attn_weights=average)
    upstream = numpy.random.default_rng(2).standard_normal(tuple(output.shape))
    (output * tensor(upstream)).sum().backward()
    results = [output.detach().numpy()] + ([weights.detach().numpy()] if need_weights else [])
    return results + [t.grad.numpy() for t in leaves] + [p.grad.numpy() for _, p in module.named_parameters()]


@pytest.mark.parametrize("config", CONFIGS)
def test_parameters_and_repr_are_pytorchs(torch, config):
    theirs, ours = _twins(torch, CONFIGS[config], "float32")
    assert [(k, tuple(p.shape)) for k, p in ours.named_parameters()] == \
           [(k, tuple(p.shape)) for k, p in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("config", CONFIGS)
def test_outputs_weights_and_gradients_match_pytorch(torch, config, mask, dtype):
    theirs, ours = _twins(torch, CONFIGS[config], dtype)
    inputs = _inputs(CONFIGS[config], dtype)
    attn, padding = _masks(mask, ours.num_heads, dtype)
    for need_weights, average in ((True, True), (True, False), (False, True)):
        got = _run(tb, ours, inputs, attn, padding, need_weights, average)
        expected = _run(torch, theirs, inputs, attn, padding, need_weights, average)
        tolerance = dict(rtol=1e-4, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
        for a, b in zip(got, expected, strict=True):
            assert a.shape == b.shape
            numpy.testing.assert_allclose(a, b, **tolerance)
        ours.zero_grad()
        theirs.zero_grad()


@pytest.mark.parametrize("mask", ["none", "key_padding_mask"])
def test_unbatched_input_matches_pytorch(torch, mask):
    theirs, ours = _twins(torch, {}, "float64")
    inputs = _inputs({}, "float64", batched=False)
    attn, padding = _masks(mask, HEADS, "float64", batched=False)
    for a, b in zip(_run(tb, ours, inputs, attn, padding, True, True),
                    _run(torch, theirs, inputs, attn, padding, True, True), strict=True):
        numpy.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_a_query_that_may_attend_to_nothing_gives_what_pytorch_gives(torch):
    theirs, ours = _twins(torch, {}, "float64")
    inputs = _inputs({}, "float64")
    padding = numpy.zeros((N, S), dtype=bool)
    padding[0] = True
    for need_weights in (True, False):  # NaN from the weights, zeros from PyTorch's attention kernel
        expected, _ = theirs(*(torch.tensor(a) for a in inputs), key_padding_mask=torch.tensor(padding),
                             need_weights=need_weights)
        got, _ = ours(*(tb.Tensor(a) for a in inputs), key_padding_mask=tb.Tensor(padding), need_weights=need_weights)
        numpy.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert numpy.isnan(got.numpy()[:, 0]).all() == need_weights and not numpy.isnan(got.numpy()[:, 1]).any()


def test_gradients_match_finite_differences():
    tb.manual_seed(0)
    module = nn.MultiheadAttention(4, 2, add_bias_kv=True, dtype=tb.float64)
    rng = numpy.random.default_rng(3)
    names = [key for key, _ in module.named_parameters()]
    weights = [tb.Tensor(p.numpy().copy(), requires_grad=True) for _, p in module.named_parameters()]
    inputs = [tb.Tensor(rng.standard_normal((3, 2, 4)), requires_grad=True) for _ in range(3)]
    mask = tb.Tensor(numpy.array([[False, True, False], [False, False, True], [True, False, False]]))

    def attend(query, key, value, *values):
        for name, tensor in zip(names, values):  # the layer run with these tensors as its weights
            owner, _, leaf = name.rpartition(".")
            (module.get_submodule(owner) if owner else module)._parameters[leaf] = tensor
        return module(query, key, value, attn_mask=mask)

    assert gradcheck(attend, inputs + weights)


def test_dropout_acts_on_the_weights_in_training_only():
    tb.manual_seed(0)
    module = nn.MultiheadAttention(E, HEADS, dropout=1.0)
    x = tb.randn(L, N, E)
    output, weights = module(x, x, x)
    numpy.testing.assert_array_equal(weights.numpy(), 0.0)  # every weight dropped
    numpy.testing.assert_allclose(output.numpy(), numpy.broadcast_to(module.out_proj.bias.numpy(), output.shape))
    module.eval()
    _, weights = module(x, x, x)
    numpy.testing.assert_allclose(weights.numpy().sum(-1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("call, words", [
    (lambda m: m(tb.zeros(3, 2, 6), tb.zeros(4, 2, 6), tb.zeros(4, 6)), "all (L, N, E)"),
    (lambda m: m(tb.zeros(3, 2, 5), tb.zeros(4, 2, 6), tb.zeros(4, 2, 6)), "query of size 6"),
    (lambda m: m(tb.zeros(3, 2, 6), tb.zeros(4, 2, 6), tb.zeros(5, 2, 6)), "one length and batch"),
    (lambda m: m(tb.zeros(3, 2, 6), tb.zeros(4, 2, 6), tb.zeros(4, 2, 6), attn_mask=tb.zeros(4, 3)), "(3, 4)"),
    (lambda m: m(tb.zeros(3, 2, 6), tb.zeros(4, 2, 6), tb.zeros(4, 2, 6),
                 key_padding_mask=tb.zeros(2, 3, dtype="bool")), "(2, 4)"),
])
def test_wrong_shapes_say_what_was_expected(call, words):
    with pytest.raises(ShapeError, match=re.escape(words)):
        call(nn.MultiheadAttention(E, HEADS))


def test_embed_dim_must_split_into_the_heads():
    with pytest.raises(ValueError, match=re.escape("divisible by num_heads (4)")):
        nn.MultiheadAttention(6, 4)


def test_initialisation_is_pytorchs_in_kind():
    """Xavier-uniform projections, zero biases."""
    tb.manual_seed(0)
    module = nn.MultiheadAttention(64, 4)
    bound = (6 / (64 + 3 * 64)) ** 0.5
    values = module.in_proj_weight.numpy()
    assert numpy.abs(values).max() <= bound and values.std() == pytest.approx(bound / 3 ** 0.5, rel=0.05)
    assert not module.in_proj_bias.numpy().any() and not module.out_proj.bias.numpy().any()


@pytest.mark.parametrize("need_weights", [True, False])
def test_runs_forward_and_backward_on_the_device(strict_cuda, need_weights):
    inputs = _inputs({"add_bias_kv": True}, "float64")
    attn, padding = _masks("both", HEADS, "float64")
    results = []
    for where in ("cpu", "cuda"):
        tb.manual_seed(0)
        module = nn.MultiheadAttention(E, HEADS, add_bias_kv=True, dtype=tb.float64, device=where)
        leaves = [tb.Tensor(a, requires_grad=True, device=where) for a in inputs]
        output, weights = module(*leaves, key_padding_mask=tb.Tensor(padding, device=where),
                                 attn_mask=tb.Tensor(attn, device=where), need_weights=need_weights)
        output.sum().backward()
        assert output.device == where and all(p.grad.device == where for p in module.parameters())
        gradients = [t.grad.numpy() for t in leaves] + [p.grad.numpy() for p in module.parameters()]
        results.append([output.numpy()] + gradients)
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)
