"""RNN, LSTM, GRU and their cells: PyTorch's parameters, outputs and gradients on the
same weights, finite differences in float64, and the errors."""

import math

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn import nn
from tinygrad_bn.check.gradcheck import gradcheck, gradgradcheck
from tinygrad_bn.errors import ShapeError

LAYERS = {
    "rnn": dict(kind="RNN"),
    "rnn_relu": dict(kind="RNN", nonlinearity="relu"),
    "lstm": dict(kind="LSTM"),
    "gru": dict(kind="GRU"),
    "lstm_2_layers_bidirectional": dict(kind="LSTM", num_layers=2, bidirectional=True),
    "gru_2_layers_no_bias": dict(kind="GRU", num_layers=2, bias=False),
    "rnn_bidirectional_batch_first": dict(kind="RNN", bidirectional=True, batch_first=True),
    "lstm_projected": dict(kind="LSTM", num_layers=2, proj_size=2),
    "lstm_projected_bidirectional": dict(kind="LSTM", bidirectional=True, proj_size=3, batch_first=True),
}
CELLS = {"rnn_cell": dict(kind="RNNCell"), "rnn_relu_cell": dict(kind="RNNCell", nonlinearity="relu"),
         "lstm_cell": dict(kind="LSTMCell"), "gru_cell": dict(kind="GRUCell"),
         "gru_cell_no_bias": dict(kind="GRUCell", bias=False)}
INPUT, HIDDEN, STEPS, BATCH = 3, 5, 4, 2
TOLERANCE = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-10, atol=1e-12)}


def _make(namespace, config, dtype):
    options = {key: value for key, value in config.items() if key != "kind"}
    return getattr(namespace.nn, config["kind"])(INPUT, HIDDEN, **options, dtype=getattr(namespace, dtype))


def _twins(torch, config, dtype):
    """PyTorch's layer and ours, with PyTorch's weights."""
    torch.manual_seed(0)
    theirs = _make(torch, config, dtype)
    ours = _make(tb, config, dtype)
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})
    return theirs, ours


def _state_shape(module, batched=True):
    count = module.num_layers * (2 if module.bidirectional else 1)
    size = module.proj_size or module.hidden_size
    return (count, BATCH, size) if batched else (count, size)


def _inputs(module, rng, dtype, batched=True, with_state=True):
    """An input and an initial state (a pair for an LSTM; None without ``with_state``)."""
    shape = (STEPS, BATCH, INPUT) if batched else (STEPS, INPUT)
    if batched and module.batch_first:
        shape = (BATCH, STEPS, INPUT)
    x = rng.standard_normal(shape).astype(dtype)
    if not with_state:
        return x, None
    h = rng.standard_normal(_state_shape(module, batched)).astype(dtype)
    if module.mode != "LSTM":
        return x, h
    c = rng.standard_normal((*h.shape[:-1], module.hidden_size)).astype(dtype)
    return x, (h, c)


def _flat(outputs):
    """(output, h_n) or (output, (h_n, c_n)) as a flat list."""
    output, state = outputs
    return [output, *(state if isinstance(state, tuple) else (state,))]


def _leaf(framework, array):
    if framework is tb:
        return tb.Tensor(array, requires_grad=True)
    return framework.tensor(array, requires_grad=True)


def _run(framework, module, x, state, rng_seed):
    """Outputs, and the gradients of a random weighting of them with respect to the input,
    the state and every parameter."""
    leaves = [_leaf(framework, x)]
    if state is not None:
        leaves += [_leaf(framework, s) for s in (state if isinstance(state, tuple) else (state,))]
    hx = None if state is None else (tuple(leaves[1:]) if isinstance(state, tuple) else leaves[1])
    outputs = _flat(module(leaves[0], hx))
    rng = numpy.random.default_rng(rng_seed)
    weights = [rng.standard_normal(tuple(o.shape)) for o in outputs]
    loss = sum((o * framework.tensor(w, dtype=o.dtype)).sum() for o, w in zip(outputs, weights))
    loss.backward()
    values = [o.detach().numpy() for o in outputs]
    grads = [t.grad.numpy() for t in leaves] + [p.grad.numpy() for _, p in module.named_parameters()]
    return values, grads


@pytest.mark.parametrize("name", LAYERS)
def test_parameters_are_pytorchs(torch, name):
    theirs, ours = _twins(torch, LAYERS[name], "float32")
    assert [(key, tuple(p.shape)) for key, p in ours.named_parameters()] == \
           [(key, tuple(p.shape)) for key, p in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batched, with_state", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("name", LAYERS)
def test_outputs_and_gradients_match_pytorch(torch, name, dtype, batched, with_state):
    theirs, ours = _twins(torch, LAYERS[name], dtype)
    x, state = _inputs(ours, numpy.random.default_rng(1), dtype, batched, with_state)
    expected_values, expected_grads = _run(torch, theirs, x, state, rng_seed=2)
    values, grads = _run(tb, ours, x, state, rng_seed=2)
    for got, expected in zip(values + grads, expected_values + expected_grads, strict=True):
        assert got.shape == expected.shape
        numpy.testing.assert_allclose(got, expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru", "lstm_projected_bidirectional"])
def test_gradients_match_finite_differences(name):
    config = LAYERS[name]
    tb.manual_seed(0)
    module = _make(tb, {**config, "num_layers": 1}, "float64")
    x, state = _inputs(module, numpy.random.default_rng(3), "float64", batched=True)
    parts = state if isinstance(state, tuple) else (state,)
    names = [key for key, _ in module.named_parameters()]
    weights = [tb.Tensor(p.numpy().copy(), requires_grad=True) for _, p in module.named_parameters()]
    inputs = [tb.Tensor(x, requires_grad=True), *(tb.Tensor(s, requires_grad=True) for s in parts), *weights]

    def outputs(x, *states_and_weights):
        states, values = states_and_weights[:len(parts)], states_and_weights[len(parts):]
        module._parameters.update(zip(names, values))  # the layer run with these tensors as its weights
        return tuple(_flat(module(x, tuple(states) if len(states) == 2 else states[0])))

    assert gradcheck(outputs, inputs)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_second_derivatives_match_finite_differences(kind):
    tb.manual_seed(0)
    module = getattr(nn, kind)(2, 3, dtype=tb.float64)
    x = tb.Tensor(numpy.random.default_rng(4).standard_normal((3, 2, 2)), requires_grad=True)
    assert gradgradcheck(lambda x: module(x)[0], [x])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("name", CELLS)
def test_cells_match_pytorch(torch, name, dtype, batched):
    theirs, ours = _twins(torch, CELLS[name], dtype)
    rng = numpy.random.default_rng(5)
    shape = (BATCH,) if batched else ()
    x = rng.standard_normal((*shape, INPUT)).astype(dtype)
    hidden = [rng.standard_normal((*shape, HIDDEN)).astype(dtype) for _ in range(2 if "LSTM" in name.upper() else 1)]

    def run(framework, module):
        leaves = [_leaf(framework, a) for a in (x, *hidden)]
        hx = tuple(leaves[1:]) if len(hidden) == 2 else leaves[1]
        out = module(leaves[0], hx)
        out = out if isinstance(out, tuple) else (out,)
        loss = sum((o * (k + 1.5)).sum() for k, o in enumerate(out))
        loss.backward()
        return [o.detach().numpy() for o in out] + [t.grad.numpy() for t in leaves] + \
               [p.grad.numpy() for _, p in module.named_parameters()]

    assert repr(ours) == repr(theirs)
    for got, expected in zip(run(tb, ours), run(torch, theirs), strict=True):
        numpy.testing.assert_allclose(got, expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cells_start_from_zeros(kind):
    tb.manual_seed(0)
    cell = getattr(nn, kind)(INPUT, HIDDEN)
    x = tb.randn(BATCH, INPUT)
    zero = tb.zeros(BATCH, HIDDEN)
    explicit = cell(x, (zero, zero) if kind == "LSTMCell" else zero)
    implicit = cell(x)
    for a, b in zip(*(o if isinstance(o, tuple) else (o,) for o in (explicit, implicit))):
        numpy.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_cell_steps_as_its_layer(torch):
    """An LSTM of one layer is its cell applied at each step."""
    tb.manual_seed(0)
    layer = nn.LSTM(INPUT, HIDDEN)
    cell = nn.LSTMCell(INPUT, HIDDEN)
    cell.load_state_dict({key[:-3]: value for key, value in layer.state_dict().items()})
    x = tb.randn(STEPS, BATCH, INPUT)
    output, (h_n, c_n) = layer(x)
    state = None
    for t in range(STEPS):
        state = cell(x[t], state)
        numpy.testing.assert_allclose(state[0].numpy(), output[t].numpy(), rtol=1e-6)
    numpy.testing.assert_allclose(state[1].numpy(), c_n[0].numpy(), rtol=1e-6)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_dropout_acts_between_layers_in_training_only(torch, kind):
    """With p = 1 every output of the first layer is zeroed, so the second layer sees
    zeros, in PyTorch as here; in eval mode dropout does nothing."""
    config = {"kind": kind, "num_layers": 2, "dropout": 1.0}
    theirs, ours = _twins(torch, config, "float64")
    x, _ = _inputs(ours, numpy.random.default_rng(6), "float64", with_state=False)
    for training in (True, False):
        theirs.train(training)
        ours.train(training)
        expected = _flat(theirs(torch.tensor(x)))
        got = _flat(ours(tb.Tensor(x)))
        for a, b in zip(got, expected, strict=True):
            numpy.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_parameters_start_uniform_in_one_over_root_hidden(kind):
    tb.manual_seed(0)
    hidden = 64
    values = numpy.concatenate([p.numpy().ravel() for p in getattr(nn, kind)(32, hidden).parameters()])
    bound = 1 / math.sqrt(hidden)
    assert numpy.abs(values).max() <= bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound  # U(-b, b) has σ = b/√3
    assert abs(values.mean()) < 0.05 * bound


def test_flatten_parameters_and_all_weights():
    lstm = nn.LSTM(INPUT, HIDDEN, num_layers=2, bidirectional=True)
    lstm.flatten_parameters()
    assert len(lstm.all_weights) == 4 and all(len(weights) == 4 for weights in lstm.all_weights)
    assert lstm.all_weights[1][0] is lstm.weight_ih_l0_reverse


@pytest.mark.parametrize("make, call, error, words", [
    (lambda: nn.LSTM(3, 5), lambda m: m(tb.zeros(2, 2, 2, 3)), ShapeError, "4-D"),
    (lambda: nn.GRU(3, 5), lambda m: m(tb.zeros(4, 2, 6)), ShapeError, "input_size"),
    (lambda: nn.RNN(3, 5), lambda m: m(tb.zeros(4, 2, 3), tb.zeros(1, 3, 5)), ShapeError, "(1, 2, 5)"),
    (lambda: nn.RNN(3, 5), lambda m: m(tb.zeros(4, 3), tb.zeros(1, 1, 5)), ShapeError, "(1, 5)"),
    (lambda: nn.LSTM(3, 5), lambda m: m(tb.zeros(4, 2, 3), tb.zeros(1, 2, 5)), ShapeError, "(h_0, c_0)"),
    (lambda: nn.LSTM(3, 5), lambda m: m(tb.zeros(4, 2, 3, dtype=tb.float64)), ValueError, "float64"),  # as PyTorch
    (lambda: nn.LSTMCell(3, 5), lambda m: m(tb.zeros(2, 4)), ShapeError, "(N, 3)"),
    (lambda: nn.GRUCell(3, 5), lambda m: m(tb.zeros(2, 3), tb.zeros(2, 4)), ShapeError, "(2, 5)"),
])
def test_wrong_input_says_what_was_expected(make, call, error, words):
    with pytest.raises(error, match=f".*{__import__('re').escape(words)}"):
        call(make())


@pytest.mark.parametrize("make, words", [
    (lambda: nn.RNNBase("GRU", 3, 5, proj_size=2), "only supported by LSTM"),
    (lambda: nn.LSTM(3, 5, proj_size=5), "smaller than hidden_size"),
    (lambda: nn.LSTM(3, 5, proj_size=-1), ">= 0"),
    (lambda: nn.RNN(3, 5, dropout=1.5), "dropout"),
    (lambda: nn.RNN(3, 5, nonlinearity="sigmoid"), "'tanh' or 'relu'"),
    (lambda: nn.RNNCell(3, 5, nonlinearity="gelu"), "'tanh' or 'relu'"),
    (lambda: nn.LSTM(0, 5), "input_size"),
    (lambda: nn.GRU(3, 5, num_layers=0), "num_layers"),
])
def test_wrong_arguments_are_refused(make, words):
    with pytest.raises(ValueError, match=__import__("re").escape(words)):
        make()


def test_dropout_with_one_layer_warns_as_in_pytorch():
    with pytest.warns(UserWarning, match="between stacked layers"):
        nn.LSTM(3, 5, dropout=0.5)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "LSTMCell"])
def test_recurrent_layers_run_forward_and_backward_on_the_device(strict_cuda, kind):
    options = {} if kind.endswith("Cell") else {"num_layers": 2, "bidirectional": True, "dropout": 0.5}
    x = numpy.random.default_rng(7).standard_normal((STEPS, BATCH, INPUT))
    if kind.endswith("Cell"):
        x = x[0]
    results = []
    for where in ("cpu", "cuda"):
        tb.manual_seed(0)  # the same weights and dropout masks on both
        module = getattr(nn, kind)(INPUT, HIDDEN, **options, dtype=tb.float64, device=where)
        inputs = tb.Tensor(x, requires_grad=True, device=where)
        outputs = module(inputs)
        outputs = _flat(outputs) if not kind.endswith("Cell") else list(outputs)
        sum(o.sum() * (k + 1) for k, o in enumerate(outputs)).backward()
        assert inputs.grad.device == where and all(p.grad.device == where for p in module.parameters())
        gradients = [inputs.grad.numpy()] + [p.grad.numpy() for p in module.parameters()]
        results.append([o.numpy() for o in outputs] + gradients)
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_allclose(on_device, on_cpu, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_recurrent_layers_are_made_in_the_default_dtype(torch, kind):
    dtypes = {}
    for framework in (tb, torch):
        framework.set_default_dtype(framework.float64)
        try:
            dtypes[framework.__name__] = {key: str(value.dtype).replace("torch.", "")
                                          for key, value in getattr(framework.nn, kind)(2, 3).state_dict().items()}
        finally:
            framework.set_default_dtype(framework.float32)
    assert dtypes["tinygrad_bn"] == dtypes["torch"] and set(dtypes["torch"].values()) == {"float64"}
