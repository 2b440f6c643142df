"""ModuleList and ModuleDict: the same edits give the same members, names, shapes and
reprs as PyTorch's, and a model built from them exchanges state dicts with PyTorch."""

from __future__ import annotations

from collections import OrderedDict

import numpy
import pytest

from tinygrad_bn import Tensor, nn


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def described(module):
    """What the two frameworks can be compared by: state-dict keys with shapes, and the repr."""
    return [(key, tuple(value.shape)) for key, value in module.state_dict().items()], repr(module)


# ModuleList ---------------------------------------------------------------------------

# Each edit runs on a list of Linear(2, 1), Linear(2, 2), Linear(2, 3) (``f`` is the
# framework's nn); out_features tell the modules apart, so a wrong position shows.
LIST_EDITS = {
    "append": lambda layers, f: layers.append(f.Linear(2, 7)),
    "extend": lambda layers, f: layers.extend(f.Linear(2, k) for k in (7, 8)),
    "+=": lambda layers, f: layers.__iadd__([f.ReLU(), f.Linear(2, 7)]),
    "insert at 0": lambda layers, f: layers.insert(0, f.Linear(2, 7)),
    "insert at 2": lambda layers, f: layers.insert(2, f.Linear(2, 7)),
    "insert at the end": lambda layers, f: layers.insert(3, f.Linear(2, 7)),
    "set -1": lambda layers, f: layers.__setitem__(-1, f.Linear(2, 7)),
    "set 1": lambda layers, f: layers.__setitem__(1, f.Tanh()),
    "del 0": lambda layers, f: layers.__delitem__(0),
    "del -2": lambda layers, f: layers.__delitem__(-2),
    "del 0:2": lambda layers, f: layers.__delitem__(slice(0, 2)),
    "del ::2": lambda layers, f: layers.__delitem__(slice(None, None, 2)),
    "pop 1": lambda layers, f: layers.pop(1),
    "pop -1 then append": lambda layers, f: layers.append(layers.pop(-1)),
}


def three_layers(f):
    return f.ModuleList([f.Linear(2, k) for k in (1, 2, 3)])


@pytest.mark.parametrize("edit", LIST_EDITS.values(), ids=LIST_EDITS.keys())
def test_list_edits_match_pytorch(torch, edit):
    ours, theirs = three_layers(nn), three_layers(torch.nn)
    edit(ours, nn)
    edit(theirs, torch.nn)
    assert described(ours) == described(theirs)
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]


def three_in_sequence(f, named: bool):
    layers = [f.Linear(2, k) for k in (1, 2, 3)]
    return f.Sequential(OrderedDict(zip("abc", layers))) if named else f.Sequential(*layers)


SEQUENCE_EDITS = {**LIST_EDITS, "+= Sequential": lambda layers, f: layers.__iadd__(f.Sequential(f.ReLU()))}


@pytest.mark.parametrize("named", [False, True], ids=["numbered", "named"])
@pytest.mark.parametrize("edit", SEQUENCE_EDITS.values(), ids=SEQUENCE_EDITS.keys())
def test_sequential_edits_match_pytorch(torch, edit, named):
    """Replacing keeps a module's name; deleting numbers them again from 0; a list is
    not added to a Sequential. (PyTorch's insert into a named Sequential raises a
    KeyError; here it numbers the modules again, as a deletion does.)"""
    ours, theirs = three_in_sequence(nn, named), three_in_sequence(torch.nn, named)
    try:
        edit(theirs, torch.nn)
    except KeyError:
        assert named and edit in (LIST_EDITS["insert at 0"], LIST_EDITS["insert at 2"])
        return
    except ValueError:
        with pytest.raises(ValueError, match="can only be added to a Sequential, got list"):
            edit(ours, nn)
        return
    edit(ours, nn)
    assert described(ours) == described(theirs)


LIST_VIEWS = {
    "[1:]": lambda layers, f: layers[1:],
    "[::2]": lambda layers, f: layers[::2],
    "[-2:]": lambda layers, f: layers[-2:],
    "[:0]": lambda layers, f: layers[:0],
    "+ list": lambda layers, f: layers + [f.ReLU()],
    "pop 0:2": lambda layers, f: layers.pop(slice(0, 2)),
}


@pytest.mark.parametrize("view", LIST_VIEWS.values(), ids=LIST_VIEWS.keys())
def test_slices_and_sums_are_new_lists_numbered_from_0_as_in_pytorch(torch, view):
    ours, theirs = view(three_layers(nn), nn), view(three_layers(torch.nn), torch.nn)
    assert type(ours) is nn.ModuleList
    assert described(ours) == described(theirs)


def test_indexing_iteration_length_and_membership():
    layers = three_layers(nn)
    first, *_, last = list(layers)
    assert len(layers) == 3 and layers[0] is first and layers[-1] is last and layers[2] is last
    assert first in layers and nn.Linear(2, 1) not in layers
    assert layers[1:][0] is layers[1]


@pytest.mark.parametrize("ids, expected", [
    ([1, 1, 1], "(0-2): 3 x Linear(in_features=2, out_features=1, bias=True)"),
    ([1, 2, 2, 1], "(1-2): 2 x Linear(in_features=2, out_features=2, bias=True)\n  (3): Linear"),
    ([1], "(0): Linear"),
    ([], "ModuleList()"),
])
def test_repr_folds_runs_of_equal_modules_as_pytorch_does(torch, ids, expected):
    ours = nn.ModuleList([nn.Linear(2, k) for k in ids])
    theirs = torch.nn.ModuleList([torch.nn.Linear(2, k) for k in ids])
    assert repr(ours) == repr(theirs)
    assert expected in repr(ours)


def test_nested_containers_print_as_in_pytorch(torch):
    def model(f):
        return f.Sequential(OrderedDict(
            body=f.ModuleList([f.Sequential(f.Linear(2, 2), f.ReLU()) for _ in range(2)] + [f.Tanh()]),
            heads=f.ModuleDict({"a": f.ModuleList([f.Identity(), f.Identity()]), "b": f.Linear(2, 1)}),
        ))

    assert repr(model(nn)) == repr(model(torch.nn))


@pytest.mark.parametrize("action, error, words", [
    (lambda layers: layers[3], IndexError, "index 3 is out of range for a ModuleList of 3 modules"),
    (lambda layers: layers[-4], IndexError, "index -4 is out of range"),
    (lambda layers: layers.__setitem__(3, nn.ReLU()), IndexError, "index 3 is out of range"),
    (lambda layers: layers.__delitem__(5), IndexError, "index 5 is out of range"),
    (lambda layers: layers["0"], TypeError, "'str' object cannot be interpreted as an integer"),
    (lambda layers: layers.extend(nn.ReLU()), TypeError, "expects an iterable of modules, got ReLU"),
    (lambda layers: layers.append("relu"), TypeError, "str is not a Module subclass"),
    (lambda layers: layers.insert(1, "relu"), TypeError, "str is not a Module subclass"),
    (lambda layers: layers(Tensor([1.0, 2.0])), NotImplementedError, "ModuleList does not define forward"),
])
def test_list_misuse_is_reported_and_changes_nothing(action, error, words):
    layers = three_layers(nn)
    before = described(layers)
    with pytest.raises(error, match=words):
        action(layers)
    assert described(layers) == before


# ModuleDict ---------------------------------------------------------------------------

DICT_EDITS = {
    "set new": lambda heads, f: heads.__setitem__("c", f.Linear(2, 7)),
    "replace keeps the place": lambda heads, f: heads.__setitem__("a", f.Linear(2, 7)),
    "update from a dict": lambda heads, f: heads.update({"c": f.Linear(2, 7), "a": f.Tanh()}),
    "update from pairs": lambda heads, f: heads.update([("d", f.Linear(2, 7)), ["c", f.Linear(2, 8)]]),
    "update from a ModuleDict": lambda heads, f: heads.update(f.ModuleDict({"c": f.Linear(2, 7)})),
    "pop": lambda heads, f: heads.pop("a"),
    "del": lambda heads, f: heads.__delitem__("b"),
    "clear": lambda heads, f: heads.clear(),
}


def two_heads(f):
    return f.ModuleDict({"a": f.Linear(2, 1), "b": f.Linear(2, 2)})


@pytest.mark.parametrize("edit", DICT_EDITS.values(), ids=DICT_EDITS.keys())
def test_dict_edits_match_pytorch(torch, edit):
    ours, theirs = two_heads(nn), two_heads(torch.nn)
    edit(ours, nn)
    edit(theirs, torch.nn)
    assert described(ours) == described(theirs)
    assert list(ours.keys()) == list(theirs.keys()) == list(ours)
    assert [type(m).__name__ for m in ours.values()] == [type(m).__name__ for m in theirs.values()]
    assert [name for name, _ in ours.items()] == list(theirs)


def test_dict_lookup_membership_and_length():
    heads = two_heads(nn)
    assert heads["b"].out_features == 2 and heads.b is heads["b"]
    assert "a" in heads and "c" not in heads and len(heads) == 2
    popped = heads.pop("a")
    assert popped.out_features == 1 and "a" not in heads and len(heads) == 1


@pytest.mark.parametrize("action, error, words", [
    (lambda heads: heads["c"], KeyError, r"no module named 'c' in this ModuleDict; its keys are \['a', 'b'\]"),
    (lambda heads: heads.pop("c"), KeyError, "no module named 'c'"),
    (lambda heads: heads.update(3), TypeError, "expects a mapping or \\(name, module\\) pairs, got int"),
    (lambda heads: heads.update([("c",)]), ValueError, r"element 0 should be a \(name, module\) pair, got \('c',\)"),
    (lambda heads: heads.update(["cd"]), ValueError, "element 0 should be a"),
    (lambda heads: heads.__setitem__("c.d", nn.ReLU()), KeyError, "contain no '.'"),
    (lambda heads: heads.__setitem__("keys", nn.ReLU()), KeyError, "already has an attribute"),
    (lambda heads: heads.__setitem__("c", 3), TypeError, "int is not a Module subclass"),
])
def test_dict_misuse_is_reported_and_changes_nothing(action, error, words):
    heads = two_heads(nn)
    before = described(heads)
    with pytest.raises(error, match=words):
        action(heads)
    assert described(heads) == before


def test_pytorch_also_refuses_a_key_that_names_a_method(torch):
    with pytest.raises(KeyError):
        torch.nn.ModuleDict({"keys": torch.nn.ReLU()})


# A model built from both, exchanged with PyTorch -----------------------------------------


def tower(f, dtype):
    """Blocks in a ModuleList, heads in a ModuleDict, built with the edits both share."""

    class Tower(f.Module):
        def __init__(self):
            super().__init__()
            self.blocks = f.ModuleList([f.Linear(4, 6, dtype=dtype), f.Linear(6, 5, dtype=dtype)])
            self.blocks.insert(1, f.BatchNorm1d(6, dtype=dtype))
            self.blocks += [f.Linear(5, 4, dtype=dtype)]
            self.heads = f.ModuleDict({"digit": f.Linear(4, 10, dtype=dtype)})
            self.heads["parity"] = f.Linear(4, 2, dtype=dtype)

        def forward(self, x):
            for block in self.blocks:
                x = block(x).tanh()
            return [head(x) for head in self.heads.values()]

    return Tower()


def test_state_dict_keys_match_pytorch(torch):
    ours, theirs = tower(nn, "float32"), tower(torch.nn, torch.float32)
    assert described(ours)[0] == described(theirs)[0]  # (our BatchNorm1d's repr also shows its impl)
    assert list(ours.state_dict())[:6] == [
        "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
        "blocks.1.running_mean", "blocks.1.running_var",
    ]


@pytest.mark.parametrize("dtype, tolerance", [("float32", 1e-5), ("float64", 1e-12)])
def test_pytorch_state_dict_as_numpy_loads_and_gives_the_same_outputs(torch, dtype, tolerance):
    torch.manual_seed(0)
    theirs = tower(torch.nn, getattr(torch, dtype))
    theirs(3 * torch.randn(8, 4, dtype=getattr(torch, dtype)) + 1)  # move the running statistics
    ours = tower(nn, dtype)
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    x = numpy.random.default_rng(1).standard_normal((5, 4)).astype(dtype)
    for mode in (True, False):
        ours.train(mode)
        theirs.train(mode)
        for mine, expected in zip(ours(Tensor(x)), theirs(torch.from_numpy(x)), strict=True):
            numpy.testing.assert_allclose(mine.numpy(), expected.detach().numpy(), rtol=tolerance, atol=tolerance)
