"""Checking gradients: finite differences (gradcheck, gradgradcheck) and cross-checks
of two implementations to any order up to 4 (compare; either side may be PyTorch
through from_pytorch), with BatchNorm's matrix of cases (compare_bn), the routes
of a wrong BatchNorm backward (diagnosis) and the bug zoo (zoo)."""

from tinygrad_bn.check import zoo
from tinygrad_bn.check.compare import compare
from tinygrad_bn.check.compare_bn import BatchNormReport, compare_bn
from tinygrad_bn.check.derivatives import from_pytorch
from tinygrad_bn.check.gradcheck import GradcheckError, gradcheck, gradgradcheck
from tinygrad_bn.check.report import TOLERANCES, ComparisonReport, Tolerance

__all__ = [
    "TOLERANCES",
    "BatchNormReport",
    "ComparisonReport",
    "GradcheckError",
    "Tolerance",
    "compare",
    "compare_bn",
    "from_pytorch",
    "gradcheck",
    "gradgradcheck",
    "zoo",
]
