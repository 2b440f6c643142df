"""nn.Unfold and nn.Fold around F.unfold and F.fold (batched and unbatched), and
nn.Identity taking any arguments: against PyTorch (values, gradients, reprs), finite
differences, the strict device and the module paths."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.check import gradcheck
from tinygrad_bn.nn import functional as F

# (module, arguments, input shape)
CASES = [
    ("Unfold", dict(kernel_size=3), (2, 3, 5, 6)),
    ("Unfold", dict(kernel_size=(2, 3), dilation=2, padding=1, stride=(1, 2)), (2, 2, 6, 7)),
    ("Unfold", dict(kernel_size=2, stride=2), (3, 4, 4)),  # unbatched
    ("Fold", dict(output_size=(4, 5), kernel_size=2), (2, 12, 12)),
    ("Fold", dict(output_size=6, kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=2), (1, 12, 9)),
    ("Fold", dict(output_size=(4, 4), kernel_size=2, stride=2), (8, 4)),  # unbatched
]
IDS = [f"{cls}-{'-'.join(f'{k}={v}' for k, v in args.items())}-{shape}".replace(" ", "") for cls, args, shape
       in CASES]


def _data(shape, seed=0):
    return numpy.random.default_rng([seed, *shape]).standard_normal(shape)


def _run(framework, cls, args, shape, dtype):
    x = framework.tensor(_data(shape).astype(dtype), requires_grad=True)
    y = getattr(framework.nn, cls)(**args)(x)
    y.backward(framework.tensor(_data(tuple(y.shape), seed=1).astype(dtype)))
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls, args, shape", CASES, ids=IDS)
def test_modules_match_pytorch(torch, cls, args, shape, dtype):
    assert repr(getattr(nn, cls)(**args)) == repr(getattr(torch.nn, cls)(**args))
    ours, theirs = _run(tg, cls, args, shape, dtype), _run(torch, cls, args, shape, dtype)
    assert ours[0].shape == theirs[0].shape and ours[0].dtype == numpy.dtype(dtype)
    for mine, other in zip(ours, theirs, strict=True):
        numpy.testing.assert_allclose(mine, other, rtol=1e-6 if dtype == "float32" else 1e-14, atol=1e-6)


@pytest.mark.parametrize("cls, args, shape", [CASES[2], CASES[5]], ids=[IDS[2], IDS[5]])
def test_unbatched_gradients_match_finite_differences(cls, args, shape):
    layer = getattr(nn, cls)(**args)
    assert gradcheck(lambda t: layer(t * t), Tensor(_data(shape), requires_grad=True))


def test_unbatched_input_is_the_batch_of_one():
    x = Tensor(_data((3, 5, 6)))
    numpy.testing.assert_array_equal(F.unfold(x, 2).numpy(), F.unfold(x.unsqueeze(0), 2)[0].numpy())
    columns = Tensor(_data((12, 20)))
    numpy.testing.assert_array_equal(F.fold(columns, (5, 6), 2).numpy(),
                                     F.fold(columns.unsqueeze(0), (5, 6), 2)[0].numpy())


def test_runs_on_the_device(strict_cuda):
    results = []
    for device in ("cpu", "cuda"):
        x = Tensor(_data((2, 3, 5, 6)), requires_grad=True, device=device)
        y = nn.Fold((5, 6), 2, padding=1)(nn.Unfold(2, padding=1)(x) * 2.0)
        y.backward(Tensor(_data(y.shape, seed=1), device=device))
        assert y.device == x.grad.device == device
        results.append([y.numpy(), x.grad.numpy()])
    for on_device, on_cpu in zip(*results, strict=True):
        numpy.testing.assert_array_equal(on_device, on_cpu)


def test_modules_are_at_pytorchs_path(torch):
    from tinygrad_bn.nn.modules import fold

    assert fold.Fold is nn.Fold and fold.Unfold is nn.Unfold
    assert torch.nn.modules.fold.Fold is torch.nn.Fold


def test_bad_input_is_refused():
    with pytest.raises(RuntimeError, match=r"\(N, C, H, W\)"):
        nn.Unfold(2)(Tensor(_data((4, 4))))
    with pytest.raises(RuntimeError, match="expects columns of shape"):
        nn.Fold((4, 4), 2)(Tensor(_data((1, 5, 9))))


def test_identity_takes_and_ignores_any_arguments(torch):
    ours, theirs = nn.Identity(54, unused_argument1=0.1, unused_argument2=False), torch.nn.Identity(54, a=1)
    assert repr(ours) == repr(theirs) == "Identity()"
    x = tg.randn(3, 4)
    assert ours(x) is x and not list(ours.parameters())
