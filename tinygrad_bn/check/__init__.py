"""Checking gradients: finite differences (gradcheck, gradgradcheck) and cross-checks
of two implementations (compare), with BatchNorm's matrix of cases (compare_bn)."""

from tinygrad_bn.check.compare import compare
from tinygrad_bn.check.compare_bn import BatchNormReport, compare_bn
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
    "gradcheck",
    "gradgradcheck",
]
