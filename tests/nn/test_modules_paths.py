"""``nn.modules``: every class PyTorch keeps in a submodule of ``torch.nn.modules`` that
tinygrad_bn has is found at the same path, and is the class ``nn`` exports."""

import importlib

import pytest

from tinygrad_bn import nn

SUBMODULES = ["activation", "adaptive", "batchnorm", "channelshuffle", "container", "conv", "distance", "dropout",
              "flatten", "fold", "instancenorm", "linear", "loss", "module", "normalization", "padding",
              "pixelshuffle", "pooling", "rnn", "sparse", "transformer", "upsampling"]
BASES = {"batchnorm": "_BatchNorm", "conv": "_ConvNd", "loss": "_Loss", "module": "Module", "rnn": "RNNBase"}


@pytest.mark.parametrize("submodule", SUBMODULES)
def test_each_class_of_ours_is_at_pytorchs_path(torch, submodule):
    theirs = importlib.import_module(f"torch.nn.modules.{submodule}")
    ours = importlib.import_module(f"tinygrad_bn.nn.modules.{submodule}")
    public = {name for name in dir(nn) if isinstance(getattr(nn, name), type)}
    theirs_and_ours = {name for name in dir(theirs) if isinstance(getattr(theirs, name), type) and name in public
                       and getattr(theirs, name).__module__ == theirs.__name__}
    assert theirs_and_ours, f"no class of torch.nn.modules.{submodule} is in tinygrad_bn.nn"
    for name in theirs_and_ours:
        assert getattr(ours, name) is getattr(nn, name), name
    if submodule in BASES:
        assert isinstance(getattr(ours, BASES[submodule]), type)


def test_a_freeze_bn_helper_finds_batchnorm_by_its_base_class():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.LayerNorm(2))
    frozen = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert frozen == [model[1]]
