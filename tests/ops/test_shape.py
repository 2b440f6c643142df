"""Shape ops: error messages, repeated indices, casts, copies and their gradients."""

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.autograd import grad


@pytest.mark.parametrize("shape", [(5, 7), (4, -1), (-1, -1)])
def test_reshape_mismatch_names_both_shapes(shape):
    with pytest.raises(ValueError, match=r"\(2, 3\)") as error:
        Tensor(numpy.ones((2, 3))).reshape(*shape)
    assert str(shape) in str(error.value)


def test_reshape_infers_one_dimension():
    assert Tensor(numpy.ones((2, 3, 4))).reshape(-1, 4).shape == (6, 4)
    assert Tensor(numpy.ones((2, 3, 4))).reshape((3, -1)).shape == (3, 8)


@pytest.mark.parametrize("dims", [(0, 2), (-1, 0), (1, 1)])
def test_transpose_exchanges_two_dims_as_in_pytorch(dims):
    torch = pytest.importorskip("torch")
    data = numpy.arange(24.0).reshape(2, 3, 4)
    numpy.testing.assert_array_equal(Tensor(data).transpose(*dims).numpy(), torch.tensor(data).transpose(*dims))
    numpy.testing.assert_array_equal(Tensor(data).swapaxes(*dims).numpy(), torch.tensor(data).swapaxes(*dims))


@pytest.mark.parametrize("call, problem", [
    (lambda x: x.permute(1, 0), r"permute: \(1, 0\) is not a permutation of the 3 dims of a tensor of shape"),
    (lambda x: x.permute(0, 0, 1), "not a permutation"),
    (lambda x: x.flatten(2, 1), "start_dim 2 comes after end_dim 1"),
    (lambda x: x.unsqueeze(4), "axis 4 is out of range for a tensor with 4 dimensions"),
    (lambda x: x.squeeze(3), "axis 3 is out of range"),
    (lambda x: x.expand(3, 4), r"expand: \(3, 4\) has fewer axes"),
    (lambda x: x.expand(-1, 2, 3, 4), "-1 in .* names a new leading axis"),
    (lambda x: x.expand(2, 5, 4), r"cannot broadcast a tensor of shape \(2, 3, 4\) to shape \(2, 5, 4\)"),
])
def test_pytorch_named_reshapes_reject_bad_dims(call, problem):
    with pytest.raises(ValueError, match=problem):
        call(Tensor(numpy.ones((2, 3, 4))))


def test_dim_and_numel_are_ndim_and_size():
    x = Tensor(numpy.ones((2, 3, 4)))
    assert (x.dim(), x.numel()) == (3, 24)


def test_T_reverses_all_axes():
    assert Tensor(numpy.ones((2, 3, 4))).T.shape == (4, 3, 2)


@pytest.mark.parametrize("shape", [(), (3,)])
def test_t_leaves_0d_and_1d_tensors_as_they_are(shape):
    x = Tensor(numpy.arange(float(numpy.prod(shape))).reshape(shape))
    assert x.t() is x


def test_t_exchanges_the_axes_of_a_matrix():
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.t().tolist() == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]


def test_t_of_more_than_2_dimensions_points_to_permute_and_transpose():
    problem = r"t\(\) expects .* at most 2 dimensions, got shape \(2, 3, 4\); use permute.*transpose"
    with pytest.raises(ValueError, match=problem):
        Tensor(numpy.ones((2, 3, 4))).t()


def test_clone_copies_the_data_and_stays_in_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert y.grad_fn is not None and not numpy.shares_memory(y._data, x._data)
    y._data[0] = 5.0
    assert x.tolist() == [1.0, 2.0]
    (y * 3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_broadcast_to_and_sum_to_reject_incompatible_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 3\)"):
        Tensor(numpy.ones((2, 3))).broadcast_to((4, 3))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 1\)"):
        Tensor(numpy.ones((2, 3))).sum_to((3, 1))


@pytest.mark.parametrize("index, expected", [
    ([0, 0, 2, 0], [3.0, 0.0, 1.0]),
    (numpy.array([[1, 1], [1, 2]]), [0.0, 3.0, 1.0]),
    (numpy.array([True, False, True]), [1.0, 0.0, 1.0]),
    (slice(None, None, -1), [1.0, 1.0, 1.0]),
])
def test_repeated_indices_accumulate_gradients(index, expected):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[index].sum().backward()
    assert x.grad.tolist() == expected


def test_index_with_an_integer_tensor():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = x[Tensor([1, 1, 0])]
    assert rows.tolist() == [[3.0, 4.0], [3.0, 4.0], [1.0, 2.0]]
    rows.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [2.0, 2.0]]


@pytest.mark.parametrize("source, target", [("float32", "float64"), ("float64", "float32")])
def test_astype_casts_and_casts_the_gradient_back(source, target):
    x = Tensor(numpy.array([1.0, 2.0], dtype=source), requires_grad=True)
    y = x.astype(target)
    assert y.dtype == target
    (y * y).sum().backward()
    assert x.grad.dtype == source and x.grad.tolist() == [2.0, 4.0]


def test_astype_second_derivative():
    x = Tensor(numpy.array([1.0, 2.0], dtype="float32"), requires_grad=True)
    y = x.astype("float64")
    (dx,) = grad((y * y * y).sum(), x, create_graph=True)
    (ddx,) = grad(dx.sum(), x)
    assert ddx.dtype == "float32" and ddx.tolist() == [6.0, 12.0]


def test_astype_to_the_same_dtype_is_the_tensor_itself():
    x = Tensor([1.0])
    assert x.astype("float32") is x


def test_concatenate_and_stack_reject_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 3\)"):
        tg.concatenate([Tensor(numpy.ones((2, 3))), Tensor(numpy.ones((3, 3)))], axis=1)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        tg.stack([Tensor(numpy.ones((2, 3))), Tensor(numpy.ones((3, 2)))])
    with pytest.raises(ValueError, match="at least one"):
        tg.concatenate([])


@pytest.mark.parametrize("join, words", [
    (lambda ts: tg.concatenate(ts, axis=2), "axis 2 is out of range"),
    (lambda ts: tg.concatenate(ts, axis=-3), "axis -3 is out of range"),
    (lambda ts: tg.cat(ts, dim=2), r"dim 2 is out of range for a tensor with 2 dimensions: expected one in \[-2, 1\]"),
    (lambda ts: tg.cat(ts, -3), "dim -3 is out of range"),
    (lambda ts: tg.stack(ts, axis=3), "dim 3 is out of range"),
    (lambda ts: tg.stack(ts, axis=-4), "dim -4 is out of range"),
    (lambda ts: tg.stack(ts, dim=3), r"dim 3 is out of range for a tensor with 3 dimensions"),
    (lambda ts: ts[0].swapaxes(0, 2), "dim 2 is out of range"),
], ids=["concatenate 2", "concatenate -3", "cat 2", "cat -3", "stack 3", "stack -4", "stack dim=3", "swapaxes"])
def test_out_of_range_axes_are_rejected(join, words):
    with pytest.raises(ValueError, match=words):
        join([Tensor(numpy.ones((2, 3))), Tensor(numpy.ones((2, 3)))])


@pytest.mark.parametrize("shapes, dim, words", [
    ([(2, 3), (3, 3)], 1, r"cat along dim 1: tensor 0 has shape \(2, 3\) but tensor 1 has shape \(3, 3\); "
                          r"shapes may differ only along dim 1"),
    ([(2, 3), (2, 3), (2, 4)], 0, r"tensor 0 has shape \(2, 3\) but tensor 2 has shape \(2, 4\)"),
    ([(2, 3), (2, 3, 1)], -1, r"cat along dim 1: .* tensor 1 has shape \(2, 3, 1\)"),
    ([(2, 3), (2,)], 0, r"tensor 1 has shape \(2,\)"),
    ([()], 0, r"cat needs tensors of at least one dimension, got shape \(\); use stack"),
    ([], 0, "cat needs at least one tensor"),
])
def test_cat_names_the_shapes_and_the_dim(shapes, dim, words):
    with pytest.raises(ValueError, match=words):
        tg.cat([Tensor(numpy.ones(shape)) for shape in shapes], dim=dim)


@pytest.mark.parametrize("join", [tg.cat, tg.concatenate, tg.stack], ids=["cat", "concatenate", "stack"])
def test_joins_take_only_tensors(join):
    with pytest.raises(TypeError, match=f"{join.__name__} expects Tensors, got ndarray at position 1"):
        join([Tensor(numpy.ones(2)), numpy.ones(2)])


def test_stack_takes_axis_or_dim_but_not_both():
    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    assert tg.stack([a, b], dim=1).tolist() == tg.stack([a, b], axis=1).tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert tg.stack([a, b], 1).tolist() == tg.stack([a, b], dim=1).tolist()
    with pytest.raises(TypeError, match="stack\\(\\) got both dim=1 and axis=0; give one"):
        tg.stack([a, b], axis=0, dim=1)


def test_cat_of_tensors_on_two_devices_is_refused(strict_cuda):
    with pytest.raises(RuntimeError, match="all its tensors on one device.*'cpu'.*'cuda'"):
        tg.cat([Tensor([1.0]), Tensor([2.0], device="cuda")])


def test_concatenate_needs_axes_and_stack_does_not():
    scalars = [Tensor(1.0), Tensor(2.0)]
    with pytest.raises(ValueError, match="at least one dimension.*use stack"):
        tg.concatenate(scalars)
    assert tg.stack(scalars).tolist() == [1.0, 2.0]


def test_pad_needs_one_pair_per_axis():
    with pytest.raises(ValueError, match=r"1 \(before, after\) pairs.*\(2, 3\)"):
        Tensor(numpy.ones((2, 3))).pad(((1, 1),))


def test_pad_refuses_a_negative_width():
    with pytest.raises(ValueError, match=r"widths must be >= 0, got \(\(0, 0\), \(-1, 1\)\)"):
        Tensor(numpy.ones((2, 3))).pad(((0, 0), (-1, 1)))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_pad_matches_numpy_in_every_dtype(dtype):
    x = numpy.random.default_rng(0).standard_normal((2, 3, 4)) > 0 if dtype == "bool" else (
        numpy.arange(24).reshape(2, 3, 4).astype(dtype))
    widths, value = ((1, 0), (0, 2), (3, 1)), (True if dtype == "bool" else 7)
    got = Tensor(x).pad(widths, value=value).numpy()
    expected = numpy.pad(x, widths, constant_values=value)
    assert got.dtype == expected.dtype
    numpy.testing.assert_array_equal(got, expected)


def test_pad_values_and_gradient():
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    y = x.pad(((0, 1), (1, 0)), value=-1.0)
    assert y.tolist() == [[-1.0, 1.0, 2.0], [-1.0, -1.0, -1.0]]
    (y * Tensor([[5.0, 6.0, 7.0], [8.0, 9.0, 10.0]])).sum().backward()
    assert x.grad.tolist() == [[6.0, 7.0]]
