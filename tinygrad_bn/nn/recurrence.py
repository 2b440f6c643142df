"""One step of a recurrent layer, and a run of steps: the math of RNN, LSTM and GRU
(the layers themselves are in ``nn.recurrent``).

With the gate pre-activations of the input, ``gx = W_ih x + b_ih``, and of the
state, ``gh = W_hh h + b_hh``, each cut into equal parts in PyTorch's order:

    RNN:   h' = tanh(gx + gh)                      (or relu)
    LSTM:  i, f, g, o = σ(·), σ(·), tanh(·), σ(·) of the four parts of gx + gh
           c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')       (h' = W_hr h' with proj_size)
    GRU:   r, z = σ(·) of the first two parts of gx + gh
           n = tanh(gx_n + r ⊙ gh_n),   h' = (1 − z) ⊙ n + z ⊙ h

Written with the library's ops, so the engine derives every gradient, to any order.
A run computes ``gx`` for all its steps in one matrix product before its loop.
"""

from __future__ import annotations

import numpy

from tinygrad_bn.nn.functional import linear
from tinygrad_bn.ops import cat, relu, sigmoid, tanh

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}  # parts of W_ih and W_hh, each hidden_size rows


def rnn_tanh_step(gx, h, gh):
    """h' = tanh(gx + gh)."""
    return tanh(gx + gh)


def rnn_relu_step(gx, h, gh):
    """h' = relu(gx + gh)."""
    return relu(gx + gh)


def lstm_step(gx, state, gh):
    """(h, c) -> (o ⊙ tanh(c'), c') with c' = f ⊙ c + i ⊙ g; h' before any projection."""
    _, c = state
    i, f, g, o = (gx + gh).chunk(4, -1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    return sigmoid(o) * tanh(c), c


def gru_step(gx, h, gh):
    """h' = (1 − z) ⊙ n + z ⊙ h with n = tanh(gx_n + r ⊙ gh_n)."""
    x_r, x_z, x_n = gx.chunk(3, -1)
    h_r, h_z, h_n = gh.chunk(3, -1)
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    n = tanh(x_n + r * h_n)
    return n + z * (h - n)  # (1 − z) n + z h


STEPS = {"RNN_TANH": rnn_tanh_step, "RNN_RELU": rnn_relu_step, "LSTM": lstm_step, "GRU": gru_step}


class Recurrence:
    """One direction of one layer: its weights and the step of its kind."""

    def __init__(self, mode: str, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None):
        self.mode, self.step = mode, STEPS[mode]
        self.w_ih, self.w_hh, self.b_ih, self.b_hh, self.w_hr = w_ih, w_hh, b_ih, b_hh, w_hr

    def inputs(self, x):
        """gx = W_ih x + b_ih, for every time step at once."""
        return linear(x, self.w_ih, self.b_ih)

    def advance(self, gx, state):
        """The state after one step whose input pre-activations are ``gx``."""
        state = self.step(gx, state, linear(_h(state), self.w_hh, self.b_hh))
        if self.w_hr is not None:  # h' = W_hr h'
            state = (linear(state[0], self.w_hr), state[1])
        return state

    def run(self, x, batch_sizes: list, state, reverse: bool):
        """Steps -> their outputs and the last state. ``x`` stacks the steps' rows,
        ``batch_sizes[t]`` of them at step t, the sequences still running, longest
        first; the others keep their state. ``reverse`` steps from the last to the first."""
        gx = self.inputs(x)
        starts = numpy.cumsum([0, *batch_sizes]).tolist()
        times = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
        outputs = [None] * len(batch_sizes)
        for t in times:
            size = batch_sizes[t]
            if size == len(_h(state)):  # every sequence runs: no rows to cut and join (two ops fewer a step)
                state = running = self.advance(gx[starts[t]:starts[t + 1]], state)
            else:
                running = self.advance(gx[starts[t]:starts[t + 1]], _rows(state, slice(0, size)))
                state = _join(running, _rows(state, slice(size, None)))
            outputs[t] = _h(running)
        return cat(outputs, 0), state


def _h(state):
    """The hidden state h of an LSTM's (h, c), or of any other layer."""
    return state[0] if isinstance(state, tuple) else state


def _rows(state, rows):
    return tuple(part[rows] for part in state) if isinstance(state, tuple) else state[rows]


def _join(first, rest):
    if isinstance(first, tuple):
        return tuple(cat(pair, 0) for pair in zip(first, rest))
    return cat([first, rest], 0)
