"""finfo and iinfo (every attribute, repr and equality as PyTorch's), the predicates
is_floating_point, is_complex, is_nonzero and is_tensor, as functions and methods;
result_type and can_cast for every pair, and a tensor's element_size, itemsize and nbytes."""

import pytest

import tinygrad_bn as tg

FLOATS = ["float16", "float32", "float64"]
INTEGERS = ["uint8", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("name", FLOATS + [None])
def test_finfo_is_pytorchs(torch, name):
    ours = tg.finfo(getattr(tg, name)) if name else tg.finfo()
    theirs = torch.finfo(getattr(torch, name)) if name else torch.finfo()
    for attribute in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
        assert type(getattr(ours, attribute)) is type(getattr(theirs, attribute)), attribute
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)


@pytest.mark.parametrize("name", INTEGERS)
def test_iinfo_is_pytorchs(torch, name):
    ours, theirs = tg.iinfo(getattr(tg, name)), torch.iinfo(getattr(torch, name))
    for attribute in ("bits", "max", "min", "dtype"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
        assert type(getattr(ours, attribute)) is type(getattr(theirs, attribute)), attribute
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("info, python_type", [("finfo", float), ("iinfo", int)])
def test_python_types_mean_the_64_bit_dtypes(torch, info, python_type):
    assert repr(getattr(tg, info)(python_type)) == repr(getattr(torch, info)(python_type))


def test_equal_by_value_and_follows_the_default_dtype():
    assert tg.finfo(tg.float32) == tg.finfo() and tg.finfo(tg.float32) != tg.finfo(tg.float64)
    assert tg.iinfo(tg.int8) == tg.iinfo(tg.int8) != tg.iinfo(tg.uint8)
    tg.set_default_dtype(tg.float64)
    try:
        assert tg.finfo().dtype == "float64"
    finally:
        tg.set_default_dtype(tg.float32)


ERRORS = {
    "finfo of an integer dtype": (lambda f: f.finfo(f.int32), "finfo.. takes a floating dtype, got int32"),
    "finfo of bool": (lambda f: f.finfo(f.bool), "finfo.. takes a floating dtype, got bool"),
    "iinfo of a float dtype": (lambda f: f.iinfo(f.float32), "iinfo.. takes an integer dtype, got float32"),
    "iinfo of bool": (lambda f: f.iinfo(f.bool), "does not take bool"),
    "finfo of a string": (lambda f: f.finfo("float32"), "expects a dtype .*, got str"),
    "is_floating_point of a number": (lambda f: f.is_floating_point(3.0), "expects a Tensor, got float"),
    "is_complex of a number": (lambda f: f.is_complex(3.0), "expects a Tensor, got float"),
    "is_nonzero of a number": (lambda f: f.is_nonzero(3), "expects a Tensor, got int"),
    "is_nonzero of two values": (lambda f: f.is_nonzero(f.tensor([1, 2])), "more than one value is ambiguous"),
    "is_nonzero of no values": (lambda f: f.is_nonzero(f.tensor([])), "no values is ambiguous"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs_kind_and_say_expected_and_given(torch, raises_like_torch, name):
    call, words = ERRORS[name]
    raises_like_torch(lambda: call(tg), lambda: call(torch), words)


@pytest.mark.parametrize("value", [[1.5], 0, [[False]], [True], -0.0, float("nan"), [7]])
@pytest.mark.parametrize("predicate", ["is_floating_point", "is_complex", "is_nonzero", "is_tensor"])
def test_predicates_are_pytorchs(torch, predicate, value):
    ours, theirs = getattr(tg, predicate)(tg.tensor(value)), getattr(torch, predicate)(torch.tensor(value))
    assert ours is theirs
    if predicate != "is_tensor":
        assert getattr(tg.tensor(value), predicate)() is theirs


def test_is_tensor_of_other_things(torch):
    for value in (3, [1.0], None):
        assert tg.is_tensor(value) is torch.is_tensor(value) is False


DTYPES = ["bool", *INTEGERS, *FLOATS]
OPERANDS = {
    "int64 vector": lambda f: f.tensor([1, 2]),
    "int32 vector": lambda f: f.ones(2, dtype=f.int32),
    "uint8 0-d": lambda f: f.tensor(3, dtype=f.uint8),
    "float16 vector": lambda f: f.ones(2, dtype=f.float16),
    "float64 0-d": lambda f: f.tensor(1.0, dtype=f.float64),
    "bool vector": lambda f: f.tensor([True]),
    "int": lambda f: 2,
    "float": lambda f: 2.5,
    "bool": lambda f: True,
}


@pytest.mark.parametrize("left", OPERANDS)
@pytest.mark.parametrize("right", OPERANDS)
def test_result_type_is_pytorchs(torch, left, right):
    ours = tg.result_type(OPERANDS[left](tg), OPERANDS[right](tg))
    theirs = torch.result_type(OPERANDS[left](torch), OPERANDS[right](torch))
    assert str(ours) == str(theirs).removeprefix("torch.")


@pytest.mark.parametrize("source", DTYPES)
@pytest.mark.parametrize("target", DTYPES)
def test_can_cast_is_pytorchs(torch, source, target):
    assert tg.can_cast(getattr(tg, source), getattr(tg, target)) == torch.can_cast(getattr(torch, source),
                                                                                     getattr(torch, target))


def test_result_type_and_can_cast_refuse_what_is_not_a_tensor_number_or_dtype():
    with pytest.raises(TypeError, match="other to be a Tensor or a number, got str"):
        tg.result_type(tg.ones(2), "x")
    with pytest.raises(TypeError, match="expects a dtype"):
        tg.can_cast("float32", tg.int64)


@pytest.mark.parametrize("name", DTYPES)
def test_element_size_itemsize_and_nbytes_are_pytorchs(torch, name):
    ours, theirs = tg.ones(2, 3, dtype=getattr(tg, name)), torch.ones(2, 3, dtype=getattr(torch, name))
    assert (ours.element_size(), ours.itemsize, ours.nbytes) == (theirs.element_size(), theirs.itemsize,
                                                                 theirs.nbytes)
    assert (ours.nelement(), ours.ndimension()) == (theirs.nelement(), theirs.ndimension()) == (6, 2)
