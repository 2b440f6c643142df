"""nn.Transformer and its encoder and decoder layers: PyTorch's parameters and repr, and
its outputs and gradients on the same weights, with masks, pre- and post-norm."""

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn import nn

D, HEADS, FF, SRC, TGT, N = 8, 2, 12, 5, 4, 2
LAYER_OPTIONS = {
    "post-norm relu": {},
    "pre-norm gelu": {"norm_first": True, "activation": "gelu"},
    "batch_first no bias": {"batch_first": True, "bias": False},
}
MASKS = ["none", "causal", "padding", "both"]


def _copy(theirs, ours):
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    return theirs, ours


def _arrays(batch_first, dtype="float64"):
    rng = numpy.random.default_rng(0)
    shape = (lambda length: (N, length, D)) if batch_first else (lambda length: (length, N, D))
    return rng.standard_normal(shape(SRC)).astype(dtype), rng.standard_normal(shape(TGT)).astype(dtype)


def _masks(framework, kind, length):
    """A causal float mask (PyTorch's own helper) and a key padding mask of each kind."""
    causal = framework.nn.Transformer.generate_square_subsequent_mask(length) if kind in ("causal", "both") else None
    padding = None
    if kind in ("padding", "both"):
        blocked = numpy.zeros((N, length), dtype=bool)
        blocked[1, -2:] = True
        padding = tb.Tensor(blocked) if framework is tb else framework.tensor(blocked)
    return causal, padding


def _gradients(framework, module, leaves, output):
    upstream = numpy.random.default_rng(1).standard_normal(tuple(output.shape))
    (output * (tb.Tensor(upstream) if framework is tb else framework.tensor(upstream))).sum().backward()
    return [output.detach().numpy()] + [t.grad.numpy() for t in leaves] + \
           [p.grad.numpy() for _, p in module.named_parameters()]


def _leaf(framework, array):
    return tb.Tensor(array, requires_grad=True) if framework is tb else framework.tensor(array, requires_grad=True)


def _assert_same(got, expected):
    for a, b in zip(got, expected, strict=True):
        assert a.shape == b.shape
        numpy.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("options", LAYER_OPTIONS)
def test_encoder_of_two_layers_matches_pytorch(torch, options, mask):
    config = {**LAYER_OPTIONS[options], "dim_feedforward": FF, "dropout": 0.0}

    def make(framework):
        layer = framework.nn.TransformerEncoderLayer(D, HEADS, dtype=framework.float64, **config)
        return framework.nn.TransformerEncoder(layer, 2, norm=framework.nn.LayerNorm(D, dtype=framework.float64),
                                               enable_nested_tensor=False)

    torch.manual_seed(0)
    theirs, ours = _copy(make(torch), make(tb))
    assert repr(ours) == repr(theirs)
    src, _ = _arrays(config.get("batch_first", False))
    results = []
    for framework, module in ((tb, ours), (torch, theirs)):
        causal, padding = _masks(framework, mask, SRC)
        leaves = [_leaf(framework, src)]
        output = module(leaves[0], mask=causal, src_key_padding_mask=padding)
        results.append(_gradients(framework, module, leaves, output))
    _assert_same(*results)


@pytest.mark.parametrize("mask", ["none", "both"])  # each mask alone is in the encoder's test
@pytest.mark.parametrize("options", LAYER_OPTIONS)
def test_transformer_matches_pytorch(torch, options, mask):
    config = {**LAYER_OPTIONS[options], "dim_feedforward": FF, "dropout": 0.0}

    def make(framework):
        return framework.nn.Transformer(D, HEADS, num_encoder_layers=2, num_decoder_layers=2,
                                        dtype=framework.float64, **config)

    torch.manual_seed(0)
    theirs, ours = _copy(make(torch), make(tb))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    src, tgt = _arrays(config.get("batch_first", False))
    results = []
    for framework, module in ((tb, ours), (torch, theirs)):
        causal, padding = _masks(framework, mask, TGT)
        _, memory_padding = _masks(framework, mask, SRC)
        leaves = [_leaf(framework, src), _leaf(framework, tgt)]
        output = module(*leaves, tgt_mask=causal, tgt_key_padding_mask=padding, src_key_padding_mask=memory_padding,
                        memory_key_padding_mask=memory_padding)
        results.append(_gradients(framework, module, leaves, output))
    _assert_same(*results)


def test_decoder_layer_with_a_memory_mask_in_eval_mode_matches_pytorch(torch):
    torch.manual_seed(0)
    theirs, ours = _copy(torch.nn.TransformerDecoderLayer(D, HEADS, FF, dtype=torch.float64).eval(),
                         nn.TransformerDecoderLayer(D, HEADS, FF, dtype=tb.float64).eval())
    src, tgt = _arrays(False)
    memory_mask = numpy.random.default_rng(2).random((TGT, SRC)) < 0.3
    memory_mask[:, 0] = False
    expected = theirs(torch.tensor(tgt), torch.tensor(src), memory_mask=torch.tensor(memory_mask))
    got = ours(tb.Tensor(tgt), tb.Tensor(src), memory_mask=tb.Tensor(memory_mask))
    numpy.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=1e-9, atol=1e-11)


def test_transformer_starts_xavier_uniform():
    tb.manual_seed(0)
    model = nn.Transformer(16, 2, 1, 1, 32)
    weight = model.encoder.layers[0].linear1.weight.numpy()
    bound = (6 / (16 + 32)) ** 0.5
    assert numpy.abs(weight).max() <= bound and weight.std() == pytest.approx(bound / 3 ** 0.5, rel=0.1)


def test_the_encoders_layers_are_copies_with_weights_of_their_own():
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, HEADS, FF), 3)
    weights = [layer.linear1.weight for layer in encoder.layers]
    assert len({id(w) for w in weights}) == 3 and len({id(w._data) for w in weights}) == 3
    numpy.testing.assert_array_equal(weights[0].numpy(), weights[2].numpy())


def test_square_subsequent_mask_is_pytorchs(torch):
    numpy.testing.assert_array_equal(nn.Transformer.generate_square_subsequent_mask(4).numpy(),
                                     torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())


def test_a_wrong_activation_is_refused():
    with pytest.raises(ValueError, match="'relu', 'gelu' or a callable"):
        nn.TransformerEncoderLayer(D, HEADS, activation="swish")
