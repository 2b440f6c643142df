"""`Optimizer`: parameter groups, per-parameter state, ``zero_grad`` and ``step``.

A subclass writes :meth:`Optimizer.update` for one parameter. Updates change
``param.data`` in place through the parameter's array namespace (``param.xp``),
so they run on the parameter's device, and never write into a gradient's array
(gradients may share arrays with each other).
"""

from __future__ import annotations

from tinygrad_bn.autograd import Tensor


class Optimizer:
    """Base class: ``params`` is an iterable of tensors, or of dicts (parameter
    groups) each with a ``"params"`` entry and its own hyper-parameters, which
    override ``defaults``."""

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        groups = [params] if isinstance(params, Tensor) else list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict):
        """Add a group of parameters, with hyper-parameters defaulting to the optimizer's."""
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
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise TypeError(f"{type(self).__name__} has no hyper-parameter(s) {sorted(unknown)}")
        self.param_groups.append({**self.defaults, **group, "params": params})

    def zero_grad(self):
        """Forget every parameter's gradient (set ``.grad`` to None)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self):
        """Update every parameter that has a gradient."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self.update(p, p.grad.data, group, self.state.setdefault(p, {}))

    def update(self, param: Tensor, grad, group: dict, state: dict):
        """Change ``param.data`` in place given its gradient array ``grad``
        (read-only), its group's hyper-parameters and its own ``state``."""
        raise NotImplementedError(f"{type(self).__name__} does not define update()")

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join(lines + [")"])


def check_at_least(name: str, value: float, low: float, optimizer: str):
    if not value >= low:
        raise ValueError(f"{optimizer}: {name} must be >= {low}, got {value}")
