"""SparseAdam, and the sparse-gradient rules of SGD and Adam, against PyTorch: a skip-gram
loop (two sparse embeddings with SparseAdam, a dense head with Adam) trained side by side,
the refusals PyTorch makes, the state and the strict device."""

from __future__ import annotations

import numpy
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim

WORDS, DIM, STEPS = 12, 4, 6


def batches(steps=STEPS, seed=0):
    """(centers, contexts, negatives) per step: a few words each, some twice, most of the
    vocabulary left out of each step (rows a dense Adam would move, SparseAdam must not)."""
    rng = numpy.random.default_rng(seed)
    return [(rng.integers(0, WORDS, 3), rng.integers(0, WORDS, 3), rng.integers(0, WORDS, (3, 2)))
            for _ in range(steps)]


class SkipGram:
    """Center and context tables with ``sparse=True``, and a dense scale per word pair
    (a Linear on the dot products), in either framework."""

    def __init__(self, framework, dtype, padding_idx=None):
        self.fw = framework
        self.centers = framework.nn.Embedding(WORDS, DIM, sparse=True, dtype=dtype)
        self.contexts = framework.nn.Embedding(WORDS, DIM, sparse=True, padding_idx=padding_idx, dtype=dtype)
        self.head = framework.nn.Linear(1, 1, dtype=dtype)

    def load(self, other):
        """Take ``other``'s (a PyTorch SkipGram's) parameters."""
        for name in ("centers", "contexts", "head"):
            state = {key: value.detach().numpy() for key, value in getattr(other, name).state_dict().items()}
            getattr(self, name).load_state_dict(state)

    def loss(self, centers, contexts, negatives):
        fw, logsigmoid = self.fw, self.fw.nn.functional.logsigmoid
        c = self.centers(fw.tensor(centers))
        positive = (c * self.contexts(fw.tensor(contexts))).sum(-1, keepdim=True)
        negative = (c[:, None] * self.contexts(fw.tensor(negatives))).sum(-1, keepdim=True)
        return -(logsigmoid(self.head(positive)).mean() + logsigmoid(-self.head(negative)).mean())


def train(framework, dtype, sparse_kwargs, steps=STEPS, padding_idx=None, reference=None, set_to_none=True):
    """The skip-gram trained ``steps`` steps: SparseAdam on the tables, Adam on the head."""
    if reference is None:
        framework.manual_seed(0)
    model = SkipGram(framework, dtype, padding_idx)
    if reference is not None:
        model.load(reference)
    tables = [model.centers.weight, model.contexts.weight]
    sparse = framework.optim.SparseAdam(tables, **sparse_kwargs)
    dense = framework.optim.Adam(model.head.parameters(), lr=0.05)
    for batch in batches(steps):
        sparse.zero_grad(set_to_none=set_to_none)
        dense.zero_grad()
        model.loss(*batch).backward()
        sparse.step()
        dense.step()
    return model, sparse


def numbers(model, sparse):
    """The parameters and SparseAdam's state, as NumPy arrays."""
    values = {name: p.detach().numpy() for name, p in (
        ("centers", model.centers.weight), ("contexts", model.contexts.weight),
        ("head.weight", model.head.weight), ("head.bias", model.head.bias))}
    for name, p in (("centers", model.centers.weight), ("contexts", model.contexts.weight)):
        for key in ("exp_avg", "exp_avg_sq"):
            values[f"{name}.{key}"] = sparse.state[p][key].detach().numpy()
    return values


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sparse_kwargs, padding_idx, set_to_none", [
    ({"lr": 0.1}, None, True),
    ({"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}, 3, True),
    ({"lr": 0.1, "maximize": True}, None, True),
    ({"lr": 0.1}, None, False),
], ids=["defaults", "betas-eps-padding", "maximize", "zero_grad-in-place"])
def test_a_skip_gram_loop_trains_as_in_pytorch(sparse_kwargs, padding_idx, set_to_none, dtype, torch):
    their_dtype = getattr(torch, dtype)
    theirs, their_optimizer = train(torch, their_dtype, sparse_kwargs, padding_idx=padding_idx,
                                    set_to_none=set_to_none)
    torch.manual_seed(0)
    start = SkipGram(torch, their_dtype, padding_idx)
    ours, our_optimizer = train(tg, dtype, sparse_kwargs, padding_idx=padding_idx, reference=start,
                                set_to_none=set_to_none)
    tolerance = 2e-6 if dtype == "float32" else 1e-13
    theirs_numbers, ours_numbers = numbers(theirs, their_optimizer), numbers(ours, our_optimizer)
    for name, value in theirs_numbers.items():
        numpy.testing.assert_allclose(ours_numbers[name], value, rtol=tolerance, atol=tolerance, err_msg=name)
    assert our_optimizer.state[ours.centers.weight]["step"] == their_optimizer.state[theirs.centers.weight]["step"]


def test_rows_no_step_looked_up_keep_their_weights_and_moments(torch):
    torch.manual_seed(0)
    start = SkipGram(torch, torch.float32)
    before = start.centers.weight.detach().numpy().copy()
    model, optimizer = train(tg, "float32", {"lr": 0.1}, reference=start)
    seen = numpy.unique(numpy.concatenate([centers for centers, _, _ in batches()]))
    unseen = numpy.setdiff1d(numpy.arange(WORDS), seen)
    assert unseen.size and seen.size
    after = model.centers.weight.numpy()
    numpy.testing.assert_array_equal(after[unseen], before[unseen])
    assert (after[seen] != before[seen]).all()
    assert not optimizer.state[model.centers.weight]["exp_avg"].numpy()[unseen].any()


def test_the_state_dict_is_pytorchs(torch):
    seen = []
    for framework, dtype in ((tg, "float32"), (torch, torch.float32)):
        model, optimizer = train(framework, dtype, {"lr": 0.1}, steps=2)
        state = optimizer.state_dict()
        seen.append((state["param_groups"], {i: (s["step"], type(s["step"]), sorted(s)) for i, s in
                                             state["state"].items()}))
    assert seen[0] == seen[1]


def test_a_saved_state_resumes(torch):
    model, optimizer = train(tg, "float64", {"lr": 0.1}, steps=2)
    resumed = optim.SparseAdam([model.centers.weight, model.contexts.weight], lr=0.1)
    resumed.load_state_dict(optimizer.state_dict())
    state = resumed.state[model.centers.weight]
    assert state["step"] == 2
    numpy.testing.assert_array_equal(state["exp_avg"].numpy(), optimizer.state[model.centers.weight]["exp_avg"].numpy())


def _dense_gradient(framework):
    layer = framework.nn.Linear(2, 2)
    layer(framework.ones(1, 2)).sum().backward()
    return layer


def _sparse_gradient(framework):
    table = framework.nn.Embedding(5, 2, sparse=True)
    table(framework.tensor([1, 3, 1])).sum().backward()
    return table


@pytest.mark.parametrize("make, build, words", [
    (_dense_gradient, lambda fw, params: fw.optim.SparseAdam(params),
     "SparseAdam does not support dense gradients, please consider Adam instead"),
    (_sparse_gradient, lambda fw, params: fw.optim.Adam(params),
     "Adam does not support sparse gradients, please consider SparseAdam instead"),
    (_sparse_gradient, lambda fw, params: fw.optim.AdamW(params),
     "Adam does not support sparse gradients, please consider SparseAdam instead"),
    *[(_sparse_gradient, lambda fw, params, name=name: getattr(fw.optim, name)(params, lr=0.1),
       f"{name} does not support sparse gradients")
      for name in ("RMSprop", "Adamax", "NAdam", "RAdam", "Adadelta", "ASGD", "Rprop")],
], ids=["SparseAdam-dense", "Adam-sparse", "AdamW-sparse", "RMSprop", "Adamax", "NAdam", "RAdam", "Adadelta", "ASGD",
        "Rprop"])
def test_the_wrong_kind_of_gradient_is_refused_as_in_pytorch(make, build, words, torch):
    for framework in (tg, torch):
        optimizer = build(framework, make(framework).parameters())
        with pytest.raises(RuntimeError, match=words):
            optimizer.step()


@pytest.mark.parametrize("kwargs, words", [
    ({"lr": -1.0}, "Invalid learning rate: -1.0"),
    ({"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ({"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
    ({"betas": (0.9, -0.1)}, r"Invalid beta parameter at index 1: -0.1"),
])
def test_bad_hyper_parameters_are_refused_as_in_pytorch(kwargs, words, torch):
    for framework in (tg, torch):
        with pytest.raises(ValueError, match=words):
            framework.optim.SparseAdam(framework.nn.Embedding(3, 2, sparse=True).parameters(), **kwargs)


@pytest.mark.parametrize("kwargs", [
    {}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}, {"momentum": 0.9, "dampening": 0.5},
    {"momentum": 0.5, "maximize": True},
])
def test_sgd_takes_sparse_gradients_as_pytorch(kwargs, torch):
    weights = []
    for framework, dtype in ((torch, torch.float64), (tg, "float64")):
        table = framework.nn.Embedding(WORDS, DIM, sparse=True, dtype=dtype)
        if framework is torch:
            torch.manual_seed(0)
            torch.nn.init.normal_(table.weight)
            start = table.weight.detach().numpy().copy()
        else:
            table.load_state_dict({"weight": start})
        optimizer = framework.optim.SGD(table.parameters(), lr=0.1, **kwargs)
        for centers, contexts, _ in batches():
            optimizer.zero_grad()
            (table(framework.tensor(centers)) * table(framework.tensor(contexts))).sum().backward()
            optimizer.step()
        weights.append(table.weight.detach().numpy())
    assert (weights[0] != start).any()
    numpy.testing.assert_allclose(weights[1], weights[0], rtol=1e-13, atol=1e-13)


def test_sgd_refuses_weight_decay_on_a_sparse_gradient_as_pytorch(torch):
    with pytest.raises(RuntimeError, match="add.sparse, dense. is not supported"):
        torch.optim.SGD(_sparse_gradient(torch).parameters(), lr=0.1, weight_decay=0.1).step()
    with pytest.raises(RuntimeError, match=r"SGD: weight_decay=0.1 does not work with a sparse gradient"):
        optim.SGD(_sparse_gradient(tg).parameters(), lr=0.1, weight_decay=0.1).step()


def test_weight_decay_in_another_group_works_as_in_pytorch(torch):
    start = numpy.random.default_rng(0).standard_normal((5, 2)).astype("float32")
    weights = []
    for framework in (torch, tg):
        table, head = _sparse_gradient(framework), _dense_gradient(framework)
        table.load_state_dict({"weight": framework.tensor(start)})
        groups = [{"params": table.parameters(), "weight_decay": 0.0}, {"params": head.parameters()}]
        framework.optim.SGD(groups, lr=0.1, weight_decay=0.1).step()
        weights.append(table.weight.detach().numpy())
    numpy.testing.assert_allclose(weights[1], weights[0], rtol=1e-6)  # PyTorch adds repeated lookups one by one
    assert (weights[1] != start).any()


def test_sparse_adam_runs_on_the_device(strict_cuda):
    tables = []
    for device in ("cpu", "cuda"):
        table = nn.Embedding(WORDS, DIM, sparse=True, padding_idx=0, dtype="float64", device=device)
        table.load_state_dict({"weight": numpy.random.default_rng(0).standard_normal((WORDS, DIM))})
        optimizer = optim.SparseAdam(table.parameters(), lr=0.1)
        for centers, contexts, _ in batches(3):
            optimizer.zero_grad()
            (table(tg.tensor(centers, device=device)) * table(tg.tensor(contexts, device=device))).sum().backward()
            assert table.weight.grad.is_sparse and table.weight.grad.device == device
            optimizer.step()
        assert optimizer.state[table.weight]["exp_avg"].device == device
        tables.append(table.weight.numpy())
    numpy.testing.assert_array_equal(tables[1], tables[0])


def test_a_functional_lookup_with_sparse_true_feeds_sparse_adam(torch):
    weights = []
    for framework in (torch, tg):
        weight = framework.tensor(numpy.arange(12.0).reshape(6, 2) / 10, requires_grad=True)
        optimizer = framework.optim.SparseAdam([weight], lr=0.1)
        for centers, _, _ in batches(3):
            optimizer.zero_grad()
            looked_up = framework.nn.functional.embedding(framework.tensor(centers % 6), weight, sparse=True)
            (looked_up**2).sum().backward()
            optimizer.step()
        weights.append(weight.detach().numpy())
    numpy.testing.assert_allclose(weights[1], weights[0], rtol=1e-13)
