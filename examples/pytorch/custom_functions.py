"""Custom autograd Functions written PyTorch's way, checked with gradcheck and gradgradcheck,
then trained through with a gradient penalty and with steps sized by a Hessian-vector product.

A plain PyTorch script. It runs on tinygrad_bn when only its import lines change
(docs/porting.md); tests/test_pytorch_scripts.py runs it both ways and compares every
step's loss.

Run it with ``python examples/pytorch/custom_functions.py [--steps N]``.
"""

import argparse

import numpy as np
import torch
from torch.autograd import Function, gradcheck, gradgradcheck
from torch.autograd.functional import hvp


class MyReLU(Function):
    """max(x, 0), with the gradient masked where the input was negative."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class LinearFunction(Function):
    """input @ weight.T + bias; the bias is optional."""

    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class ScaledTanh(Function):
    """tanh(scale * x) with a Python number ``scale``; the backward reuses the output."""

    @staticmethod
    def forward(ctx, x, scale):
        y = torch.tanh(scale * x)
        ctx.scale = scale
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        # d tanh(s x) / dx = s (1 - tanh(s x)^2); the number gets no gradient
        return grad_output * ctx.scale * (1 - y * y), None


class Cube(Function):
    """x^3, whose backward is made of differentiable ops, so it differentiates twice."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x**2


def check_gradients():
    """Each Function's gradient against finite differences, in float64; twice where smooth."""
    rng = np.random.default_rng(0)

    def double(*shape, away_from_zero=False):
        values = rng.standard_normal(shape)
        if away_from_zero:  # finite differences are wrong at ReLU's kink
            values += np.sign(values) * 0.1
        return torch.tensor(values, dtype=torch.float64, requires_grad=True)

    x, weight, bias = double(5, 4), double(3, 4), double(3)
    assert gradcheck(MyReLU.apply, (double(5, 4, away_from_zero=True),), eps=1e-6, atol=1e-4)
    assert gradcheck(LinearFunction.apply, (x, weight, bias), eps=1e-6, atol=1e-4)
    assert gradcheck(LinearFunction.apply, (x, weight), eps=1e-6, atol=1e-4)
    assert gradcheck(ScaledTanh.apply, (x, 0.7), eps=1e-6, atol=1e-4)
    assert gradcheck(Cube.apply, (x,), eps=1e-6, atol=1e-4)
    assert gradgradcheck(LinearFunction.apply, (x, weight, bias), eps=1e-6, atol=1e-4)
    assert gradgradcheck(ScaledTanh.apply, (x, 0.7), eps=1e-6, atol=1e-4)
    assert gradgradcheck(Cube.apply, (x,), eps=1e-6, atol=1e-4)


def two_rings(n=128, seed=0):
    """Points on two noisy rings (radius 1 and 2), labelled 0 and 1."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, n)
    label = np.arange(n) % 2
    radius = 1.0 + label + 0.1 * rng.standard_normal(n)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return torch.tensor(points, dtype=torch.float32), torch.tensor(label, dtype=torch.float32)


def init_weights(shapes, seed=0):
    """Parameters drawn by NumPy, the same in every framework (unlike torch.manual_seed)."""
    rng = np.random.default_rng(seed)
    return [torch.tensor(rng.uniform(-0.5, 0.5, shape), dtype=torch.float32, requires_grad=True) for shape in shapes]


def net(params, x):
    w1, b1, w2, b2, w3 = params
    h = ScaledTanh.apply(LinearFunction.apply(x, w1, b1), 1.5)
    h = MyReLU.apply(LinearFunction.apply(h, w2, b2)) + Cube.apply(h)
    return LinearFunction.apply(h, w3).squeeze(1)


def train_with_gradient_penalty(steps, verbose):
    """Logistic loss plus (|d output / d x| - 1)^2, the penalty differentiated through."""
    x, y = two_rings()
    params = init_weights([(16, 2), (16,), (16, 16), (16,), (1, 16)])
    optimizer = torch.optim.Adam(params, lr=0.01)
    losses = []
    for step in range(steps):
        inputs = x.clone().requires_grad_(True)
        logits = net(params, inputs)
        (grad_x,) = torch.autograd.grad(logits.sum(), inputs, create_graph=True)
        penalty = ((grad_x.norm(2, dim=1) - 1) ** 2).mean()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y) + 0.1 * penalty
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if verbose:
            print(f"penalty step {step:3d}  loss {loss.item():.6f}  penalty {penalty.item():.6f}")
    return losses


DAMPING = 0.1


def train_with_curvature_steps(steps, verbose):
    """Gradient descent on a one-hidden-layer net whose step along g is about g.g / g.Hg,
    the minimum of the quadratic model; Hg comes from torch.autograd.functional.hvp and is
    checked against a double backward."""
    x, y = two_rings(seed=1)
    w1, b1, w2 = init_weights([(8, 2), (8,), (1, 8)], seed=1)
    shapes = [p.shape for p in (w1, b1, w2)]
    flat = torch.cat([p.detach().reshape(-1) for p in (w1, b1, w2)])

    def loss_fn(theta):
        w1, b1, w2 = (part.reshape(shape) for part, shape in zip(theta.split([s.numel() for s in shapes]), shapes))
        logits = LinearFunction.apply(ScaledTanh.apply(LinearFunction.apply(x, w1, b1), 1.0), w2).squeeze(1)
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, y)

    losses = []
    for step in range(steps):
        theta = flat.clone().requires_grad_(True)
        loss = loss_fn(theta)
        (g,) = torch.autograd.grad(loss, theta, create_graph=True)
        (hg_double_backward,) = torch.autograd.grad(g, theta, grad_outputs=g.detach())
        _, hg = hvp(loss_fn, flat, g.detach())
        assert torch.allclose(hg, hg_double_backward, rtol=1e-4, atol=1e-6), "hvp and double backward disagree"
        # the minimum along -g of the quadratic model, damped so that flat or negative
        # curvature gives a step of at most 1 / DAMPING
        curvature = torch.dot(g.detach(), hg).item()
        squared_norm = torch.dot(g, g).item()
        step_size = squared_norm / (abs(curvature) + DAMPING * squared_norm)
        flat = flat - step_size * g.detach()
        losses.append(loss.item())
        if verbose:
            print(f"curvature step {step:3d}  loss {loss.item():.6f}  g.Hg {curvature:.6f}")
    return losses


def main(steps=20, verbose=True):
    """Check the Functions, then train twice; return each step's loss, the penalty run's first."""
    check_gradients()
    if verbose:
        print("gradcheck and gradgradcheck pass in float64")
    return train_with_gradient_penalty(steps, verbose) + train_with_curvature_steps(steps, verbose)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps of each run")
    main(parser.parse_args().steps)
