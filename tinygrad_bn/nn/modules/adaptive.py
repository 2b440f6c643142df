"""``torch.nn.modules.adaptive``: the adaptive softmax, where PyTorch keeps it (the class
lives elsewhere in ``tinygrad_bn.nn``; this is the path scripts import it by)."""

# ruff: noqa: F401 - re-exports

from tinygrad_bn.nn.adaptive_log_softmax import AdaptiveLogSoftmaxWithLoss
