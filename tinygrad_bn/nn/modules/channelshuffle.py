"""``torch.nn.modules.channelshuffle``: ChannelShuffle, where PyTorch keeps it (the class
lives elsewhere in ``tinygrad_bn.nn``; this is the path scripts import it by)."""

# ruff: noqa: F401 - re-exports

from tinygrad_bn.nn.channel_shuffle import ChannelShuffle
