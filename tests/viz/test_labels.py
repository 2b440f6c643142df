import numpy
import pytest

from tinygrad_bn import Tensor
from tinygrad_bn.viz import labels


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (5 * 2**20, "5.0 MiB"),
     (3 * 2**30, "3.0 GiB"), (2**42, "4096.0 GiB")],
)
def test_human_bytes(count, text):
    assert labels.human_bytes(count) == text


def test_html_label_escapes_and_drops_empty_lines():
    label = labels.html_label("a<b", "x & y", None, "")
    assert label == '<<B>a&lt;b</B><BR/><FONT POINT-SIZE="10">x &amp; y</FONT>>'


def test_html_label_left_aligned():
    assert labels.html_label("t", "d", left=True).count('<BR ALIGN="LEFT"/>') == 2


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"eps": 1e-3, "momentum": 0.2, "training": True}, "eps=0.001 · momentum=0.2 · training"),
        ({"axes": (0, 2), "keepdims": True}, "axes=(0, 2) · keepdims=True"),
        ({"shape": None}, ""),
        ({"index": numpy.zeros((2, 5), dtype=int)}, "index=array(2, 5)"),
        ({"name": "x" * 40}, "name='" + "x" * 28 + "…"),
    ],
)
def test_params_text(params, text):
    assert labels.params_text(params) == text


@pytest.mark.parametrize("shape", [(), (7,), (4, 3), (2, 3, 4)])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_grad_text_is_the_two_norm(shape, dtype):
    values = numpy.random.default_rng(1).normal(size=shape)
    grad = Tensor(values.astype(dtype))
    norm = numpy.sqrt(numpy.sum(values.astype(dtype).astype(numpy.float64) ** 2))
    assert labels.grad_text(grad) == f"grad norm {norm:.4g} · {shape}"
    assert labels.grad_text(None) is None


def test_grad_text_does_not_overflow_in_float16():
    grad = Tensor(numpy.full(4, 60000.0, dtype="float16"))
    assert labels.grad_text(grad) == "grad norm 1.2e+05 · (4,)"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_total_saved_bytes_counts_an_array_kept_twice_once(dtype):
    a = Tensor(numpy.ones((4, 3), dtype=dtype), requires_grad=True)
    b = Tensor(numpy.ones((4, 3), dtype=dtype), requires_grad=True)
    product = a * b  # keeps a and b
    again = product * a  # keeps product and a: a again
    size = 12 * numpy.dtype(dtype).itemsize
    assert labels.total_saved_bytes([product.grad_fn, again.grad_fn]) == 3 * size


def test_note_label_is_a_table_of_escaped_cells():
    label = labels.note_label("a < b", [("max |Δy|", "1e-07", "ok"), ("x & y", "", "")])
    assert label.startswith("<<TABLE") and label.endswith("</TABLE>>")
    assert label.count("<TR>") == 3 and 'COLSPAN="3"' in label
    assert "a &lt; b" in label and "x &amp; y" in label and "<TD ALIGN=\"LEFT\">max |Δy|</TD>" in label
