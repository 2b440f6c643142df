"""Padding and packing sequences, and recurrent layers run on packed batches: the same
tensors, outputs and gradients as PyTorch's torch.nn.utils.rnn."""

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn.errors import ShapeError
from tinygrad_bn.nn.utils import rnn

LENGTHS = {"sorted": [5, 3, 3, 1], "unsorted": [2, 5, 1, 4], "one": [3], "all full": [4, 4]}


def _padded(lengths, features=2, seed=0):
    """(T, B, F) values, the padding filled with NaN: packing must never read it."""
    rng = numpy.random.default_rng(seed)
    x = rng.standard_normal((max(lengths), len(lengths), features))
    for b, length in enumerate(lengths):
        x[length:, b] = numpy.nan
    return x


def _torch_rnn(torch):
    return torch.nn.utils.rnn


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("case", LENGTHS)
def test_pack_and_pad_as_pytorch(torch, case, batch_first):
    lengths = LENGTHS[case]
    x = _padded(lengths)
    if batch_first:
        x = x.swapaxes(0, 1)
    enforce = case != "unsorted"
    ours = rnn.pack_padded_sequence(tb.Tensor(x), lengths, batch_first=batch_first, enforce_sorted=enforce)
    theirs = _torch_rnn(torch).pack_padded_sequence(torch.tensor(x), torch.tensor(lengths), batch_first=batch_first,
                                                     enforce_sorted=enforce)
    numpy.testing.assert_array_equal(ours.data.numpy(), theirs.data.numpy())
    numpy.testing.assert_array_equal(ours.batch_sizes.numpy(), theirs.batch_sizes.numpy())
    for mine, their in ((ours.sorted_indices, theirs.sorted_indices), (ours.unsorted_indices, theirs.unsorted_indices)):
        assert (mine is None) == (their is None)
        if mine is not None:
            numpy.testing.assert_array_equal(mine.numpy(), their.numpy())
    padded, got_lengths = rnn.pad_packed_sequence(ours, batch_first=batch_first, padding_value=-7.0,
                                                  total_length=max(lengths) + 1)
    expected, expected_lengths = _torch_rnn(torch).pad_packed_sequence(theirs, batch_first=batch_first,
                                                                       padding_value=-7.0,
                                                                       total_length=max(lengths) + 1)
    numpy.testing.assert_array_equal(padded.numpy(), expected.numpy())
    numpy.testing.assert_array_equal(got_lengths.numpy(), expected_lengths.numpy())


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_as_pytorch(torch, batch_first, padding_side):
    rng = numpy.random.default_rng(1)
    sequences = [rng.standard_normal((length, 3)) for length in (2, 5, 1)]
    ours = rnn.pad_sequence([tb.Tensor(s) for s in sequences], batch_first, -1.0, padding_side)
    theirs = _torch_rnn(torch).pad_sequence([torch.tensor(s) for s in sequences], batch_first, -1.0, padding_side)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_pack_sequence_and_its_inverses_give_the_sequences_back(torch):
    rng = numpy.random.default_rng(2)
    sequences = [rng.standard_normal((length, 2)) for length in (3, 4, 1)]
    packed = rnn.pack_sequence([tb.Tensor(s) for s in sequences], enforce_sorted=False)
    theirs = _torch_rnn(torch).pack_sequence([torch.tensor(s) for s in sequences], enforce_sorted=False)
    numpy.testing.assert_array_equal(packed.data.numpy(), theirs.data.numpy())
    for got, expected in zip(rnn.unpack_sequence(packed), sequences, strict=True):
        numpy.testing.assert_array_equal(got.numpy(), expected)
    padded = rnn.pad_sequence([tb.Tensor(s) for s in sequences])
    for got, expected in zip(rnn.unpad_sequence(padded, [3, 4, 1]), sequences, strict=True):
        numpy.testing.assert_array_equal(got.numpy(), expected)


def test_packing_carries_gradients_to_the_padded_tensor():
    """Gradients flow back through packing to the real steps only; the padding gets zeros."""
    lengths = [3, 1]
    x = tb.Tensor(numpy.nan_to_num(_padded(lengths)), requires_grad=True)
    packed = rnn.pack_padded_sequence(x, lengths)
    (packed.data * 2.0).sum().backward()
    expected = numpy.zeros(x.shape)
    for b, length in enumerate(lengths):
        expected[:length, b] = 2.0
    numpy.testing.assert_array_equal(x.grad.numpy(), expected)


@pytest.mark.parametrize("lengths, words", [
    ([3, 4], "decreasing order"),
    ([0, 2], "[1, 4]"),
    ([5, 2], "[1, 4]"),
    ([3], "2 integer lengths"),
    ([2.5, 1.0], "2 integer lengths"),
])
def test_wrong_lengths_are_refused(lengths, words):
    with pytest.raises(ShapeError, match=__import__("re").escape(words)):
        rnn.pack_padded_sequence(tb.zeros(4, 2, 1), lengths)


def test_packed_sequence_is_a_named_tuple_that_moves_with_to():
    packed = rnn.pack_sequence([tb.ones(2, 1), tb.ones(1, 1)])
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert batch_sizes.tolist() == [2, 1] and sorted_indices is None and unsorted_indices is None
    assert packed.to(tb.float64).data.dtype == tb.float64 and not packed.is_cuda


LAYERS = {"lstm": dict(kind="LSTM", num_layers=2, bidirectional=True),
          "gru": dict(kind="GRU", batch_first=True),
          "rnn": dict(kind="RNN", bidirectional=True),
          "lstm_projected": dict(kind="LSTM", proj_size=2)}


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("case", ["sorted", "unsorted"])
@pytest.mark.parametrize("name", LAYERS)
def test_layers_on_packed_batches_match_pytorch(torch, name, case, with_state):
    """Outputs, final states and the gradients of the padded input, the initial state and
    every weight, for a random weighting of the outputs; the NaN padding never reaches them."""
    config = LAYERS[name]
    options = {key: value for key, value in config.items() if key != "kind"}
    lengths = LENGTHS[case]
    x = _padded(lengths, features=3, seed=3)
    if options.get("batch_first"):
        x = x.swapaxes(0, 1)
    torch.manual_seed(0)
    theirs = getattr(torch.nn, config["kind"])(3, 4, dtype=torch.float64, **options)
    ours = getattr(tb.nn, config["kind"])(3, 4, dtype=tb.float64, **options)
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    rng = numpy.random.default_rng(4)
    count = theirs.num_layers * (2 if theirs.bidirectional else 1)
    states = [rng.standard_normal((count, len(lengths), size)) for size in
              ([theirs.proj_size or 4] + ([4] if config["kind"] == "LSTM" else []))] if with_state else []

    def run(framework, module, utils):
        leaves = [framework.tensor(a, requires_grad=True) if framework is torch else tb.Tensor(a, requires_grad=True)
                  for a in (x, *states)]
        packed = utils.pack_padded_sequence(leaves[0], lengths, batch_first=bool(options.get("batch_first")),
                                            enforce_sorted=case == "sorted")
        hx = None if not states else (tuple(leaves[1:]) if len(states) == 2 else leaves[1])
        output, final = module(packed, hx)
        final = list(final) if isinstance(final, tuple) else [final]
        padded, _ = utils.pad_packed_sequence(output, batch_first=bool(options.get("batch_first")))
        outputs = [output.data, padded, *final]
        weights = numpy.random.default_rng(5)
        loss = sum((o * framework.tensor(weights.standard_normal(tuple(o.shape)))).sum() for o in outputs[::-1][:-1])
        loss.backward()
        return [o.detach().numpy() for o in outputs] + [t.grad.numpy() for t in leaves] + \
               [p.grad.numpy() for _, p in module.named_parameters()]

    for got, expected in zip(run(tb, ours, rnn), run(torch, theirs, _torch_rnn(torch)), strict=True):
        numpy.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
