"""State dicts made and loaded module by module, as PyTorch does: ``_metadata``
versions, the four kinds of hooks, ``assign``, extra state, and the checkpoints
of older layouts (BatchNorm without its counter, the hook-based weight norm, a
BatchNorm checkpoint loaded into FrozenBatchNorm2d)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn


def _model(namespace):
    return namespace.Sequential(
        namespace.Linear(3, 4), namespace.BatchNorm1d(4), namespace.ReLU(),
        namespace.Sequential(namespace.Linear(4, 2, bias=False)),
    )


def _same_weights(ours, theirs):
    ours.load_state_dict({key: value.detach().numpy() for key, value in theirs.state_dict().items()})


def test_metadata_holds_each_modules_version_as_pytorchs(torch):
    ours, theirs = _model(nn), _model(torch.nn)
    assert ours.state_dict()._metadata == theirs.state_dict()._metadata
    assert ours.state_dict(prefix="model.")._metadata == theirs.state_dict(prefix="model.")._metadata


@pytest.mark.parametrize("kind", ["state_dict", "load_state_dict"])
def test_hooks_are_called_with_the_arguments_and_in_the_order_of_pytorchs(kind, torch):
    calls = {}
    for namespace in (nn, torch.nn):
        model, seen = _model(namespace), calls.setdefault(namespace.__name__, [])
        for module in model.modules():
            name = type(module).__name__
            if kind == "state_dict":
                module.register_state_dict_pre_hook(
                    lambda m, prefix, keep_vars, name=name, seen=seen: seen.append(("pre", name, prefix, keep_vars)))
                module.register_state_dict_post_hook(
                    lambda m, state, prefix, meta, name=name, seen=seen:
                    seen.append(("post", name, prefix, list(state), meta)))
            else:
                module.register_load_state_dict_pre_hook(
                    lambda m, state, prefix, meta, strict, missing, unexpected, errors, name=name, seen=seen:
                    seen.append(("pre", name, prefix, sorted(state), meta, strict, list(missing), list(unexpected))))
                module.register_load_state_dict_post_hook(
                    lambda m, keys, name=name, seen=seen: seen.append(("post", name, list(keys.missing_keys),
                                                                       list(keys.unexpected_keys))))
        if kind == "state_dict":
            model.state_dict(keep_vars=True)
        else:
            state = {key: value.detach().numpy() for key, value in _model(torch.nn).state_dict().items()}
            state["3.extra"] = state.pop("1.running_var")
            if namespace is torch.nn:
                state = {key: torch.from_numpy(np.asarray(value)) for key, value in state.items()}
            model.load_state_dict(state, strict=False)
    assert calls["tinygrad_bn.nn"] == calls["torch.nn"]


def test_a_load_pre_hook_renames_keys_and_a_post_hook_forgives_missing_ones(torch):
    results = {}
    for namespace in (nn, torch.nn):
        model = _model(namespace)
        state = {("first." + key[2:] if key.startswith("0.") else key): value.detach().numpy()
                 for key, value in model.state_dict().items()}
        del state["1.running_mean"]

        def rename(module, state_dict, prefix, *_):
            for key in [k for k in state_dict if k.startswith("first.")]:
                state_dict["0." + key[len("first."):]] = state_dict.pop(key)

        def forgive(module, keys):
            keys.missing_keys[:] = [key for key in keys.missing_keys if not key.endswith("running_mean")]

        model.register_load_state_dict_pre_hook(rename)
        model.register_load_state_dict_post_hook(forgive)
        if namespace is torch.nn:
            state = {key: torch.from_numpy(value) for key, value in state.items()}
        results[namespace.__name__] = model.load_state_dict(state)  # strict: passes once the hooks have run
    assert tuple(results["tinygrad_bn.nn"]) == tuple(results["torch.nn"]) == ([], [])


def test_the_older_hooks_take_their_older_arguments():
    model, seen = nn.Linear(2, 2), []
    model._register_load_state_dict_pre_hook(lambda state, prefix, *rest: seen.append(("without", prefix)))
    model._register_load_state_dict_pre_hook(lambda module, state, prefix, *rest: seen.append((module, prefix)),
                                             with_module=True)
    model._register_state_dict_hook(lambda module, state, prefix, meta: {"replaced": 1})
    assert model.state_dict() == {"replaced": 1}
    model.load_state_dict({"weight": np.eye(2), "bias": np.zeros(2)})
    assert seen == [("without", ""), (model, "")]


def test_a_post_hook_that_returns_something_is_refused(torch):
    for namespace in (nn, torch.nn):
        model = namespace.Linear(2, 2)
        model.register_load_state_dict_post_hook(lambda module, keys: "something")
        with pytest.raises((RuntimeError, AssertionError)):
            model.load_state_dict(model.state_dict())
    with pytest.raises(RuntimeError, match="must return None"):
        layer = nn.Linear(2, 2)
        layer.register_state_dict_post_hook(lambda *args: {})
        layer.state_dict()


def test_handles_remove_the_hooks():
    model, seen = nn.Linear(2, 2), []
    handle = model.register_state_dict_pre_hook(lambda *args: seen.append(1))
    model.state_dict()
    handle.remove()
    model.state_dict()
    assert seen == [1]


def test_unexpected_keys_are_listed_in_pytorchs_order(torch):
    found = {}
    for namespace in (nn, torch.nn):
        model = _model(namespace)
        state = {"3.0.nothing": np.zeros(1), "zeta": np.zeros(1), "1.alpha.beta": np.zeros(1), "9.weight": np.zeros(1),
                 "0.bias.more": np.zeros(1)}
        if namespace is torch.nn:
            state = {key: torch.zeros(1) for key in state}
        found[namespace.__name__] = model.load_state_dict(state, strict=False)
    ours, theirs = found["tinygrad_bn.nn"], found["torch.nn"]
    assert ours.missing_keys == theirs.missing_keys and ours.unexpected_keys == theirs.unexpected_keys


def test_assign_puts_the_checkpoints_tensors_in_place(torch):
    layer = nn.Linear(2, 3)
    layer.weight.requires_grad_(False)
    weight, bias = nn.Parameter(tg.ones(3, 2)), tg.zeros(3)
    layer.load_state_dict({"weight": weight, "bias": bias}, assign=True)
    assert layer.weight is weight and not layer.weight.requires_grad  # requires_grad as the one replaced
    assert isinstance(layer.bias, nn.Parameter) and layer.bias.requires_grad
    assert layer.bias is not bias and np.shares_memory(layer.bias.numpy(), bias.numpy())
    theirs = torch.nn.Linear(2, 3)
    theirs.weight.requires_grad_(False)
    t_weight = torch.nn.Parameter(torch.ones(3, 2))
    theirs.load_state_dict({"weight": t_weight, "bias": torch.zeros(3)}, assign=True)
    assert theirs.weight is t_weight and not theirs.weight.requires_grad and theirs.bias.requires_grad


def test_a_failed_load_changes_nothing_even_with_assign():
    layer = nn.Linear(2, 3)
    before = layer.weight
    with pytest.raises(RuntimeError, match="size mismatch for bias"):
        layer.load_state_dict({"weight": tg.ones(3, 2), "bias": tg.zeros(4)}, assign=True)
    assert layer.weight is before and not np.all(layer.weight.numpy() == 1)


class _Counted(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(tg.ones(2))
        self.calls = 0

    def get_extra_state(self):
        return {"calls": self.calls}

    def set_extra_state(self, state):
        self.calls = state["calls"]


def test_extra_state_goes_into_the_state_dict_and_back():
    source, target = _Counted(), _Counted()
    source.calls = 7
    state = nn.Sequential(source).state_dict()
    assert list(state) == ["0.scale", "0._extra_state"]
    model = nn.Sequential(target)
    model.load_state_dict(state)
    assert target.calls == 7
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0._extra_state"'):
        model.load_state_dict({"0.scale": np.ones(2)})


@pytest.mark.parametrize("layer", ["BatchNorm1d", "InstanceNorm1d"])
def test_a_checkpoint_without_the_batch_counter_loads_as_in_pytorch(layer, torch):
    counters = {}
    for namespace in (nn, torch.nn):
        options = {"track_running_stats": True} if layer.startswith("Instance") else {}
        norm = getattr(namespace, layer)(3, **options)
        if layer.startswith("Batch"):
            for _ in range(2):
                norm(namespace.Identity()(tg.randn(4, 3) if namespace is nn else torch.randn(4, 3)))
        state = {key: value.detach().numpy() for key, value in norm.state_dict().items()
                 if key != "num_batches_tracked"}
        if namespace is torch.nn:
            state = {key: torch.from_numpy(value) for key, value in state.items()}
        assert tuple(norm.load_state_dict(state)) == ([], [])  # strict, with no _metadata: version None
        counters[namespace.__name__] = int(norm.num_batches_tracked)
    assert counters["tinygrad_bn.nn"] == counters["torch.nn"]


def test_a_checkpoint_of_version_2_must_have_the_counter(torch):
    for namespace in (nn, torch.nn):
        norm = namespace.BatchNorm1d(3)
        state = norm.state_dict()
        del state["num_batches_tracked"]
        with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
            norm.load_state_dict(state)


def test_a_batchnorm_checkpoint_loads_into_frozen_batchnorm_anywhere_in_a_model():
    trained = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    trained(tg.randn(2, 3, 5, 5))
    frozen = nn.Sequential(nn.Conv2d(3, 4, 3), nn.FrozenBatchNorm2d(4))
    assert tuple(frozen.load_state_dict(trained.state_dict())) == ([], [])
    np.testing.assert_array_equal(frozen[1].running_mean.numpy(), trained[1].running_mean.numpy())


def test_an_older_weight_norm_checkpoint_loads_into_the_parametrized_one(torch):
    tg.manual_seed(0)
    with pytest.warns(FutureWarning):
        older = nn.utils.weight_norm(nn.Linear(3, 2))
    newer = nn.Sequential(nn.utils.parametrizations.weight_norm(nn.Linear(3, 2)))
    newer.load_state_dict({f"0.{key}": value for key, value in older.state_dict().items()})
    x = tg.randn(4, 3)
    np.testing.assert_allclose(newer(x).numpy(), older(x).numpy(), rtol=1e-6, atol=1e-7)
    theirs = torch.nn.Sequential(torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2)))
    theirs.load_state_dict({f"0.{key}": torch.from_numpy(value.numpy()) for key, value in older.state_dict().items()})
    np.testing.assert_allclose(theirs(torch.from_numpy(x.numpy())).detach().numpy(), older(x).numpy(), rtol=1e-6,
                               atol=1e-7)


def test_positional_arguments_are_pytorchs_older_order(torch):
    for namespace in (nn, torch.nn):
        layer = namespace.Linear(2, 2)
        with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
            state = layer.state_dict(None, "layer.")
        assert list(state) == ["layer.weight", "layer.bias"]


def test_a_state_dict_that_is_not_a_mapping_is_refused_as_in_pytorch(torch):
    for namespace in (nn, torch.nn):
        with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>"):
            namespace.Linear(2, 2).load_state_dict([("weight", 1)])
