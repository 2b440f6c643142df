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

from tinygrad_bn.autograd import Function, is_grad_enabled
from tinygrad_bn.nn.functional import linear
from tinygrad_bn.ops import cat, relu, sigmoid, tanh
from tinygrad_bn.ops.promotion import constant
from tinygrad_bn.ops.unary import logistic

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}  # parts of W_ih and W_hh, each hidden_size rows


def rnn_tanh_step(gx, h, gh):
    """h' = tanh(gx + gh)."""
    return tanh(gx + gh)


def rnn_relu_step(gx, h, gh):
    """h' = relu(gx + gh)."""
    return relu(gx + gh)


def lstm_cell(z, c):
    """The LSTM step's elementwise part, written with ops: pre-activations z (N, 4H) and
    the cell c -> (o ⊙ tanh(c'), c') with c' = f ⊙ c + i ⊙ g. The specification of
    :class:`LSTMGates`, which the layers run."""
    i, f, g, o = lstm_gates(z)
    c = f * c + i * g
    return o * tanh(c), c


def lstm_gates(z):
    """i, f, g, o = σ, σ, tanh, σ of the four parts of the pre-activations z."""
    i, f, g, o = z.chunk(4, -1)
    return sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)


def lstm_step(gx, state, gh):
    """(h, c) -> (h', c') through :class:`LSTMGates`; h' before any projection."""
    both = LSTMGates.apply(gx + gh, state[1])
    hidden = both.shape[-1] // 2
    return both[..., :hidden], both[..., hidden:]


def lstm_gradients(i, f, g, o, c, tanh_c, dh, dc):
    """(B) of the LSTM step: from dh and dc' to dz = (dz_i, dz_f, dz_g, dz_o) and dc,
    given the gates i, f, g, o, the old cell c and tanh(c'). Plain arithmetic, so it
    runs on arrays (backward) and on Tensors (a backward to differentiate again)."""
    dc = dc + dh * o * (1 - tanh_c * tanh_c)  # all that reaches c'
    dz = (dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g), dh * tanh_c * o * (1 - o))
    return dz, dc * f


class LSTMGates(Function):
    """:func:`lstm_cell` as one op, (z, c) -> [h', c'] side by side in one (N, 2H) array:
    a step of six ops where the composite takes fourteen, its backward (B) written by
    hand (:func:`lstm_gradients`). Under ``create_graph`` the same (B) runs on Tensors,
    so it differentiates again. Tested against :func:`lstm_cell` to second order."""

    def forward(self, z, c):
        xp = z.xp
        i, f, g, o = xp.split(z._data, 4, axis=-1)
        i, f, o = (logistic(xp, gate) for gate in (i, f, o))
        g = xp.tanh(g)
        c_next = f * c._data + i * g
        tanh_c = xp.tanh(c_next)
        self.save_for_backward(z, c, *(constant(a, z) for a in (i, f, g, o, tanh_c)))
        return xp.concatenate([o * tanh_c, c_next], axis=-1)

    def backward(self, grad):
        z, c, *gates = self.saved_tensors
        hidden = c.shape[-1]
        if is_grad_enabled():  # (B) on Tensors, from z and c again, to be differentiated
            i, f, g, o = lstm_gates(z)
            tanh_c = tanh(f * c + i * g)
            dz, dc = lstm_gradients(i, f, g, o, c, tanh_c, grad[..., :hidden], grad[..., hidden:])
            return cat(list(dz), -1), dc
        xp = grad.xp
        arrays = [t._data for t in gates]
        dz, dc = lstm_gradients(*arrays[:4], c._data, arrays[4], grad._data[..., :hidden], grad._data[..., hidden:])
        return constant(xp.concatenate(dz, axis=-1), grad), constant(dc, grad)


def gru_cell(gx, h, gh):
    """The GRU step written with ops: h' = (1 − z) ⊙ n + z ⊙ h with n = tanh(gx_n + r ⊙ gh_n).
    The specification of :class:`GRUGates`, which the layers run."""
    r, z, n, _ = gru_gates(gx, gh)
    return n + z * (h - n)  # (1 − z) n + z h


def gru_gates(gx, gh):
    """r, z = σ(gx_r + gh_r), σ(gx_z + gh_z), n = tanh(gx_n + r ⊙ gh_n), and gh_n."""
    x_r, x_z, x_n = gx.chunk(3, -1)
    h_r, h_z, h_n = gh.chunk(3, -1)
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    return r, z, tanh(x_n + r * h_n), h_n


def gru_step(gx, h, gh):
    """h -> h' through :class:`GRUGates`."""
    return GRUGates.apply(gx, h, gh)


def gru_gradients(r, z, n, h, h_n, dh):
    """The GRU step's backward: from dh' to the gradients of gx, h and gh (each gate's
    part in r, z, n order), given r, z, n, the old h and gh_n. Plain arithmetic, so it
    runs on arrays and on Tensors."""
    dn = dh * (1 - z) * (1 - n * n)  # through n = tanh(·)
    dr = dn * h_n * r * (1 - r)
    dz = dh * (h - n) * z * (1 - z)
    return (dr, dz, dn), dh * z, (dr, dz, dn * r)


class GRUGates(Function):
    """:func:`gru_cell` as one op, (gx, h, gh) -> h', its backward written by hand
    (:func:`gru_gradients`) and run on Tensors under ``create_graph``; tested against
    :func:`gru_cell` to second order."""

    def forward(self, gx, h, gh):
        xp = gx.xp
        x_r, x_z, x_n = xp.split(gx._data, 3, axis=-1)
        h_r, h_z, h_n = xp.split(gh._data, 3, axis=-1)
        r, z = logistic(xp, x_r + h_r), logistic(xp, x_z + h_z)
        n = xp.tanh(x_n + r * h_n)
        self.save_for_backward(gx, h, gh, *(constant(a, gx) for a in (r, z, n)))
        return n + z * (h._data - n)

    def backward(self, grad):
        gx, h, gh, *gates = self.saved_tensors
        if is_grad_enabled():  # on Tensors, from the inputs again, to be differentiated
            r, z, n, h_n = gru_gates(gx, gh)
            dx, dh, dgh = gru_gradients(r, z, n, h, h_n, grad)
            return cat(list(dx), -1), dh, cat(list(dgh), -1)
        xp = grad.xp
        r, z, n = (t._data for t in gates)
        h_n = xp.split(gh._data, 3, axis=-1)[2]
        dx, dh, dgh = gru_gradients(r, z, n, h._data, h_n, grad._data)
        return (constant(xp.concatenate(dx, axis=-1), grad), constant(dh, grad),
                constant(xp.concatenate(dgh, axis=-1), grad))


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
