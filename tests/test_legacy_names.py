"""PyTorch's older top-level names still common in scripts: ``torch.dropout``,
``torch.alpha_dropout``, ``torch.feature_dropout`` and ``torch.feature_alpha_dropout``
(with a positional ``train``) and ``torch.optim.lr_scheduler._LRScheduler``."""

import inspect

import numpy
import pytest

import tinygrad_bn as tg


@pytest.mark.parametrize("name", ["dropout", "alpha_dropout"])
def test_signature_is_pytorchs(torch, name):
    ours = list(inspect.signature(getattr(tg, name)).parameters)
    assert ours == ["input", "p", "train"]
    with pytest.raises(TypeError):
        getattr(torch, name)(torch.ones(3), 0.5)
    with pytest.raises(TypeError):
        getattr(tg, name)(tg.ones(3), 0.5)


@pytest.mark.parametrize("name", ["dropout", "alpha_dropout"])
def test_eval_is_the_identity_and_train_keeps_the_moments(torch, name):
    x = numpy.random.default_rng(0).standard_normal(20000).astype("float32")
    assert getattr(tg, name)(tg.tensor(x), 0.3, False).tolist() == getattr(torch, name)(torch.tensor(x), 0.3,
                                                                                        False).tolist()
    tg.manual_seed(0)
    y = getattr(tg, name)(tg.tensor(x), 0.3, True).numpy()
    z = getattr(torch, name)(torch.tensor(x), 0.3, True).numpy()
    assert abs(y.mean() - z.mean()) < 0.05 and abs(y.std() - z.std()) < 0.05
    if name == "dropout":  # kept elements scaled by 1/(1 − p), the rest 0, in both
        kept = y != 0
        numpy.testing.assert_allclose(y[kept], x[kept] / 0.7, rtol=1e-6)
        assert abs(kept.mean() - (z != 0).mean()) < 0.02


def test_lr_scheduler_base_keeps_its_older_name(torch):
    from tinygrad_bn.optim.lr_scheduler import LRScheduler, _LRScheduler

    assert issubclass(torch.optim.lr_scheduler._LRScheduler, torch.optim.lr_scheduler.LRScheduler)
    assert issubclass(_LRScheduler, LRScheduler) and _LRScheduler is not LRScheduler

    class Halving(_LRScheduler):
        def get_lr(self):
            return [group["lr"] * 0.5 for group in self.optimizer.param_groups]

    def lrs(lib):
        optimizer = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.8)
        scheduler = Halving(optimizer) if lib is tg else type("Halving", (torch.optim.lr_scheduler._LRScheduler,),
                                                              {"get_lr": Halving.get_lr})(optimizer)
        values = []
        for _ in range(3):
            optimizer.step()
            scheduler.step()
            values.append(scheduler.get_last_lr())
        return values

    assert lrs(tg) == lrs(torch)


@pytest.mark.parametrize("name", ["feature_dropout", "feature_alpha_dropout"])
def test_feature_dropout_drops_whole_channels_as_pytorch(torch, name):
    x = numpy.random.default_rng(1).standard_normal((40, 50, 3)).astype("float32")
    p = 0.3
    tg.manual_seed(0)
    ours = getattr(tg, name)(tg.tensor(x), p, True).numpy()
    theirs = getattr(torch, name)(torch.tensor(x), p, True).numpy()
    maps = []
    for y in (ours, theirs):
        # y = a·x + b in a kept channel, a constant c in a dropped one, the same a, b, c everywhere
        slope = (y[..., 1] - y[..., 0]) / (x[..., 1] - x[..., 0])
        kept = numpy.abs(slope) > 0.5
        assert abs(kept.mean() - (1 - p)) < 0.05
        a = slope[kept].flat[0]
        b, c = (y[..., 0] - a * x[..., 0])[kept], y[..., 0][~kept]
        numpy.testing.assert_allclose(slope[kept], a, rtol=1e-3)
        numpy.testing.assert_allclose(b, b[0], atol=1e-5)
        numpy.testing.assert_allclose(c, c[0], atol=1e-6)
        maps.append((a, b[0], c[0]))
    numpy.testing.assert_allclose(maps[0], maps[1], rtol=1e-5, atol=1e-6)
    assert abs(ours.mean() - theirs.mean()) < 0.05 and abs(ours.std() - theirs.std()) < 0.05
    assert getattr(tg, name)(tg.tensor(x), p, False).tolist() == getattr(torch, name)(torch.tensor(x), p,
                                                                                       False).tolist()
    assert getattr(tg, name)(tg.tensor(x), 1.0, True).abs().sum().item() == 0.0


@pytest.mark.parametrize("name", ["feature_dropout", "feature_alpha_dropout"])
def test_feature_dropout_needs_two_dimensions_as_pytorch(torch, name):
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
        getattr(torch, name)(torch.ones(4), 0.5, True)
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
        getattr(tg, name)(tg.ones(4), 0.5, True)
