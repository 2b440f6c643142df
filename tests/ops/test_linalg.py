"""Matrix multiplication: NumPy's shape rules and errors that name both shapes."""

import numpy
import pytest

from tinygrad_bn import Tensor


@pytest.mark.parametrize("a, b", [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((4, 1, 2, 3), (5, 3, 2))])
def test_matmul_follows_numpy_shapes(a, b):
    left, right = numpy.ones(a), numpy.ones(b)
    result = Tensor(left) @ Tensor(right)
    assert result.shape == (left @ right).shape
    numpy.testing.assert_array_equal(result.numpy(), left @ right)


@pytest.mark.parametrize("a, b, problem", [
    ((2, 3), (4, 2), "do not match"),
    ((3,), (2,), "do not match"),
    ((2, 2, 3), (3, 3, 2), "batch shapes"),
    ((), (3,), "at least one dimension"),
])
def test_matmul_mismatch_names_both_shapes(a, b, problem):
    with pytest.raises(ValueError, match=problem) as error:
        Tensor(numpy.ones(a)) @ Tensor(numpy.ones(b))
    assert str(a) in str(error.value) and str(b) in str(error.value)


def test_matmul_with_a_host_array_on_either_side():
    m = Tensor([[1.0, 2.0], [3.0, 4.0]])
    v = numpy.array([1.0, 1.0], dtype="float32")
    assert (m @ v).tolist() == [3.0, 7.0]
    assert (v @ m).tolist() == [4.0, 6.0]
