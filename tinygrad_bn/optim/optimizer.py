"""`Optimizer`: parameter groups, per-parameter state, ``zero_grad`` and ``step``.

A subclass writes :meth:`Optimizer.update` for one parameter. Updates change
``param._data`` in place through the parameter's array namespace (``param.xp``),
so they run on the parameter's device, and never write into a gradient's array.
Each update bumps the parameter's version, so a backward through a graph recorded
before the step refuses to run (its saved weights are no longer the ones it used).

The state's buffers (``exp_avg``, ``momentum_buffer`` ...) are Tensors on the
parameter's device, as in PyTorch; :meth:`Optimizer.update` works on their arrays.
Counters in the state (``step``, and NAdam's ``mu_product``, ASGD's ``eta`` and
``mu``; a subclass names them in ``scalar_state``) are 0-d tensors on the host, as
PyTorch keeps them: float32 (float64 under a float64 default dtype), incremented in
place, so ``optimizer.state[p]["step"].item()`` works as in PyTorch and the float32
rounding of NAdam's and ASGD's counters is PyTorch's.
"""

from __future__ import annotations

import functools
from collections import defaultdict

import numpy

from tinygrad_bn.autograd import Tensor, enable_grad
from tinygrad_bn.autograd.hooks import Hooks, RemovableHandle, add_hook
from tinygrad_bn.autograd.version import bump
from tinygrad_bn.backend import get_backend
from tinygrad_bn.dtypes import float32, float64, get_default_dtype
from tinygrad_bn.ops import full
from tinygrad_bn.ops.inplace import clear_grad


class Optimizer:
    """Base class: ``params`` is an iterable of tensors, or of dicts (parameter
    groups) each with a ``"params"`` entry and its own hyper-parameters, which
    override ``defaults``."""

    scalar_state: tuple = ()  # the state's counters, kept as 0-d host tensors (see the module's docstring)
    tensor_state = True  # the state's buffers kept as Tensors (an optimizer with a step of its own may not)
    sparse_gradients = False  # whether it takes the gradient of an embedding with sparse=True, as in PyTorch

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:  # a subclass's own step runs the step hooks too
            cls.step = _with_step_hooks(cls.__dict__["step"])

    def __init__(self, params, defaults: dict, maximize: bool | None = None):
        """``maximize`` (given by the optimizers that take it, as PyTorch's do) joins the
        defaults: a group that maximizes steps along +∇ (its gradients negated first)."""
        self.defaults = dict(defaults) if maximize is None else {**defaults, "maximize": bool(maximize)}
        self.state = defaultdict(dict)  # a parameter's state is {} until its first step, as in PyTorch
        self.param_groups = []
        groups = [params] if isinstance(params, Tensor) else list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict):
        """Add a group of parameters, with hyper-parameters defaulting to the optimizer's.
        Other keys (a group's ``"name"``, say) are kept with it, as PyTorch keeps them."""
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for other in self.param_groups for p in other["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__} can't optimize a non-leaf tensor of shape {p.shape}")
            if id(p) in seen:
                raise ValueError("some parameters appear in more than one parameter group")
            seen.add(id(p))
        self.param_groups.append({**self.defaults, **group, "params": params})

    def zero_grad(self, set_to_none: bool = True):
        """Forget every parameter's gradient: set ``.grad`` to None, or with
        ``set_to_none=False`` fill it with zeros in place, as PyTorch does."""
        for group in self.param_groups:
            for p in group["params"]:
                clear_grad(p, set_to_none)

    def step(self, closure=None):
        """Update every parameter that has a gradient. ``closure``, as in PyTorch, is
        called first (with gradients enabled) to compute the loss and the gradients;
        its loss is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._check_sparse(group)
            for p in group["params"]:
                if p.grad is not None:
                    grad = -p.grad._data if group.get("maximize", False) else p.grad._data
                    state = self.state.setdefault(p, {})
                    arrays = {name: _array(value) if name not in self.scalar_state else value
                              for name, value in state.items()}
                    self.update(p, grad, group, arrays)
                    _keep_as_tensors(state, arrays, p)
                    bump(p)
        return loss

    def _check_sparse(self, group: dict):
        """Refuse a group with a sparse gradient (an embedding's with ``sparse=True``) before
        any of it is updated, unless this optimizer takes them (SGD, Adagrad, SparseAdam)."""
        if self.sparse_gradients:
            return
        for p in group["params"]:
            if p.grad is not None and p.grad.is_sparse:
                raise RuntimeError(
                    f"{self.sparse_refusal}: the parameter of shape {tuple(p.shape)} gets its gradient from an "
                    "embedding with sparse=True; give it to optim.SparseAdam (or SGD, Adagrad), or make the "
                    "embedding with sparse=False")

    @property
    def sparse_refusal(self) -> str:
        """PyTorch's words for refusing a sparse gradient."""
        return f"{type(self).__name__} does not support sparse gradients"

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before each :meth:`step`, ``args`` being the
        step's positional arguments with the optimizer first, as PyTorch passes them; it may
        return None or a pair ``(new_args, new_kwargs)`` that the step is then called with.

        >>> from tinygrad_bn import nn, ones, optim
        >>> model = nn.Linear(2, 1)
        >>> optimizer = optim.SGD(model.parameters(), lr=0.1)
        >>> calls = []
        >>> handle = optimizer.register_step_pre_hook(lambda opt, args, kwargs: calls.append("pre"))
        >>> _ = optimizer.register_step_post_hook(lambda opt, args, kwargs: calls.append("post"))
        >>> optimizer.step()
        >>> handle.remove()
        >>> optimizer.step()
        >>> calls
        ['pre', 'post', 'post']
        """
        return add_hook(_step_hooks(self, "pre"), hook)

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after each :meth:`step` (its result is ignored)."""
        return add_hook(_step_hooks(self, "post"), hook)

    def state_dict(self) -> dict:
        """The state in PyTorch's layout, parameters numbered in order across groups:
        ``{"state": {index: {name: value}}, "param_groups": [{...hyper-parameters, "params": [index, ...]}]}``.
        Arrays in the state are NumPy copies on the host, and counters such as ``step``
        NumPy scalars (``state["step"].item()`` works, as on PyTorch's tensor).

        >>> from tinygrad_bn import nn, ones, optim
        >>> model = nn.Linear(2, 1)
        >>> optimizer = optim.Adam(model.parameters(), lr=0.1)
        >>> model(ones(4, 2)).sum().backward()
        >>> optimizer.step()
        >>> state = optimizer.state_dict()
        >>> state["param_groups"][0]["params"], sorted(state["state"][1]), state["state"][1]["step"].item()
        ([0, 1], ['exp_avg', 'exp_avg_sq', 'step'], 1.0)
        """
        params = [p for group in self.param_groups for p in group["params"]]
        index = {id(p): i for i, p in enumerate(params)}
        state = {
            index[id(p)]: {name: _host_copy(p, value) for name, value in values.items()}
            for p, values in self.state.items()
        }
        groups = [{**group, "params": [index[id(p)] for p in group["params"]]} for group in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict):
        """Take the state and hyper-parameters of :meth:`state_dict` (ours, or PyTorch's,
        with its tensors as Tensors or NumPy arrays). Arrays are copied to each
        parameter's device and dtype; counters (``step`` ...) become 0-d host tensors,
        whether saved as tensors, NumPy scalars or numbers, keeping a float dtype they
        have. Group entries are taken as given, as PyTorch does (its own speed flags,
        such as ``foreach``, ride along unused), and an entry the saved group lacks
        takes this optimizer's default. ``maximize=True`` for an optimizer that does not take
        it (LBFGS) is refused.

        >>> from tinygrad_bn import nn, ones, optim
        >>> model = nn.Linear(2, 1)
        >>> optimizer = optim.Adam(model.parameters(), lr=0.1)
        >>> model(ones(4, 2)).sum().backward()
        >>> optimizer.step()
        >>> resumed = optim.Adam(model.parameters())
        >>> resumed.load_state_dict(optimizer.state_dict())
        >>> resumed.param_groups[0]["lr"], resumed.state[model.bias]["step"]
        (0.1, Tensor(1., dtype=float32))
        """
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: expected {len(self.param_groups)} parameter group(s), "
                f"got a state dict with {len(saved_groups)}"
            )
        param, groups = {}, []  # param: the state dict's index -> our parameter
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: expected {len(group['params'])} parameter(s) in group {i}, "
                    f"got a state dict with {len(saved['params'])}"
                )
            if saved.get("maximize", False) and "maximize" not in self.defaults:
                raise ValueError(
                    f"{name}.load_state_dict: group {i} asks for maximize=True, which {name} does not "
                    "take; negate the loss instead"
                )
            param.update(zip(saved["params"], group["params"]))
            missing = {key: value for key, value in self.defaults.items() if key not in saved}
            groups.append({**saved, **missing, "params": group["params"]})
        self.state = defaultdict(dict, {
            param[i]: {key: _state_value(param[i], value, key in self.scalar_state) for key, value in values.items()}
            for i, values in state_dict["state"].items()
        })
        if self.tensor_state:
            for p, values in self.state.items():
                _keep_as_tensors(values, dict(values), p)
        self.param_groups = groups

    def update(self, param: Tensor, grad, group: dict, state: dict):
        """Change ``param._data`` in place given its gradient array ``grad``
        (read-only), its group's hyper-parameters and its own ``state``."""
        raise NotImplementedError(f"{type(self).__name__} does not define update()")

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join(lines + [")"])


def _step_hooks(optimizer: Optimizer, kind: str) -> Hooks:
    """The optimizer's table of step hooks of ``kind`` ("pre" or "post"), made on first use
    (a subclass may have skipped ``Optimizer.__init__``)."""
    name = f"_optimizer_step_{kind}_hooks"
    table = optimizer.__dict__.get(name)
    if table is None:
        table = optimizer.__dict__[name] = Hooks()
    return table


def _with_step_hooks(step):
    """``step`` running the optimizer's step hooks around it, once per outer call (a
    subclass's step calling ``super().step()`` runs them once)."""

    @functools.wraps(step)
    def hooked(*args, **kwargs):
        self = args[0]  # the hooks see the step's arguments with the optimizer first, as in PyTorch
        if self.__dict__.get("_in_hooked_step"):
            return step(*args, **kwargs)
        for hook in list(_step_hooks(self, "pre").values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"an optimizer step pre-hook must return None or a tuple (new_args, new_kwargs), got {result!r}"
                    )
                args, kwargs = result
        self.__dict__["_in_hooked_step"] = True
        try:
            output = step(*args, **kwargs)
        finally:
            self.__dict__["_in_hooked_step"] = False
        for hook in list(_step_hooks(self, "post").values()):
            hook(self, args, kwargs)
        return output

    return hooked


Optimizer.step = _with_step_hooks(Optimizer.step)


def check_at_least(name: str, value: float, low: float, optimizer: str):
    if not value >= low:
        raise ValueError(f"{optimizer}: {name} must be >= {low}, got {value}")


# PyTorch's words for a hyper-parameter it refuses: "Invalid learning rate: -1"
_INVALID = {"lr": "learning rate", "eps": "epsilon value"}


def check_non_negative(**values):
    """Refuse a negative (or NaN) hyper-parameter with PyTorch's ValueError and words."""
    for name, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_INVALID.get(name, name + ' value')}: {value}")


def check_betas(betas) -> tuple:
    """Two coefficients in [0, 1), refused one by one with PyTorch's words; as a tuple."""
    if len(betas) != 2:
        raise ValueError(f"betas must be two numbers, got {betas}")
    for index, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
    return tuple(betas)


def scalar_dtype():
    """The dtype of an optimizer's counters, as PyTorch chooses it: float64 under a
    float64 default dtype, else float32."""
    return float64 if get_default_dtype() == float64 else float32


def scalar(value, dtype=None) -> Tensor:
    """A counter of the state: ``value`` as a 0-d tensor on the host."""
    return full((), value, dtype=dtype or scalar_dtype())


def next_step(state: dict) -> float:
    """Add 1 to ``state["step"]`` in place, as PyTorch's ``step += 1``, and return the count."""
    state["step"].add_(1)
    return state["step"].item()


def lerp_(xp, start, end, weight: float):
    """``start`` ← start + w·(end − start) in place, written as PyTorch's ``lerp_`` writes it
    for |w| ≥ ½: end − (end − start)·(1 − w), which lands on ``end`` at w = 1."""
    if abs(weight) < 0.5:
        return xp.add(start, weight * (end - start), out=start)
    return xp.subtract(end, (end - start) * (1 - weight), out=start)


def weight_decayed(xp, param, grad, group: dict):
    """Weight decay λ of the Adam family: decoupled (θ ← θ·(1 − η·λ), AdamW's, in place) when
    the group says so, else added to the gradient (g + λ·θ, returned)."""
    decay = group["weight_decay"]
    if decay != 0 and group["decoupled_weight_decay"]:
        xp.multiply(param._data, 1 - group["lr"] * decay, out=param._data)
    elif decay != 0:
        grad = grad + decay * param._data
    return grad


def update_moments(xp, state: dict, grad, betas: tuple):
    """The Adam family's moments, in place: m ← β₁·m + (1 − β₁)·g, v ← β₂·v + (1 − β₂)·g²."""
    beta1, beta2 = betas
    m, v = state["exp_avg"], state["exp_avg_sq"]
    lerp_(xp, m, grad, 1 - beta1)
    xp.multiply(v, beta2, out=v)
    xp.add(v, (1 - beta2) * (grad * grad), out=v)
    return m, v


def _array(value):
    """A state buffer as :meth:`Optimizer.update` works on it: a Tensor's array."""
    return value._data if isinstance(value, Tensor) else value


def _keep_as_tensors(state: dict, arrays: dict, param: Tensor):
    """Put what :meth:`Optimizer.update` left in ``arrays`` back into ``state``, each
    buffer as a Tensor on ``param``'s device (the one it held already when ``update``
    changed its array in place), so ``optimizer.state[p]["exp_avg"]`` is a Tensor, as
    in PyTorch."""
    for name, value in arrays.items():
        if not isinstance(value, param._backend.array_type):  # a counter, a number, None
            state[name] = value
            continue
        held = state.get(name)
        if not (isinstance(held, Tensor) and held._data is value):
            state[name] = Tensor._wrap(value, param._backend, None)


def _host_copy(param: Tensor, value):
    """A state value for a state dict: an array (or a NumPy scalar) as a NumPy array copy,
    a counter (a 0-d Tensor) as a NumPy scalar, a list item by item (LBFGS keeps lists
    of arrays), anything else as it is."""
    backend = get_backend(param.device)
    if isinstance(value, Tensor):
        return numpy.array(value.numpy())[()]
    if isinstance(value, list):
        return [_host_copy(param, item) for item in value]
    if isinstance(value, numpy.generic):
        return numpy.array(value)
    return numpy.array(backend.to_host(value)) if isinstance(value, backend.array_type) else value


def _state_value(param: Tensor, value, counter: bool):
    """A state value from a state dict, as :meth:`Optimizer.step` keeps it. A file
    PyTorch wrote holds Tensors, its counters 0-d float tensors; ours, NumPy arrays and
    scalars; older ones of ours, the step as an int."""
    if isinstance(value, Tensor):
        value = value.numpy()
    if counter:
        floating = isinstance(value, (numpy.ndarray, numpy.generic)) and value.dtype.kind == "f"
        return scalar(float(value), value.dtype if floating else None)
    return _device_copy(param, value)


def _device_copy(param: Tensor, value):
    """A state value from a state dict: a NumPy array as a copy on ``param``'s device
    in its dtype, a list item by item, anything else as it is."""
    if isinstance(value, list):
        return [_device_copy(param, item) for item in value]
    if isinstance(value, numpy.ndarray):
        return get_backend(param.device).from_host(numpy.array(value, dtype=param.dtype))
    return value
