"""GradScaler (tinygrad_bn/amp/grad_scaler.py) against PyTorch's on the CPU: the same
scales, growth counts, state dicts and parameters over training steps, with inf and NaN
gradients injected at some of them; the pass-through when disabled; and PyTorch's refusals."""

from __future__ import annotations

import math
import warnings

import numpy
import pytest

import tinygrad_bn as tg

RNG = numpy.random.default_rng(0)
W, B = RNG.standard_normal((3, 4)).astype(numpy.float32), RNG.standard_normal(3).astype(numpy.float32)
X, Y = RNG.standard_normal((8, 4)).astype(numpy.float32), RNG.standard_normal((8, 3)).astype(numpy.float32)


def model_and_optimizer(lib, optimizer: str, device="cpu"):
    model = lib.nn.Linear(4, 3)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(W))
        model.bias.copy_(lib.tensor(B))
    model.to(device)
    if optimizer == "sgd":
        return model, lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return model, lib.optim.Adam(model.parameters(), lr=0.01)


def train(lib, steps: int, bad: dict, optimizer="sgd", clip=False, loss_factor=1.0, device="cpu", **settings):
    """Run ``steps`` iterations; at step i in ``bad`` one gradient entry is set to bad[i]
    (inf or NaN). Returns each step's (scale, growth tracker, weight, bias)."""
    model, opt = model_and_optimizer(lib, optimizer, device)
    scaler = lib.amp.GradScaler(device, **settings)
    x, y = lib.tensor(X, device=device), lib.tensor(Y, device=device)
    seen = []
    for i in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean() * loss_factor
        scaler.scale(loss).backward()
        if i in bad:
            with lib.no_grad():
                model.weight.grad[1, 2] = bad[i]
        if clip:
            scaler.unscale_(opt)
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        scaler.step(opt)
        scaler.update()
        seen.append((scaler.get_scale(), scaler.state_dict()["_growth_tracker"],
                     model.weight.detach().cpu().numpy().copy(), model.bias.detach().cpu().numpy().copy()))
    return seen, scaler


CASES = {
    "grows and backs off": dict(steps=9, bad={2: math.inf, 5: math.nan, 6: -math.inf},
                                init_scale=2.0**10, growth_interval=2),
    "odd factors": dict(steps=8, bad={1: math.inf, 4: math.inf}, init_scale=1000.1, growth_factor=3.0,
                        backoff_factor=0.3, growth_interval=2),
    "adam, clipped after unscale_": dict(steps=7, bad={3: math.nan}, optimizer="adam", clip=True,
                                         init_scale=2.0**8, growth_interval=1),
    "default settings": dict(steps=4, bad={0: math.inf}),
    "growth to inf is not kept": dict(steps=3, bad={}, loss_factor=0.0, init_scale=2.0**127, growth_interval=1),
}


@pytest.mark.parametrize("case", CASES)
def test_scales_and_updates_are_pytorchs(torch, case):
    ours, _ = train(tg, **CASES[case])
    theirs, _ = train(torch, **CASES[case])
    for step, (mine, pytorchs) in enumerate(zip(ours, theirs)):
        assert mine[:2] == pytorchs[:2], f"step {step}: (scale, growth tracker)"
        for a, b in zip(mine[2:], pytorchs[2:]):
            numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"step {step}")


@pytest.mark.parametrize("case", ["grows and backs off", "adam, clipped after unscale_"])
def test_on_a_device_the_scaler_is_enabled_and_gives_the_hosts_numbers(strict_cuda, case):
    on_device, scaler = train(tg, device="cuda", **CASES[case])
    on_host, _ = train(tg, **CASES[case])
    assert scaler.is_enabled()
    for mine, hosts in zip(on_device, on_host):
        assert mine[:2] == hosts[:2]
        for a, b in zip(mine[2:], hosts[2:]):
            numpy.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_a_step_after_an_inf_gradient_leaves_the_parameters_unchanged():
    seen, _ = train(tg, steps=3, bad={1: math.inf}, init_scale=2.0**10, growth_interval=100)
    numpy.testing.assert_array_equal(seen[1][2], seen[0][2])
    assert seen[1][0] == seen[0][0] / 2 and not numpy.array_equal(seen[2][2], seen[1][2])


def test_state_dict_is_pytorchs_and_resumes_the_same_scales(torch):
    settings = dict(init_scale=2.0**6, growth_interval=3, backoff_factor=0.25)
    _, ours = train(tg, 4, {1: math.inf}, **settings)
    _, theirs = train(torch, 4, {1: math.inf}, **settings)
    assert ours.state_dict() == theirs.state_dict()
    resumed = tg.amp.GradScaler("cpu")
    resumed.load_state_dict(ours.state_dict())
    assert resumed.state_dict() == ours.state_dict()


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_scale_keeps_the_dtype_and_multiplies_nested_outputs(torch, dtype):
    def run(lib):
        scaler = lib.amp.GradScaler("cpu")
        a = lib.tensor(numpy.array([0.5, -0.25, 1e-7, 1.5], dtype=dtype), requires_grad=True)
        out = scaler.scale([a, (a * 2,)])
        (out[0] * lib.tensor(numpy.array([1.0, 3.0, 0.5, 1e-6], dtype=dtype))).sum().backward()
        return (type(out).__name__, type(out[1]).__name__, [str(t.dtype).split(".")[-1] for t in (out[0], out[1][0])],
                out[0].tolist() + out[1][0].tolist(), a.grad.tolist())

    assert run(tg) == run(torch)


def test_disabled_every_method_passes_through(torch):
    def run(lib):
        model, opt = model_and_optimizer(lib, "sgd")
        scaler = lib.amp.GradScaler("cpu", enabled=False)
        loss = ((model(lib.tensor(X)) - lib.tensor(Y)) ** 2).mean()
        assert scaler.scale(loss) is loss
        loss.backward()
        scaler.unscale_(opt)
        result = scaler.step(opt, closure=lambda: 7.0)  # passed on to optimizer.step
        scaler.update()
        return (scaler.is_enabled(), scaler.get_scale(), scaler.state_dict(), result,
                model.weight.detach().numpy())

    ours, theirs = run(tg), run(torch)
    assert ours[:4] == theirs[:4] == (False, 1.0, {}, 7.0)
    numpy.testing.assert_allclose(ours[4], theirs[4], rtol=1e-6)


@pytest.mark.skipif(tg.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_warns_and_disables_as_pytorch(torch):
    if torch.cuda.is_available():
        pytest.skip("PyTorch sees CUDA")
    for lib in (tg, torch):
        with pytest.warns(UserWarning, match="CUDA is not available"):
            scaler = lib.amp.GradScaler()
        assert not scaler.is_enabled() and scaler.get_scale() == 1.0


@pytest.mark.skipif(tg.cuda.is_available(), reason="CUDA is available here")
def test_deprecated_device_scalers_warn_as_pytorchs(torch):
    for lib in (tg, torch):
        with pytest.warns(FutureWarning, match="deprecated"):
            cpu_scaler = lib.cpu.amp.GradScaler(init_scale=8.0)
        with pytest.warns(FutureWarning, match="deprecated"), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            cuda_scaler = lib.cuda.amp.GradScaler()
        assert (cpu_scaler.is_enabled(), cpu_scaler.get_scale(), cuda_scaler.is_enabled()) == (True, 8.0, False)


def _scaled_step(lib, dtype="float32"):
    model, opt = model_and_optimizer(lib, "sgd")
    if dtype == "float16":
        model.half()
    scaler = lib.amp.GradScaler("cpu")
    scaler.scale(model(lib.tensor(X).to(model.weight.dtype)).sum()).backward()
    return scaler, opt


REFUSALS = {
    "unscale_ twice": (RuntimeError, lambda s, o: (s.unscale_(o), s.unscale_(o))),
    "step twice": (RuntimeError, lambda s, o: (s.step(o), s.step(o))),
    "unscale_ after step": (RuntimeError, lambda s, o: (s.step(o), s.unscale_(o))),
    "closure": (RuntimeError, lambda s, o: s.step(o, closure=lambda: 0.0)),
    "scale a number": (ValueError, lambda s, o: s.scale(3.0)),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_refusals_are_pytorchs(torch, name):
    error, call = REFUSALS[name]
    for lib in (tg, torch):
        with pytest.raises(error):
            call(*_scaled_step(lib))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the float16 forward overflows, as it may
def test_float16_gradients_are_refused_as_in_pytorch(torch):
    for lib in (tg, torch):
        scaler, opt = _scaled_step(lib, "float16")
        with pytest.raises(ValueError):
            scaler.unscale_(opt)


def test_update_and_step_out_of_order_say_what_to_call_first():
    scaler = tg.amp.GradScaler("cpu")
    with pytest.raises(RuntimeError, match="before scale"):
        scaler.update()
    scaler.scale(tg.ones(1))
    with pytest.raises(RuntimeError, match="scaler.step"):
        scaler.update()
    opt = tg.optim.SGD([tg.nn.Parameter(tg.ones(2))], lr=0.1)
    with pytest.raises(RuntimeError, match="no parameter of this optimizer has a gradient"):
        scaler.step(opt)


def test_update_takes_a_new_scale_as_pytorchs(torch):
    def run(lib, new_scale):
        scaler, opt = _scaled_step(lib)
        scaler.step(opt)
        scaler.update(new_scale(lib))
        return scaler.get_scale(), scaler.state_dict()["_growth_tracker"]

    for new_scale in (lambda lib: 0.1, lambda lib: lib.tensor(5.0)):
        assert run(tg, new_scale) == run(torch, new_scale)


def test_factors_out_of_range_are_refused():
    with pytest.raises(ValueError, match="growth_factor > 1.0"):
        tg.amp.GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(ValueError, match="backoff_factor < 1.0"):
        tg.amp.GradScaler("cpu", backoff_factor=1.5)
