"""L-BFGS: a quasi-Newton method that keeps the last m steps and gradient changes in place
of a Hessian (Nocedal & Wright, *Numerical Optimization*, Algorithms 7.4 and 7.5).

Each iteration at x with gradient g moves along d = −H·g, where H, an approximation of
the inverse Hessian, is never formed: the two-loop recursion applies it from the pairs
s_i = x_{i+1} − x_i, y_i = g_{i+1} − g_i. The step length is ``lr`` (on the first
iteration lr·min(1, 1/‖g‖₁)), or the one a strong Wolfe line search finds
(:mod:`tinygrad_bn.optim.line_search`). The rules for when to stop, the counting of
evaluations and the state kept between calls of :meth:`LBFGS.step` are PyTorch's, so
a run gives PyTorch's iterates.
"""

from __future__ import annotations

from tinygrad_bn.autograd import enable_grad
from tinygrad_bn.autograd.version import bump
from tinygrad_bn.optim.line_search import Trial, strong_wolfe
from tinygrad_bn.optim.optimizer import Optimizer, check_at_least, check_non_negative

LINE_SEARCHES = (None, "strong_wolfe")
CURVATURE_FLOOR = 1e-10  # a pair (s, y) is kept only when yᵀs exceeds this


class LBFGS(Optimizer):
    """PyTorch's ``LBFGS``: :meth:`step` takes a closure that zeroes the gradients,
    computes the loss, calls ``backward()`` and returns the loss, and runs up to
    ``max_iter`` iterations (``max_eval`` closure calls) with it.

    >>> from tinygrad_bn import float64, nn, optim, tensor
    >>> x = nn.Parameter(tensor([0.0, 0.0], dtype=float64))
    >>> optimizer = optim.LBFGS([x], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     optimizer.zero_grad()
    ...     loss = ((x - tensor([3.0, -1.0], dtype=float64)) ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> first_loss = optimizer.step(closure)
    >>> float(first_loss), x.detach().numpy().round(8).tolist()
    (10.0, [3.0, -1.0])

    As in PyTorch, there is one parameter group, and the state (PyTorch's keys:
    ``func_evals``, ``n_iter``, ``d``, ``t``, ``old_dirs`` (the y_i), ``old_stps`` (the s_i),
    ``ro`` (ρ_i = 1/y_iᵀs_i), ``H_diag`` (γ = sᵀy/yᵀy), ``prev_flat_grad``, ``prev_loss``
    and the scratch ``al``) belongs to the first parameter. Iterations stop when
    max|g| ≤ ``tolerance_grad``, when a step or the change of the loss is below
    ``tolerance_change``, when d is not a descent direction, or at ``max_iter``/``max_eval``.
    """

    tensor_state = False  # its step works on the arrays of its state directly

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None):
        check_non_negative(lr=lr)
        check_at_least("history_size", history_size, 1, "LBFGS")
        if line_search_fn not in LINE_SEARCHES:
            raise ValueError(f"LBFGS: line_search_fn must be one of {LINE_SEARCHES}, got {line_search_fn!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
                    "tolerance_change": tolerance_change, "history_size": history_size,
                    "line_search_fn": line_search_fn}
        super().__init__(params, defaults)

    def add_param_group(self, group: dict):
        """The one parameter group; a second is refused, as in PyTorch."""
        if self.param_groups:
            raise ValueError(
                f"LBFGS optimizes one parameter group, got a second one (of {len(list(group['params']))} "
                "parameter(s)); pass all parameters as one iterable, with the same hyper-parameters"
            )
        super().add_param_group(group)

    @property
    def _params(self) -> list:
        return self.param_groups[0]["params"]

    def step(self, closure):
        """Run up to ``max_iter`` iterations from the current parameters; return the loss
        the closure gave at the start."""
        if closure is None:
            raise TypeError("LBFGS.step needs a closure that zeroes the gradients, computes the loss, "
                            "calls backward() and returns the loss")
        group = self.param_groups[0]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        first_loss = self._call(closure)
        state["func_evals"] += 1
        g = self._flat_grad()
        if abs(g).max() <= group["tolerance_grad"]:  # already at a stationary point
            return first_loss
        self._iterate(closure, group, state, float(first_loss), g)
        return first_loss

    def _iterate(self, closure, group: dict, state: dict, loss: float, g):
        """The iterations of one :meth:`step`, from the loss and flat gradient at the start."""
        xp = self._params[0].xp
        d, t = state.get("d"), state.get("t")
        g_prev, loss_prev = state.get("prev_flat_grad"), state.get("prev_loss")
        history = History(xp, state.get("old_dirs"), state.get("old_stps"), state.get("ro"), state.get("H_diag"))
        evaluations = 1
        for iteration in range(1, group["max_iter"] + 1):
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                history, d = History(xp, [], [], [], 1), -g
            else:
                # y = g − g_prev, s = t·d
                history.remember(g - g_prev, d * t, group["history_size"])
                d = history.descent(g, state.setdefault("al", [None] * group["history_size"]))
            g_prev, loss_prev = g, loss
            t = self._first_step_length(g, group["lr"]) if state["n_iter"] == 1 else group["lr"]
            # the slope of the loss along d: gᵀd
            gtd = xp.dot(g, d)
            if gtd > -group["tolerance_change"]:  # d no longer goes down
                break
            if group["line_search_fn"] is None:
                loss, g, used = self._fixed_step(closure, loss, g, t, d, last=iteration == group["max_iter"])
            else:
                loss, g, t, used = self._search_step(closure, Trial(0, loss, g, gtd), t, d,
                                                     group["max_eval"] - evaluations, group["tolerance_change"])
            evaluations += used
            state["func_evals"] += used
            if iteration == group["max_iter"] or evaluations >= group["max_eval"]:
                break
            if _converged(g, t * d, loss - loss_prev, group):
                break
        state.update(d=d, t=t, old_dirs=history.y, old_stps=history.s, ro=history.rho, H_diag=history.gamma,
                     prev_flat_grad=g_prev, prev_loss=loss_prev)

    @staticmethod
    def _first_step_length(g, lr: float):
        # t = lr·min(1, 1/‖g‖₁): the first step is at most lr long in the 1-norm
        return min(1.0, 1.0 / abs(g).sum()) * lr

    def _fixed_step(self, closure, loss: float, g, t, d, last: bool):
        """θ ← θ + t·d, then the loss and gradient there (not after the last iteration,
        where nothing would use them). Returns them and the evaluations made."""
        self._move(t, d)
        if last:
            return loss, g, 0
        loss = float(self._call(closure))
        return loss, self._flat_grad(), 1

    def _search_step(self, closure, start: Trial, t, d, max_ls: int, tolerance_change: float):
        """θ ← θ + t·d with t from the strong Wolfe line search tried first at ``t``.
        Returns the loss and gradient there, t, and the evaluations made."""
        origin = [p._data.copy() for p in self._params]

        def evaluate(step) -> Trial:
            self._move(step, d)
            loss = float(self._call(closure))
            g = self._flat_grad()
            for p, data in zip(self._params, origin, strict=True):
                p._data[...] = data
                bump(p)
            return Trial(step, loss, g, self._params[0].xp.dot(g, d))

        end, used = strong_wolfe(evaluate, t, start, abs(d).max(), tolerance_change=tolerance_change, max_ls=max_ls)
        self._move(end.t, d)
        return end.f, end.g, end.t, used

    @staticmethod
    def _call(closure):
        with enable_grad():
            return closure()

    def _flat_grad(self):
        """Every parameter's gradient, flattened and joined (zeros for a parameter without one)."""
        xp = self._params[0].xp
        return xp.concatenate([
            xp.zeros(p.numel(), dtype=p.dtype) if p.grad is None else p.grad._data.reshape(-1) for p in self._params
        ])

    def _move(self, t, d):
        """θ ← θ + t·d, with d cut into the parameters' shapes."""
        offset = 0
        for p in self._params:
            size = p.numel()
            # θ ← θ + t·d, this parameter's slice of d
            p.xp.add(p._data, t * d[offset:offset + size].reshape(p._data.shape), out=p._data)
            bump(p)
            offset += size


def _converged(g, step, change: float, group: dict) -> bool:
    """Stop after a move: the gradient is small, or the step or the change of the loss is."""
    return bool(
        abs(g).max() <= group["tolerance_grad"]
        or abs(step).max() <= group["tolerance_change"]
        or abs(change) < group["tolerance_change"]
    )


class History:
    """The last m pairs y_i = Δg, s_i = Δx (oldest first), ρ_i = 1/(y_iᵀs_i), and the
    scale γ = sᵀy/yᵀy of the newest pair: H₀ = γ·I starts the inverse Hessian."""

    def __init__(self, xp, y: list, s: list, rho: list, gamma):
        self.xp = xp  # the arrays' namespace
        self.y, self.s, self.rho, self.gamma = y, s, rho, gamma

    def remember(self, y, s, size: int):
        """Keep the pair when yᵀs > 0 (so H stays positive definite), forgetting the
        oldest past ``size`` pairs."""
        ys = self.xp.dot(y, s)
        if not ys > CURVATURE_FLOOR:
            return
        if len(self.y) == size:
            for pairs in (self.y, self.s, self.rho):
                pairs.pop(0)
        self.y.append(y)
        self.s.append(s)
        # ρ = 1/(yᵀs)
        self.rho.append(1.0 / ys)
        # γ = yᵀs / yᵀy
        self.gamma = ys / self.xp.dot(y, y)

    def descent(self, g, alpha: list):
        """d = −H·g by the two-loop recursion; ``alpha`` holds the α_i."""
        xp = self.xp
        q = -g
        for i in reversed(range(len(self.y))):
            # α_i = ρ_i·s_iᵀq,  q ← q − α_i·y_i
            alpha[i] = xp.dot(self.s[i], q) * self.rho[i]
            q = q - alpha[i] * self.y[i]
        # r = H₀·q = γ·q
        r = q * self.gamma
        for i in range(len(self.y)):
            # β = ρ_i·y_iᵀr,  r ← r + (α_i − β)·s_i
            beta = xp.dot(self.y[i], r) * self.rho[i]
            r = r + (alpha[i] - beta) * self.s[i]
        return r

