"""Broken BatchNorms that people really write, each one step away from right.

:class:`Textbook` is a BatchNorm with a hand-written backward, the way a learner
writes one after reading the paper: the forward (F1)–(F5), the running
statistics in PyTorch's convention, and the backward (B1), (B2), (B7) written
with Tensor ops, so the engine can differentiate it again. Each entry below
changes one step, as real code does, and says what goes wrong. See
docs/cross-check.md ("The bug zoo").
"""

from __future__ import annotations

from tinygrad_bn.autograd import Function, enable_grad, grad, is_grad_enabled, no_grad
from tinygrad_bn.batchnorm.channels import Channels
from tinygrad_bn.ops.elementwise import constant


class Textbook(Function):
    """Inputs (x, γ, β, running_mean, running_var), statistics over every axis but 1."""

    def forward(self, x, weight, bias, running_mean, running_var, *, training, momentum, eps):
        channels = self.channels = Channels(x.shape)
        self.training, self.eps = training, eps
        data, shape = x._data, channels.param_shape
        if training:
            mean, var = self.batch_statistics(data, channels.axes)
            self.update_running(running_mean._data, running_var._data, mean.reshape(-1), var.reshape(-1),
                                channels.count, momentum)
        else:
            mean, var = self.eval_statistics(data, channels.axes, running_mean._data.reshape(shape),
                                             running_var._data.reshape(shape))
        self.running = (running_mean, running_var)
        x_hat = (data - mean) / x.xp.sqrt(var + eps)  # (F3)
        self.save_for_backward(x, weight)
        return weight._data.reshape(shape) * x_hat + bias._data.reshape(shape)  # (F4), (F5)

    def batch_statistics(self, data, axes):
        """(F1), (F2): μ and the biased σ², which normalizes."""
        mean = data.mean(axis=axes, keepdims=True)
        return mean, ((data - mean) ** 2).mean(axis=axes, keepdims=True)

    def eval_statistics(self, data, axes, running_mean, running_var):
        """(E1): eval mode normalizes with the running statistics."""
        return running_mean, running_var

    def update_running(self, running_mean, running_var, mean, var, m, momentum):
        """PyTorch: running = (1 − momentum)·running + momentum·batch, the variance unbiased."""
        running_mean[...] = (1 - momentum) * running_mean + momentum * mean
        running_var[...] = (1 - momentum) * running_var + momentum * var * m / (m - 1)

    def backward(self, dy):
        x, weight = self.saved_tensors
        axes, shape = self.channels.axes, self.channels.param_shape
        mean, inv_std = self.statistics_for_backward(x)
        x_hat = (x - mean) * inv_std
        dbeta = dy.sum(dim=axes)  # (B1)
        dgamma = (dy * x_hat).sum(dim=axes)  # (B2)
        dx = self.dx(x, dy, x_hat, weight.reshape(shape) * inv_std)
        return dx, dgamma, dbeta, None, None

    def statistics_for_backward(self, x):
        """μ and inv_std as functions of x (Tensor ops), or the running ones in eval mode."""
        axes = self.channels.axes
        if not self.training:
            running_mean, running_var = (constant(r._data.reshape(self.channels.param_shape), x)
                                         for r in self.running)
            return running_mean, 1.0 / (running_var + self.eps).sqrt()
        mean = x.mean(dim=axes, keepdim=True)
        return mean, 1.0 / (((x - mean) ** 2).mean(dim=axes, keepdim=True) + self.eps).sqrt()

    def dx(self, x, dy, x_hat, scale):
        """(B7) dx = γ·inv_std·(dy − mean(dy) − x̂·mean(dy·x̂)); (E2) dx = γ·inv_std·dy in eval mode."""
        if not self.training:
            return scale * dy
        axes = self.channels.axes
        return scale * (dy - dy.mean(dim=axes, keepdim=True) - x_hat * (dy * x_hat).mean(dim=axes, keepdim=True))


class LectureNotes(Textbook):
    """μ and σ treated as constants: dx = dy·γ/σ. Exactly right in eval mode, wrong
    in training mode, where x also moves μ and σ² (a real library shipped this)."""

    def dx(self, x, dy, x_hat, scale):
        return scale * dy


class MeanConstant(Textbook):
    """The μ route dropped: dx = γ·inv_std·(dy − x̂·mean(dy·x̂)), so Σ dx ≠ 0."""

    def dx(self, x, dy, x_hat, scale):
        if not self.training:
            return scale * dy
        return scale * (dy - x_hat * (dy * x_hat).mean(dim=self.channels.axes, keepdim=True))


class VarianceConstant(Textbook):
    """The σ² route dropped: dx = γ·inv_std·(dy − mean(dy)), so Σ dx·x̂ ≠ 0."""

    def dx(self, x, dy, x_hat, scale):
        if not self.training:
            return scale * dy
        return scale * (dy - dy.mean(dim=self.channels.axes, keepdim=True))


class UnbiasedNormalize(Textbook):
    """Normalizing with the unbiased variance Σ(x − μ)²/(m − 1), NumPy's ddof=1 or
    PyTorch's default x.var(): the batch's own statistics use the biased one."""

    def batch_statistics(self, data, axes):
        mean = data.mean(axis=axes, keepdims=True)
        return mean, data.var(axis=axes, keepdims=True, ddof=1)


class BiasedRunningVariance(Textbook):
    """The running variance updated with the biased σ², the one that normalized:
    PyTorch (and the paper's Algorithm 2) keep the unbiased σ²·m/(m − 1)."""

    def update_running(self, running_mean, running_var, mean, var, m, momentum):
        running_mean[...] = (1 - momentum) * running_mean + momentum * mean
        running_var[...] = (1 - momentum) * running_var + momentum * var


class KerasMomentum(Textbook):
    """Momentum in the notes' and Keras's convention, running = momentum·running +
    (1 − momentum)·batch, given PyTorch's momentum: the weights are swapped."""

    def update_running(self, running_mean, running_var, mean, var, m, momentum):
        running_mean[...] = momentum * running_mean + (1 - momentum) * mean
        running_var[...] = momentum * running_var + (1 - momentum) * var * m / (m - 1)


class EvalUsesBatchStatistics(Textbook):
    """Eval mode normalizing with the batch's own statistics (forgetting
    model.eval(), or a training flag never passed down)."""

    def eval_statistics(self, data, axes, running_mean, running_var):
        return self.batch_statistics(data, axes)


class FrozenInvStd(Textbook):
    """inv_std saved in forward and used in backward as a constant: every value of
    dx is right, but its own derivative misses x's influence through σ², so the
    second derivatives are wrong (one public framework's fused BN does this)."""

    def statistics_for_backward(self, x):
        mean, inv_std = super().statistics_for_backward(x)
        return mean, constant(inv_std._data, x)


class OpaqueDoubleBackward(Textbook):
    """dx computed by one op whose own backward is exact but returns constants: right
    to second order, wrong at the third, the way a fused double backward with
    saved statistics that carry no history is (PyTorch 2.13's, pytorch#186256)."""

    def dx(self, x, dy, x_hat, scale):
        weight = self.saved_tensors[1]
        return ClosedFormDx.apply(x, dy, weight, textbook=self)


class ClosedFormDx(Function):
    """(B7) as one op of (x, dy, γ): the backward builds (B7) from Tensor ops on
    detached copies, differentiates it there, and hands back plain arrays."""

    def forward(self, x, dy, weight, *, textbook):
        self.textbook = textbook
        self.save_for_backward(x, dy, weight)
        with no_grad():
            return self._dx(x, dy, weight)._data

    def _dx(self, x, dy, weight):
        textbook = self.textbook
        mean, inv_std = Textbook.statistics_for_backward(textbook, x)
        scale = weight.reshape(textbook.channels.param_shape) * inv_std
        return Textbook.dx(textbook, x, dy, (x - mean) * inv_std, scale)

    def backward(self, g):
        leaves = [t.detach().requires_grad_() for t in self.saved_tensors]
        with enable_grad():
            dx = self._dx(*leaves)
            grads = grad((dx * g.detach()).sum(), leaves, allow_unused=True)
        if is_grad_enabled():  # under create_graph the results still carry no history
            grads = tuple(None if gr is None else gr.detach() for gr in grads)
        return grads


#: Every entry, by the name the zoo shows.
ENTRIES = {
    "lecture notes: μ and σ constant": LectureNotes,
    "only μ constant": MeanConstant,
    "only σ² constant": VarianceConstant,
    "unbiased variance normalizes": UnbiasedNormalize,
    "running variance updated biased": BiasedRunningVariance,
    "Keras momentum convention": KerasMomentum,
    "eval mode uses batch statistics": EvalUsesBatchStatistics,
    "double backward with inv_std constant": FrozenInvStd,
    "double backward without history": OpaqueDoubleBackward,
}
