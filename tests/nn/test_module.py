"""Module and Parameter: registration, traversal, modes, state dicts (and their
exchange with PyTorch)."""

from __future__ import annotations

import copy
import re
from collections import OrderedDict

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn


class Block(nn.Module):
    """A parameter, a persistent and a non-persistent buffer, two sub-modules."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(tg.ones(3))
        self.register_buffer("count", tg.zeros((), dtype="int64"))
        self.register_buffer("scratch", tg.zeros(3), persistent=False)
        self.inner = nn.Linear(3, 2)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.inner(x * self.scale))


def test_members_are_registered_in_assignment_order():
    block = Block()
    assert [name for name, _ in block.named_parameters()] == ["scale", "inner.weight", "inner.bias"]
    assert [name for name, _ in block.named_buffers()] == ["count", "scratch"]
    assert [name for name, _ in block.named_children()] == ["inner", "act"]
    assert [name for name, _ in block.named_modules()] == ["", "inner", "act"]
    assert list(block.state_dict()) == ["scale", "count", "inner.weight", "inner.bias"]


def test_parameter_is_a_tensor_that_ops_accept():
    weight = nn.Parameter(tg.ones(2, 2))
    assert isinstance(weight, Tensor) and weight.requires_grad and weight.is_leaf
    (weight @ tg.ones(2, 1)).sum().backward()
    numpy.testing.assert_array_equal(weight.grad.numpy(), numpy.ones((2, 2)))
    frozen = nn.Parameter(tg.ones(2), requires_grad=False)
    assert not frozen.requires_grad
    assert repr(weight).startswith("Parameter containing:\nTensor(")


def test_shared_parameter_is_listed_once_but_saved_under_every_name():
    first = nn.Linear(2, 2)
    second = nn.Linear(2, 2)
    second.weight = first.weight
    model = nn.Sequential(first, second)
    assert len(list(model.parameters())) == 3
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_reassigning_a_member_keeps_its_place_and_none_empties_it():
    layer = nn.Linear(2, 3)
    layer.weight = nn.Parameter(tg.zeros(3, 2))
    layer.bias = None
    assert list(layer.state_dict()) == ["weight"]
    layer.bias = nn.Parameter(tg.zeros(3))
    assert list(layer.state_dict()) == ["weight", "bias"]
    del layer.bias
    assert [name for name, _ in layer.named_parameters()] == ["weight"]


def test_register_module_adds_a_child_as_in_pytorch(torch):
    ours, theirs = nn.Sequential(nn.Linear(2, 2)), torch.nn.Sequential(torch.nn.Linear(2, 2))
    for model, lib in ((ours, nn), (theirs, torch.nn)):
        model.register_module("head", lib.Linear(2, 1))
        model.register_module("empty", None)
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    "action, error, words",
    [
        (lambda m: setattr(m.inner, "weight", tg.zeros(2, 3)), TypeError, "Parameter or None"),
        (lambda m: m.register_buffer("bad", numpy.zeros(2)), TypeError, "ndarray"),
        (lambda m: m.register_buffer("a.b", tg.zeros(2)), KeyError, "'.'"),
        (lambda m: m.register_buffer("forward", tg.zeros(2)), KeyError, "already has an attribute"),
        (lambda m: m.add_module("child", "not a module"), TypeError, "not a Module"),
        (lambda m: m.register_module("child", 3), TypeError, "not a Module"),
        (lambda m: m.train("no"), TypeError, "bool"),
        (lambda m: m.missing, AttributeError, "'missing'"),
    ],
)
def test_misuse_is_reported(action, error, words):
    with pytest.raises(error, match=words):
        action(Block())


def test_assignment_before_init_is_reported():
    class Forgetful(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(tg.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Forgetful()


def test_train_and_eval_reach_every_module():
    model = nn.Sequential(Block(), nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(2)))
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    model[1].train()
    assert [m.training for m in model.modules()] == [False, False, False, False, True, True, True]


def test_zero_grad_forgets_gradients():
    block = Block()
    block(tg.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())


@pytest.mark.parametrize("target", ["", "0", "0.inner", "1"])
def test_requires_grad_freezes_a_sub_module_and_unfreezes_it(target):
    model = nn.Sequential(Block(), nn.Linear(2, 2))
    part = model.get_submodule(target)
    assert part.requires_grad_(False) is part
    frozen = {name for name, _ in part.named_parameters(prefix=target)}
    assert frozen
    model(tg.randn(4, 3, requires_grad=True)).sum().backward()
    every = [name for name, _ in model.named_parameters()]
    assert [name for name, p in model.named_parameters() if p.requires_grad] == [n for n in every if n not in frozen]
    assert [name for name, p in model.named_parameters() if p.grad is not None] == [n for n in every if n not in frozen]
    assert model.requires_grad_() is model
    assert all(p.requires_grad for p in model.parameters())


def nested(framework):
    return framework.Sequential(framework.Linear(2, 3), framework.Sequential(OrderedDict(
        act=framework.ReLU(), out=framework.Sequential(framework.Linear(3, 1)),
    )))


@pytest.mark.parametrize("target", ["", "0", "1", "1.act", "1.out", "1.out.0"])
def test_get_submodule_finds_what_pytorch_finds(torch, target):
    assert repr(nested(nn).get_submodule(target)) == repr(nested(torch.nn).get_submodule(target))
    model = nested(nn)
    assert model.get_submodule(target) is dict(model.named_modules())[target]


@pytest.mark.parametrize("target, words", [
    ("2", "get_submodule('2'): Sequential has no sub-module '2'; its sub-modules are '0', '1'"),
    ("1.out.1", "Sequential at '1.out' has no sub-module '1'; its sub-modules are '0'"),
    ("0.weight", "Linear at '0' has no sub-module 'weight'; its sub-modules are none"),
    ("1..act", "Sequential at '1' has no sub-module ''"),
])
def test_get_submodule_says_where_the_path_breaks_off(torch, target, words):
    with pytest.raises(AttributeError, match=re.escape(words)):
        nested(nn).get_submodule(target)
    with pytest.raises(AttributeError):
        nested(torch.nn).get_submodule(target)


def test_apply_visits_children_first():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_to_casts_floating_members_in_place_and_keeps_integers():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    weight = model[0].weight
    model.to(dtype="float64")
    assert model[0].weight is weight and weight.dtype == numpy.float64
    assert model[1].running_var.dtype == numpy.float64
    assert model[1].num_batches_tracked.dtype == numpy.int64


# Loading state dicts ----------------------------------------------------------------


def test_load_copies_in_place_keeping_dtype():
    block = Block()
    weight_array = block.inner.weight._data
    values = {key: numpy.full(t.shape, 7, dtype=numpy.float64) for key, t in block.state_dict().items()}
    block.load_state_dict(values)
    assert block.inner.weight._data is weight_array
    assert block.inner.weight.dtype == numpy.float32 and block.count.dtype == numpy.int64
    numpy.testing.assert_array_equal(block.inner.weight.numpy(), numpy.full((2, 3), 7.0))
    assert block.count.item() == 7


def test_load_accepts_tensors_from_another_model():
    source, target = Block(), Block()
    target.load_state_dict(source.state_dict())
    x = tg.randn(5, 3)
    numpy.testing.assert_array_equal(source(x).numpy(), target(x).numpy())


def test_strict_load_lists_missing_and_unexpected_keys():
    block = Block()
    state = block.state_dict()
    del state["inner.bias"]
    state["inner.gain"] = numpy.ones(2)
    listed = r'Missing key\(s\) in state_dict: "inner\.bias"\. \n\tUnexpected key\(s\) in state_dict: "inner\.gain"\.'
    with pytest.raises(RuntimeError, match=listed):
        block.load_state_dict(state)
    result = block.load_state_dict(state, strict=False)
    assert result.missing_keys == ["inner.bias"] and result.unexpected_keys == ["inner.gain"]


def test_load_errors_and_result_read_as_pytorchs(torch):
    messages = []
    for framework in (torch, __import__("tinygrad_bn")):
        layer = framework.nn.Linear(3, 3)
        messages.append(repr(layer.load_state_dict(layer.state_dict())))
        with pytest.raises(RuntimeError) as error:
            layer.load_state_dict({"weight": framework.zeros(2, 3), "foo": framework.zeros(1)})
        message = str(error.value)
        messages.append(message.replace("torch.Size([2, 3])", "(2, 3)").replace("torch.Size([3, 3])", "(3, 3)"))
    assert messages[:2] == messages[2:]


def test_shape_mismatch_names_the_key_and_changes_nothing():
    block = Block()
    before = {key: t.numpy().copy() for key, t in block.state_dict().items()}
    state = {key: numpy.zeros(t.shape) for key, t in block.state_dict().items()}
    state["inner.weight"] = numpy.zeros((3, 2))
    with pytest.raises(RuntimeError, match=r"size mismatch for inner\.weight: .*\(3, 2\).*\(2, 3\)"):
        block.load_state_dict(state, strict=False)
    for key, t in block.state_dict().items():
        numpy.testing.assert_array_equal(t.numpy(), before[key])


# Exchange with PyTorch ----------------------------------------------------------------


def cnn(framework, **factory):
    """The same small CNN (conv, BN, pooling, an MLP head with BN) in either framework."""
    return framework.Sequential(
        framework.Conv2d(2, 4, 3, padding=1, **factory), framework.BatchNorm2d(4, **factory),
        framework.ReLU(), framework.MaxPool2d(2), framework.Flatten(),
        framework.Linear(4 * 3 * 3, 8, **factory), framework.BatchNorm1d(8, **factory),
        framework.Tanh(), framework.Linear(8, 3, **factory),
    )


def trained_a_little(model, make_input):
    """Run three training-mode forwards so the running statistics move away from 0 and 1."""
    for _ in range(3):
        model(make_input())
    return model


TOLERANCES = {"float32": 1e-5, "float64": 1e-11}


def test_state_dict_keys_match_pytorch(torch):
    assert list(cnn(nn).state_dict()) == list(cnn(torch.nn).state_dict())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pytorch_state_dict_as_numpy_loads_and_gives_the_same_outputs(torch, dtype):
    torch.manual_seed(0)
    theirs = trained_a_little(cnn(torch.nn, dtype=getattr(torch, dtype)),
                              lambda: 3 * torch.randn(5, 2, 6, 6, dtype=getattr(torch, dtype)) + 1)
    ours = cnn(nn, dtype=dtype)
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    x = numpy.random.default_rng(1).standard_normal((4, 2, 6, 6)).astype(dtype)
    for mode in (False, True):
        theirs.train(mode)
        ours.train(mode)
        expected = theirs(torch.from_numpy(x)).detach().numpy()
        numpy.testing.assert_allclose(ours(Tensor(x)).numpy(), expected, rtol=TOLERANCES[dtype],
                                      atol=TOLERANCES[dtype])


def test_our_state_dict_exports_to_pytorch(torch):
    tg.manual_seed(3)
    ours = trained_a_little(cnn(nn, dtype="float64"),
                            lambda: tg.randn(5, 2, 6, 6, dtype="float64") * 2.0 - 1.0).eval()
    theirs = cnn(torch.nn, dtype=torch.float64).eval()
    theirs.load_state_dict({key: torch.from_numpy(t.numpy()) for key, t in ours.state_dict().items()})
    x = numpy.random.default_rng(2).standard_normal((4, 2, 6, 6))
    numpy.testing.assert_allclose(ours(Tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                                  rtol=1e-11, atol=1e-11)


def test_repr_reads_like_pytorch(torch):
    def model(framework):
        return framework.Sequential(OrderedDict(
            conv=framework.Conv2d(1, 2, 3, stride=2, bias=False), flat=framework.Flatten(),
            body=framework.Sequential(framework.Linear(8, 4), framework.Sigmoid()),
        ))

    assert repr(model(nn)) == repr(model(torch.nn))


def test_deepcopy_gives_an_independent_model():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    twin = copy.deepcopy(model)
    x = tg.randn(4, 2)
    numpy.testing.assert_array_equal(twin(x).numpy(), model(x).numpy())
    assert isinstance(twin[0].weight, nn.Parameter) and twin[0].weight.requires_grad
    twin[0].weight._data[...] = 0
    assert model[0].weight.numpy().any()


def _deepcopies(framework):
    """What deepcopy keeps of parameters with gradients, and of a plain tensor's."""
    model = framework.nn.Linear(2, 1)
    model(framework.ones(1, 2)).sum().backward()
    frozen = framework.nn.Parameter(framework.ones(2), requires_grad=False)
    plain = framework.ones(2, requires_grad=True)
    (plain * 2).sum().backward()
    twin, frozen_twin, plain_twin = (copy.deepcopy(item) for item in (model, frozen, plain))
    return [twin.weight.grad is None, type(twin.weight).__name__, twin.weight.requires_grad,
            frozen_twin.requires_grad, plain_twin.grad is None, plain_twin.requires_grad]


def test_deepcopy_of_a_parameter_drops_its_grad_as_pytorchs(torch):
    assert _deepcopies(tg) == _deepcopies(torch)


def _members_and_errors(framework):
    nn_ = framework.nn
    model = nn_.Sequential(nn_.Linear(2, 3), nn_.BatchNorm1d(3))
    found = [tuple(model.get_parameter("0.weight").shape), tuple(model.get_buffer("1.running_mean").shape)]
    calls = [lambda: model.get_parameter("0.nope"), lambda: model.get_parameter("1.running_mean"),
             lambda: model.get_buffer("0.weight"), lambda: model.get_buffer("1.nope"),
             lambda: model.set_submodule("1", 3), lambda: model.set_submodule("", nn_.ReLU()),
             lambda: model.set_submodule("7", nn_.ReLU(), strict=True)]
    for call in calls:
        try:
            call()
        except (AttributeError, ValueError) as error:
            found.append((type(error).__name__, str(error)))
    model.set_submodule("5", nn_.ReLU())
    model.set_submodule("0.extra", nn_.Tanh())
    model.set_submodule("1", nn_.Identity(), strict=True)
    found.append([(name, type(module).__name__) for name, module in model.named_modules()])
    return found


def test_get_parameter_get_buffer_and_set_submodule_are_pytorchs(torch):
    import tinygrad_bn

    assert _members_and_errors(tinygrad_bn) == _members_and_errors(torch)


def test_shared_members_are_listed_per_name_without_remove_duplicate(torch):
    def build(lib):
        lib.manual_seed(0)
        shared = lib.nn.Linear(2, 2)
        model = lib.nn.Sequential(shared, lib.nn.BatchNorm1d(2), shared)
        model.register_buffer("alias", model[1].running_mean)
        return model

    ours, theirs = build(tg), build(torch)
    for remove_duplicate in (True, False):
        for method in ("named_parameters", "named_buffers"):
            assert [n for n, _ in getattr(ours, method)(remove_duplicate=remove_duplicate)] == \
                [n for n, _ in getattr(theirs, method)(remove_duplicate=remove_duplicate)]
        assert [n for n, _ in ours.named_parameters("m", False, remove_duplicate)] == \
            [n for n, _ in theirs.named_parameters("m", False, remove_duplicate)]


def test_load_results_print_as_pytorchs(torch):
    ours, theirs = nn.Linear(2, 1), torch.nn.Linear(2, 1)
    state = {"weight": numpy.zeros((1, 2), dtype=numpy.float32), "extra": numpy.ones(1, dtype=numpy.float32)}
    got = ours.load_state_dict({k: tg.tensor(v) for k, v in state.items()}, strict=False)
    expected = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert repr(got) == repr(expected)
    assert got.missing_keys == expected.missing_keys and got == tuple(expected)
    full = {"weight": numpy.zeros((1, 2), dtype=numpy.float32), "bias": numpy.zeros(1, dtype=numpy.float32)}
    assert repr(ours.load_state_dict({k: tg.tensor(v) for k, v in full.items()})) == \
        repr(theirs.load_state_dict({k: torch.tensor(v) for k, v in full.items()}))
