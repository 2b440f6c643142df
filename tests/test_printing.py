"""set_printoptions: PyTorch's options and profiles change how tensors print; the
numbers shown are PyTorch's for the same options."""

import re

import pytest

import tinygrad_bn as tg

VALUES = [1 / 3, -2 / 3, 12.5, 1e-3, 7.0]


@pytest.fixture(autouse=True)
def numpys_defaults_after():
    yield
    tg.set_printoptions()


def _numbers(text: str) -> list:
    """The numbers a tensor's repr shows, as written (an ellipsis too), not its dtype or name."""
    body = text[text.index("[") : text.rindex("]") + 1]
    return re.findall(r"-?\d+\.\d*(?:e[+-]\d+)?|\.\.\.", body)


@pytest.mark.parametrize("options", [dict(profile="default"), dict(profile="short"), dict(precision=2),
                                     dict(precision=3, sci_mode=True)],
                         ids=["default", "short", "precision 2", "scientific"])
def test_the_numbers_shown_are_pytorchs(torch, options):
    tg.set_printoptions(**options)
    torch.set_printoptions(**options)
    try:
        assert _numbers(repr(tg.tensor(VALUES))) == _numbers(repr(torch.tensor(VALUES)))
    finally:
        torch.set_printoptions(profile="default")


def test_without_options_a_tensor_prints_numpys_digits():
    tg.set_printoptions(precision=2)
    tg.set_printoptions()
    assert "0.33333334" in repr(tg.tensor([1 / 3]))


def test_past_the_threshold_only_the_edge_items_show():
    tg.set_printoptions(threshold=3, edgeitems=1)
    assert _numbers(repr(tg.tensor(VALUES)))[:2] == ["0.33333334", "..."]


def test_full_never_summarizes():
    tg.set_printoptions(profile="full")
    assert "..." not in repr(tg.arange(5000.0))
    tg.set_printoptions()
    assert "..." in repr(tg.arange(5000.0))


def test_an_unknown_profile_is_refused():
    with pytest.raises(ValueError, match=r"profile must be one of \['default', 'full', 'short'\], got 'long'"):
        tg.set_printoptions(profile="long")
