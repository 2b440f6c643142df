"""Checking gradients: finite differences (gradcheck, gradgradcheck)."""

from tinygrad_bn.check.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]
