"""F.scaled_dot_product_attention: PyTorch's values and gradients with every mask kind,
causal attention, grouped key/value heads, a scale; finite differences in float64."""

import re

import numpy
import pytest

import tinygrad_bn as tb
from tinygrad_bn.check.gradcheck import gradcheck, gradgradcheck
from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.nn import functional as F

CASES = {
    "plain": {},
    "bool mask": {"mask": "bool"},
    "float mask": {"mask": "float"},
    "causal": {"is_causal": True},
    "scale": {"scale": 0.3},
    "grouped heads": {"enable_gqa": True, "kv_heads": 2},
    "a query attends to nothing": {"mask": "bool", "blind_row": True},
}


def _arrays(case, dtype):
    rng = numpy.random.default_rng(0)
    q = rng.standard_normal((2, 4, 3, 5)).astype(dtype)
    heads = case.get("kv_heads", 4)
    k = rng.standard_normal((2, heads, 6, 5)).astype(dtype)
    v = rng.standard_normal((2, heads, 6, 2)).astype(dtype)
    mask = None
    if case.get("mask") == "bool":
        mask = rng.random((3, 6)) < 0.6
        mask[:, 0] = True
        if case.get("blind_row"):
            mask[1] = False
    elif case.get("mask") == "float":
        mask = rng.standard_normal((2, 1, 3, 6)).astype(dtype)
    return q, k, v, mask


def _run(framework, f, case, arrays):
    q, k, v, mask = arrays
    leaves = [framework.tensor(a, requires_grad=True) if framework is not tb else tb.Tensor(a, requires_grad=True)
              for a in (q, k, v)]
    options = {key: case[key] for key in ("is_causal", "scale", "enable_gqa") if key in case}
    mask = None if mask is None else (tb.Tensor(mask) if framework is tb else framework.tensor(mask))
    out = f.scaled_dot_product_attention(*leaves, attn_mask=mask, **options)
    upstream = numpy.random.default_rng(1).standard_normal(tuple(out.shape))
    (out * (tb.Tensor(upstream) if framework is tb else framework.tensor(upstream))).sum().backward()
    return [out.detach().numpy()] + [t.grad.numpy() for t in leaves]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_values_and_gradients_match_pytorch(torch, case, dtype):
    arrays = _arrays(CASES[case], dtype)
    tolerance = dict(rtol=1e-4, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    for got, expected in zip(_run(tb, F, CASES[case], arrays),
                             _run(torch, torch.nn.functional, CASES[case], arrays), strict=True):
        numpy.testing.assert_allclose(got, expected, **tolerance)


@pytest.mark.parametrize("case", ["plain", "causal", "float mask"])
def test_first_and_second_derivatives_match_finite_differences(case):
    q, k, v, mask = _arrays(CASES[case], "float64")
    q, k, v = q[:1, :2], k[:1, :2], v[:1, :2]
    mask = None if mask is None else tb.Tensor(mask[:1])
    inputs = [tb.Tensor(a, requires_grad=True) for a in (q, k, v)]

    def attend(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=CASES[case].get("is_causal", False))

    assert gradcheck(attend, inputs)
    assert gradgradcheck(attend, inputs)


def test_dropout_is_of_the_weights():
    """With p = 1 every weight is dropped, so the output is zeros."""
    q = tb.ones(1, 2, 3)
    numpy.testing.assert_array_equal(F.scaled_dot_product_attention(q, q, q, dropout_p=1.0).numpy(), 0.0)


@pytest.mark.parametrize("call, error, words", [
    (lambda: F.scaled_dot_product_attention(tb.ones(2, 3), tb.ones(4, 5), tb.ones(4, 5)), ShapeError, "(..., L, E)"),
    (lambda: F.scaled_dot_product_attention(tb.ones(2, 3, 2, 4), tb.ones(2, 2, 5, 4), tb.ones(2, 2, 5, 4),
                                            enable_gqa=True), ShapeError, "multiple"),
    (lambda: F.scaled_dot_product_attention(tb.ones(2, 3), tb.ones(4, 3), tb.ones(4, 3),
                                            attn_mask=tb.ones(2, 4, dtype="int64")), DtypeError, "bool or floating"),
    (lambda: F.scaled_dot_product_attention(tb.ones(2, 3), tb.ones(4, 3), tb.ones(4, 3),
                                            attn_mask=tb.ones(2, 4, dtype="bool"), is_causal=True), ArgumentError,
     "not both"),
])
def test_wrong_inputs_say_what_was_expected(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()
