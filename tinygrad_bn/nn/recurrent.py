"""Recurrent layers, RNN, LSTM and GRU, and their one-step cells, with PyTorch's
names, shapes, parameters, gate order and initialisation.

The steps' formulas are in ``nn.recurrence``; this module holds the layers: their
arguments, parameters, and the loop over layers and directions. A layer given a
:class:`~tinygrad_bn.nn.utils.rnn.PackedSequence` steps each sequence only as far
as its length.

>>> from tinygrad_bn import manual_seed, randn
>>> _ = manual_seed(0)
>>> lstm = LSTM(input_size=3, hidden_size=5, num_layers=2, batch_first=True)
>>> output, (h_n, c_n) = lstm(randn(4, 7, 3))  # 4 sequences of 7 steps
>>> output.shape, h_n.shape, c_n.shape
((4, 7, 5), (2, 4, 5), (2, 4, 5))
"""

from __future__ import annotations

import math
import warnings

from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn import init
from tinygrad_bn.nn.dropout import dropout
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import positive_int, zero_parameter
from tinygrad_bn.nn.recurrence import GATES, Recurrence
from tinygrad_bn.nn.utils.rnn import PackedSequence
from tinygrad_bn.ops import cat, stack, zeros


class RNNBase(Module):
    """What RNN, LSTM and GRU share: arguments, parameters named as in PyTorch
    (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``,
    ``weight_hr_l{k}`` with ``proj_size``, ``_reverse`` for the second direction),
    all drawn from U(−1/√hidden_size, 1/√hidden_size), and the loop over layers,
    directions and time."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        _check_dropout(dropout, num_layers)
        if not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError(f"proj_size must be an int >= 0, got {proj_size!r}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size is only supported by LSTM, not by RNN or GRU")
        if proj_size >= hidden_size:
            raise ValueError(f"proj_size must be smaller than hidden_size ({hidden_size}), got {proj_size}")
        self.mode = mode
        self.input_size = positive_int(input_size, "input_size")
        self.hidden_size = positive_int(hidden_size, "hidden_size")
        self.num_layers = positive_int(num_layers, "num_layers")
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gates, output_size = GATES[mode] * hidden_size, proj_size or hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else output_size * self.directions
            for suffix in ("", "_reverse")[:self.directions]:
                names = self._weight_names(layer, suffix)
                shapes = [(gates, layer_input), (gates, output_size), (gates,), (gates,), (proj_size, hidden_size)]
                for name, shape in zip(names, shapes):
                    if name:
                        self.register_parameter(name, zero_parameter(shape, device, dtype))
        self.reset_parameters()

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _weight_names(self, layer: int, suffix: str) -> list:
        """The names of one layer's weights in one direction, in PyTorch's order; the
        biases and the projection only when the layer has them (None otherwise)."""
        names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
        names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"] if self.bias else [None, None]
        return names + [f"weight_hr_l{layer}{suffix}" if self.proj_size else None]

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self):
        """Nothing to do: PyTorch packs the weights into one buffer for cuDNN here."""

    @property
    def all_weights(self) -> list:
        """Each layer's and direction's parameters, as lists in PyTorch's order."""
        return [[getattr(self, name) for name in self._weight_names(layer, suffix) if name]
                for layer in range(self.num_layers) for suffix in ("", "_reverse")[:self.directions]]

    def forward(self, input, hx=None):  # noqa: A002 - PyTorch's argument name
        """(L, N, H_in) input (N first with ``batch_first``, or (L, H_in) unbatched, or a
        :class:`~tinygrad_bn.nn.utils.rnn.PackedSequence`) and an optional initial state
        -> the last layer's outputs at every step, (L, N, D·H_out) (packed as the input
        was), and the final state of every layer and direction."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        batched = self._check_input(input)
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        steps, batch = x.shape[:2]
        states = self._initial_states(hx, batch, x, batched)
        output, last = self._layers(x.reshape(steps * batch, -1), [batch] * steps, states)
        output = output.reshape(steps, batch, -1)
        if batched and self.batch_first:
            output = output.transpose(0, 1)
        return (output if batched else output.squeeze(1)), self._final_state(last, batched)

    def _forward_packed(self, sequence, hx):
        """:meth:`forward` of a packed batch: the states in the batch's own order, as in PyTorch."""
        self._check_input(sequence.data, packed=True)
        batch_sizes = sequence.batch_sizes.tolist()
        order, restore = (None, None) if sequence.sorted_indices is None else \
            (sequence.sorted_indices.tolist(), sequence.unsorted_indices.tolist())
        if hx is not None and order is not None:
            hx = tuple(h[:, order] for h in hx) if self.mode == "LSTM" else hx[:, order]
        states = self._initial_states(hx, batch_sizes[0], sequence.data, batched=True)
        output, last = self._layers(sequence.data, batch_sizes, states)
        final = self._final_state(last, batched=True)
        if restore is not None:
            final = tuple(h[:, restore] for h in final) if self.mode == "LSTM" else final[:, restore]
        return sequence._replace(data=output), final

    def _layers(self, x, batch_sizes: list, states: list):
        """The stacked layers over the steps' rows ``x``: the last layer's outputs, and
        the final state of each layer and direction."""
        last = []
        for layer in range(self.num_layers):
            if layer > 0:
                x = dropout(x, self.dropout, self.training)
            outputs = []
            for direction, suffix in enumerate(("", "_reverse")[:self.directions]):
                weights = [getattr(self, name) if name else None for name in self._weight_names(layer, suffix)]
                state = states[layer * self.directions + direction]
                output, state = Recurrence(self.mode, *weights).run(x, batch_sizes, state, reverse=direction == 1)
                outputs.append(output)
                last.append(state)
            x = outputs[0] if len(outputs) == 1 else cat(outputs, -1)
        return x, last

    def _check_input(self, input, packed: bool = False) -> bool:  # noqa: A002
        """Whether ``input`` is a batch; refuses any other rank, size or dtype."""
        name = type(self).__name__
        if input.ndim not in ((2,) if packed else (2, 3)):
            raise ShapeError(f"{name} expects input of shape (L, N, {self.input_size}) or (L, {self.input_size}) "
                             f"(N first with batch_first), got {input.ndim}-D input of shape {input.shape}")
        if input.shape[-1] != self.input_size:
            raise ShapeError(f"{name} expects input of size {self.input_size} in its last axis "
                             f"(input_size), got shape {input.shape}")
        expected = self.weight_ih_l0.dtype
        if input.dtype != expected:
            raise ArgumentError(f"{name} has {expected} parameters and expects input of that dtype, got {input.dtype}")
        return input.ndim == 3

    def _initial_states(self, hx, batch: int, like, batched: bool) -> list:
        """One state per layer and direction: from ``hx`` (for an LSTM the pair (h_0, c_0)),
        zeros of ``like``'s dtype and device where it is None."""
        count = self.num_layers * self.directions
        sizes = [self.proj_size or self.hidden_size] + ([self.hidden_size] if self.mode == "LSTM" else [])
        if hx is None:
            parts = [zeros(count, batch, size, dtype=like.dtype, device=like.device) for size in sizes]
        else:
            parts = list(hx) if self.mode == "LSTM" else [hx]
            if len(parts) != len(sizes):
                raise ShapeError(f"{type(self).__name__} expects hx as (h_0, c_0), got {len(parts)} tensors")
            parts = [self._check_state(part, (count, batch, size), batched, label)
                     for part, size, label in zip(parts, sizes, ("h_0", "c_0"))]
        if self.mode != "LSTM":
            return list(parts[0].unbind(0))
        return list(zip(parts[0].unbind(0), parts[1].unbind(0)))

    def _check_state(self, state, shape: tuple, batched: bool, label: str):
        """``state`` of ``shape`` ((count, size) when unbatched), with the batch axis."""
        expected = shape if batched else (shape[0], shape[2])
        if tuple(state.shape) != expected:
            raise ShapeError(f"{type(self).__name__} expects {label} of shape {expected}, got {state.shape}")
        return state if batched else state.unsqueeze(1)

    def _final_state(self, last: list, batched: bool):
        """h_n (and c_n for an LSTM) of shape (num_layers·D, N, H_out); without N when unbatched."""
        def whole(parts):
            stacked = stack(parts)
            return stacked if batched else stacked.squeeze(1)

        if self.mode == "LSTM":
            return whole([h for h, _ in last]), whole([c for _, c in last])
        return whole(last)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("proj_size", 0), ("num_layers", 1), ("bias", True), ("batch_first", False),
                              ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text


class RNN(RNNBase):
    """An Elman RNN, h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (``nonlinearity="relu"``:
    relu), over ``num_layers`` stacked layers.

    >>> from tinygrad_bn import ones
    >>> output, h_n = RNN(3, 4, num_layers=2, bidirectional=True)(ones(5, 2, 3))
    >>> output.shape, h_n.shape
    ((5, 2, 8), (4, 2, 4))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN's nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(f"RNN_{nonlinearity.upper()}", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o, cell c' = f ⊙ c + i ⊙ g, output
    h' = o ⊙ tanh(c'), projected by ``weight_hr`` to ``proj_size`` when it is given.
    The state is the pair (h, c)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit: r, z = σ(·), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
    h' = (1 − z) ⊙ n + z ⊙ h."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


def _check_dropout(p, num_layers):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout must be a number in [0, 1], the probability of zeroing an element, got {p!r}")
    if p > 0 and num_layers == 1:
        warnings.warn(f"dropout={p} acts between stacked layers only, and there is num_layers=1", UserWarning,
                      stacklevel=3)


class RNNCellBase(Module):
    """What the one-step cells share: ``weight_ih`` (G·H, H_in), ``weight_hh`` (G·H, H),
    ``bias_ih`` and ``bias_hh`` (G·H,), all from U(−1/√H, 1/√H)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = positive_int(input_size, "input_size")
        self.hidden_size = positive_int(hidden_size, "hidden_size")
        self.bias = bias
        gates = GATES[mode] * hidden_size
        self.weight_ih = zero_parameter((gates, input_size), device, dtype)
        self.weight_hh = zero_parameter((gates, hidden_size), device, dtype)
        for name in ("bias_ih", "bias_hh"):
            self.register_parameter(name, zero_parameter((gates,), device, dtype) if bias else None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def forward(self, input, hx=None):  # noqa: A002 - PyTorch's argument name
        """(N, H_in) input (or (H_in,)) and the state (zeros when None) -> the next state."""
        name = type(self).__name__
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ShapeError(f"{name} expects input of shape (N, {self.input_size}) or ({self.input_size},), "
                             f"got {input.shape}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        shape = (x.shape[0], self.hidden_size)
        parts = ([None, None] if hx is None else list(hx)) if self.mode == "LSTM" else [hx]
        state = [zeros(*shape, dtype=x.dtype, device=x.device) if part is None else
                 self._check_state(part, shape, batched) for part in parts]
        recurrence = Recurrence(self.mode, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        state = recurrence.advance(recurrence.inputs(x), tuple(state) if self.mode == "LSTM" else state[0])
        if batched:
            return state
        return tuple(part.squeeze(0) for part in state) if self.mode == "LSTM" else state.squeeze(0)

    def _check_state(self, state, shape: tuple, batched: bool):
        expected = shape if batched else shape[1:]
        if tuple(state.shape) != expected:
            raise ShapeError(f"{type(self).__name__} expects a state of shape {expected}, got {state.shape}")
        return state if batched else state.unsqueeze(0)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity=relu"
        return text


class RNNCell(RNNCellBase):
    """One step of :class:`RNN`: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu).

    >>> from tinygrad_bn import ones
    >>> RNNCell(3, 4)(ones(2, 3)).shape
    (2, 4)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell's nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(f"RNN_{nonlinearity.upper()}", input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity


class LSTMCell(RNNCellBase):
    """One step of :class:`LSTM`: (h, c) -> (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)


class GRUCell(RNNCellBase):
    """One step of :class:`GRU`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)
