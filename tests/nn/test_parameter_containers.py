"""ParameterList, ParameterDict and Unflatten: the same edits give the same members,
state-dict keys, shapes and gradients as PyTorch's, and a model holding them
exchanges state dicts with PyTorch."""

from __future__ import annotations

import numpy
import pytest

from tinygrad_bn import Tensor, nn


def weights(f, torch_module):
    """Three tensors: a Parameter, a plain float tensor (made a Parameter) and another Parameter."""
    tensor = torch_module.tensor
    return [f.Parameter(tensor(numpy.ones((2, 3), dtype="float32"))), tensor(numpy.zeros(3, dtype="float32")),
            f.Parameter(tensor(numpy.full((1, 2), 2.0, dtype="float32")))]


def described(module):
    return [(key, tuple(value.shape)) for key, value in module.state_dict().items()]


LIST_EDITS = {
    "append": lambda p, f, t: p.append(t.zeros(4)),
    "extend": lambda p, f, t: p.extend([t.zeros(4), f.Parameter(t.zeros(5))]),
    "+=": lambda p, f, t: p.__iadd__([t.zeros(4)]),
    "set -1": lambda p, f, t: p.__setitem__(-1, t.zeros(6)),
    "slice": lambda p, f, t: p[1:],
}


@pytest.mark.parametrize("edit", LIST_EDITS.values(), ids=LIST_EDITS.keys())
def test_parameter_list_edits_match_pytorch(torch, edit):
    import tinygrad_bn as tg

    ours, theirs = nn.ParameterList(weights(nn, tg)), torch.nn.ParameterList(weights(torch.nn, torch))
    ours, theirs = edit(ours, nn, tg) or ours, edit(theirs, torch.nn, torch) or theirs
    assert described(ours) == described(theirs)
    assert [type(p).__name__ for p in ours] == ["Parameter"] * len(theirs)
    assert [p.requires_grad for p in ours] == [p.requires_grad for p in theirs]
    assert ours[-1].shape == tuple(theirs[-1].shape) and len(ours) == len(theirs)


DICT_EDITS = {
    "set": lambda p, f, t: p.__setitem__("c", t.zeros(4)),
    "replace": lambda p, f, t: p.__setitem__("a", f.Parameter(t.zeros(5))),
    "update": lambda p, f, t: p.update({"d": t.zeros(1), "a": t.zeros(2)}),
    "update pairs": lambda p, f, t: p.update([("e", t.zeros(2))]),
    "pop": lambda p, f, t: p.pop("b"),
    "del": lambda p, f, t: p.__delitem__("a"),
}


@pytest.mark.parametrize("edit", DICT_EDITS.values(), ids=DICT_EDITS.keys())
def test_parameter_dict_edits_match_pytorch(torch, edit):
    import tinygrad_bn as tg

    ours = nn.ParameterDict(dict(zip("abz", weights(nn, tg))))
    theirs = torch.nn.ParameterDict(dict(zip("abz", weights(torch.nn, torch))))
    edit(ours, nn, tg)
    edit(theirs, torch.nn, torch)
    assert described(ours) == described(theirs)
    assert list(ours) == list(theirs) and list(ours.keys()) == list(theirs.keys()) and len(ours) == len(theirs)
    assert ("a" in ours) == ("a" in theirs)
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ours.values())


class Scaled:
    """A model holding a ParameterList and a ParameterDict, written once for both frameworks."""

    @staticmethod
    def build(f, torch_module):
        class Model(f.Module):
            def __init__(self):
                super().__init__()
                self.scales = f.ParameterList([f.Parameter(torch_module.ones(3)), torch_module.ones(3) * 2])
                self.shifts = f.ParameterDict({"first": torch_module.zeros(3)})
                self.unflatten = f.Unflatten(1, (3, 2))

            def forward(self, x):
                for scale in self.scales:
                    x = x * scale
                return self.unflatten((x + self.shifts["first"]).repeat(1, 2))

        return Model()


def test_a_model_holding_them_trains_and_exchanges_state_with_pytorch(torch):
    import tinygrad_bn as tg

    ours, theirs = Scaled.build(nn, tg), Scaled.build(torch.nn, torch)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["scales.0", "scales.1", "shifts.first"]
    ours.load_state_dict({k: Tensor(v.detach().numpy() + 1.0) for k, v in theirs.state_dict().items()})
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = numpy.cos(numpy.arange(6.0, dtype="float32")).reshape(2, 3)
    out, expected = ours(Tensor(x)), theirs(torch.tensor(x))
    assert out.shape == tuple(expected.shape) == (2, 3, 2)
    numpy.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-6)
    out.square().sum().backward()
    expected.square().sum().backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        numpy.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, err_msg=name)


def test_reprs_list_each_parameter_on_a_line():
    import tinygrad_bn as tg

    assert repr(nn.ParameterList([tg.zeros(2, 3)])) == (
        "ParameterList(\n  (0): Parameter containing: [float32 of size 2x3]\n)")
    assert repr(nn.ParameterDict({"w": tg.zeros(4, dtype="float64")})) == (
        "ParameterDict(\n  (w): Parameter containing: [float64 of size 4]\n)")
    assert repr(nn.ParameterList()) == "ParameterList()"
    assert repr(nn.Unflatten(-1, (2, -1))) == "Unflatten(dim=-1, unflattened_size=(2, -1))"


@pytest.mark.parametrize("call, error, words", [
    (lambda: nn.ParameterList([3]), TypeError, "holds Tensors .*got int"),
    (lambda: nn.ParameterList([nn.Parameter(Tensor([1.0]))])[2], IndexError, "index 2 is out of range for a "
                                                                             "ParameterList of 1 parameters"),
    (lambda: nn.ParameterDict({"a": Tensor([1.0])})["b"], KeyError, r"no parameter named 'b' in this ParameterDict; "
                                                                    r"its keys are \['a'\]"),
    (lambda: nn.ParameterDict(5), TypeError, r"ParameterDict.update expects a mapping or \(name, parameter\) pairs"),
    (lambda: nn.Unflatten(1, (4, 2))(Tensor(numpy.ones((2, 6)))), ValueError, r"Unflatten\(dim=1, "
                                                                              r"unflattened_size=\(4, 2\)\) cannot "
                                                                              r"unflatten an input of shape \(2, 6\)"),
])
def test_errors_say_what_was_expected_and_given(call, error, words):
    with pytest.raises(error, match=words):
        call()
