"""The idiom list: common PyTorch expressions, each written once as source text with
the name ``torch`` (and ``nn``, ``F``, ``optim`` ...), run with those names bound to
PyTorch and then to tinygrad_bn, and the results compared: values to the dtype's
tolerance, shapes, dtypes by name, ``requires_grad``, and the kind of exception
where PyTorch raises (our error must be an instance of PyTorch's builtin class).

An idiom is an expression, or statements that leave their result in ``out``.
Inputs are fixed NumPy arrays (below); an idiom draws random numbers only to
compare two draws within one framework. Idioms that do not run yet are listed in
``NOT_YET`` with the reason, and in docs/porting.md.
"""

# ruff: noqa: E501 - an idiom is one line as a user writes it

from __future__ import annotations

import math
import pathlib
import textwrap

import numpy
import pytest

# Fixed inputs, the same arrays for both frameworks.
ARRAYS = {
    "A": numpy.linspace(-1.0, 1.75, 12, dtype=numpy.float32).reshape(3, 4),
    "B": numpy.cos(numpy.arange(12, dtype=numpy.float32)).reshape(3, 4),
    "V": numpy.array([0.5, -1.0, 2.0, -0.25], dtype=numpy.float32),
    "W": numpy.sin(numpy.arange(8, dtype=numpy.float32)).reshape(4, 2),
    "BATCH": numpy.cos(numpy.arange(24, dtype=numpy.float32) / 3).reshape(2, 3, 4),
    "IMG": numpy.sin(numpy.arange(150, dtype=numpy.float32) / 7).reshape(2, 3, 5, 5),
    "Y": numpy.array([0, 2, 1], dtype=numpy.int64),
    "XS": numpy.cos(numpy.arange(64, dtype=numpy.float32) * 0.37).reshape(16, 4),
    "YS": numpy.arange(16, dtype=numpy.int64) % 3,
}

# Source run in both namespaces before each idiom: helpers written with ``torch``.
PRELUDE = '''
def fixed(module):
    """Deterministic weights for every parameter, the same in both frameworks."""
    with torch.no_grad():
        for i, p in enumerate(module.parameters()):
            values = np.cos(np.arange(p.numel()) * 0.7 + i).reshape(tuple(p.shape)) / 2
            p.copy_(torch.tensor(values.astype("float32")))
    return module

def mlp():
    return fixed(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)))

def train(model, optimizer, steps=3, loss_fn=None):
    """A few full-batch steps on XS, YS; the losses."""
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    x, y = torch.tensor(XS), torch.tensor(YS)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses

def lrs(optimizer, scheduler, epochs=8):
    seen = []
    for _ in range(epochs):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return seen

x = torch.tensor(A)
y = torch.tensor(B)
'''

CREATION = {
    "tensor-from-nested-list": "torch.tensor([[1.0, 2.0], [3.0, 4.0]])",
    "tensor-from-ints-is-int64": "torch.tensor([1, 2, 3])",
    "tensor-from-python-float": "torch.tensor(3.5)",
    "tensor-from-bools": "torch.tensor([True, False])",
    "tensor-with-dtype": "torch.tensor([1, 2], dtype=torch.float32)",
    "tensor-requires-grad": "torch.tensor([1.0, 2.0], requires_grad=True)",
    "tensor-from-numpy-array": "torch.tensor(A)",
    "from-numpy-shares-memory": "a = A.copy(); t = torch.from_numpy(a); a[0, 0] = 9; out = t[0, 0].item()",
    "as-tensor": "torch.as_tensor(A)",
    "Tensor-from-list": "torch.Tensor([1, 2, 3])",
    "zeros": "torch.zeros(2, 3)",
    "zeros-tuple-long": "torch.zeros((2, 3), dtype=torch.long)",
    "ones": "torch.ones(3)",
    "ones-like": "torch.ones_like(x)",
    "zeros-like-dtype": "torch.zeros_like(x, dtype=torch.float64)",
    "full": "torch.full((2, 2), 7.0)",
    "full-like": "torch.full_like(x, -1.5)",
    "empty-shape": "torch.empty(2, 3).shape",
    "arange": "torch.arange(5)",
    "arange-float-step": "torch.arange(0, 1, 0.25)",
    "linspace": "torch.linspace(0, 1, steps=5)",
    "eye": "torch.eye(3)",
    "new-zeros": "x.new_zeros(2, 2)",
    "new-ones": "x.new_ones((3,))",
    "new-tensor": "x.new_tensor([1.0, 2.0])",
    "zeros-requires-grad": "torch.zeros(3, requires_grad=True)",
}

DTYPES_AND_DEVICES = {
    "legacy-float-tensor": "out = torch.FloatTensor([1, 2, 3]), isinstance(torch.ones(2), torch.FloatTensor), isinstance(torch.ones(2).long(), torch.FloatTensor)",
    "type-by-name": "out = torch.tensor(A).type('torch.DoubleTensor'), torch.tensor(A).type(torch.LongTensor)",
    "stride": "x = torch.tensor(BATCH); out = x.stride(), x.transpose(0, 2).stride(), x.stride(1)",
    "is-contiguous": "x = torch.tensor(A); out = x.is_contiguous(), x.t().is_contiguous(), x.t().contiguous().is_contiguous()",
    "bincount": "out = torch.bincount(torch.tensor(YS)), torch.tensor(YS).bincount(minlength=5)",
    "bincount-weights": "out = torch.tensor(YS).bincount(weights=torch.tensor(XS[:, 0]))",
    "dtype-equals": "x.dtype == torch.float32",
    "to-float64": "x.to(torch.float64)",
    "double": "x.double()",
    "long-truncates": "x.long()",
    "int": "x.int()",
    "bool": "x.bool()",
    "float-of-int": "torch.arange(3).float()",
    "type-with-dtype": "x.type(torch.float64)",
    "default-dtype": "torch.get_default_dtype()",
    "int-divided-is-float": "torch.arange(4) / 2",
    "int-times-float": "torch.arange(4) * 2.5",
    "int-plus-float-tensor": "torch.arange(4) + torch.ones(4)",
    "float32-plus-float64": "(x + x.double()).dtype",
    "is-floating-point": "(x.is_floating_point(), torch.arange(2).is_floating_point())",
    "device-equals-device": "x.device == torch.device('cpu')",
    "device-type": "x.device.type",
    "device-str": "str(x.device)",
    "device-equals-string": "x.device == 'cpu'",
    "device-object": "x.device",
    "to-device-string": "x.to('cpu')",
    "to-device-and-dtype": "x.to(torch.device('cpu'), torch.float64)",
    "cpu": "x.cpu()",
    "cuda-is-available": "torch.cuda.is_available()",
    "tensor-on-device": "torch.zeros(2, device='cpu')",
}

INDEXING = {
    "row": "x[0]",
    "column": "x[:, 1]",
    "slices-with-step": "x[1:, ::2]",
    "ellipsis-last": "x[..., -1]",
    "new-axis": "x[None].shape, x[:, None].shape",
    "boolean-mask": "x[x > 0]",
    "list-of-indices": "x[[0, 2]]",
    "tensor-of-indices": "x[torch.tensor([2, 0])]",
    "pairs-of-indices": "x[torch.arange(3), torch.tensor(Y)]",
    "masked-assignment": "z = x.clone(); z[z < 0] = 0; out = z",
    "column-assignment": "z = x.clone(); z[:, 0] = 5.0; out = z",
    "row-assignment-from-tensor": "z = x.clone(); z[1] = torch.tensor(V); out = z",
    "where": "torch.where(x > 0, x, torch.zeros_like(x))",
    "where-with-numbers": "torch.where(x > 0, 1.0, 0.0)",
    "masked-fill": "x.masked_fill(x < 0, 0.0)",
    "gather": "x.gather(1, torch.tensor(Y).unsqueeze(1))",
    "index-select": "x.index_select(1, torch.tensor([3, 0]))",
    "nonzero": "(x > 0).nonzero()",
    "shape-and-len": "(x.shape, x.shape[0], x.size(), x.size(1), len(x), x.dim(), x.ndim, x.numel())",
}

REDUCTIONS = {
    "sum-all": "x.sum()",
    "sum-dim": "x.sum(0)",
    "sum-dim-keepdim": "x.sum(dim=1, keepdim=True)",
    "sum-axis-alias": "x.sum(axis=1)",
    "sum-keepdims-alias": "x.sum(1, keepdims=True)",
    "sum-of-bools": "(x > 0).sum()",
    "mean-all": "x.mean()",
    "mean-dims-tuple": "torch.tensor(BATCH).mean(dim=(0, 2))",
    "mean-keepdim": "x.mean(dim=0, keepdim=True)",
    "mean-of-int-raises": "torch.arange(3).mean()",
    "max-all": "x.max()",
    "max-dim-values-indices": "x.max(dim=1)",
    "max-dim-fields": "x.max(1).values, x.max(1).indices",
    "max-dim-index-0": "x.max(1)[0]",
    "max-axis-alias": "x.max(axis=0)",
    "torch-max-dim": "torch.max(x, 1)",
    "torch-max-keepdim": "torch.max(x, dim=1, keepdim=True)",
    "torch-max-elementwise": "torch.max(x, y)",
    "min-dim": "x.min(0)",
    "argmax-all": "x.argmax()",
    "argmax-dim": "x.argmax(dim=1)",
    "torch-argmax": "torch.argmax(x, 1)",
    "std-all": "x.std()",
    "var-dim": "x.var(0)",
    "var-axis-alias": "x.var(axis=0)",
    "var-unbiased-false": "x.var(unbiased=False)",
    "std-correction-0": "x.std(dim=1, correction=0)",
    "prod": "x.prod(1)",
    "norm": "x.norm()",
    "norm-dim": "x.norm(dim=1)",
    "amax": "x.amax(dim=0)",
    "all-any": "(x > -2).all(), (x > 1.5).any()",
    "logsumexp": "torch.logsumexp(x, dim=1)",
    "logsumexp-of-infinities": "torch.logsumexp(torch.tensor([[float('-inf'), float('-inf')], [float('inf'), 1.0]]), dim=1)",
    "prod-of-int32-and-bool": "torch.tensor([2, 3], dtype=torch.int32).prod(), torch.tensor([True, True]).prod()",
    "format-a-loss": "loss = (x ** 2).mean(); out = f'{loss:.4f} {loss.item():.4f} {torch.tensor(3):d}'",
    "abs-builtin": "abs(x)",
    "arithmetic-methods": "x.add(y), x.add(y, alpha=2), x.sub(1), x.mul(y), x.div(2), torch.add(x, y, alpha=0.5), torch.mul(x, 3), torch.div(x, y)",
    "div-rounding-modes": "a = torch.tensor([7, -7]); out = a.div(2, rounding_mode='trunc'), a.div(2, rounding_mode='floor'), x.div(0.3, rounding_mode='trunc')",
    "div-trunc-of-large-integers": "a = torch.tensor([2 ** 40 + 7, -(2 ** 40 + 7), -6, 5]); out = a.div(3, rounding_mode='trunc'), a.div(torch.tensor([3, 3, -4, -4]), rounding_mode='trunc')",
    "reciprocal-rsqrt-outer": "torch.reciprocal(x + 2), (x + 2).rsqrt(), torch.outer(torch.tensor(V), torch.tensor(V))",
    "argsort": "x.argsort(dim=1), torch.argsort(x, dim=0, descending=True)",
    "index-add-and-unique": "out = torch.zeros(3, 2).index_add(0, torch.tensor([0, 2, 0]), torch.tensor(W[:3])), torch.tensor(YS).unique(return_counts=True), torch.unique(torch.tensor(YS), return_inverse=True)",
    "one-hot-by-scatter": "y = torch.tensor(Y); out = torch.zeros(3, 4).scatter_(1, y.unsqueeze(1), 1.0), torch.zeros(2, 4).scatter_add(1, torch.tensor([[0, 0], [3, 1]]), torch.ones(2, 2))",
    "cumsum": "x.cumsum(dim=1)",
    "topk": "x.topk(2, dim=1)",
    "sort": "x.sort(dim=1, descending=True)",
}

SHAPES = {
    "view": "x.view(4, 3)",
    "view-minus-one": "x.view(-1)",
    "view-batch-flat": "torch.tensor(IMG).view(torch.tensor(IMG).size(0), -1).shape",
    "view-bad-shape-raises": "x.view(5, 3)",
    "reshape": "x.reshape(2, -1)",
    "permute": "torch.tensor(BATCH).permute(2, 0, 1)",
    "transpose": "x.transpose(0, 1)",
    "t-and-T": "x.t(), x.T",
    "unsqueeze": "x.unsqueeze(0).shape, x.unsqueeze(-1).shape",
    "squeeze": "x[:1].squeeze(), x[:, :1].squeeze(1)",
    "flatten": "x.flatten()",
    "torch-flatten-start-dim": "torch.flatten(torch.tensor(IMG), 1).shape",
    "flatten-start-dim-keyword": "torch.tensor(IMG).flatten(start_dim=2).shape",
    "cat-dim-0": "torch.cat([x, y], dim=0)",
    "cat-tuple-dim-last": "torch.cat((x, y), -1)",
    "cat-int-with-float": "torch.cat([torch.arange(3), torch.ones(2)]), torch.cat([torch.ones(1, dtype=torch.int32), torch.ones(1, dtype=torch.float16)])",
    "stack-int-with-float-0d": "torch.stack([torch.tensor(1), torch.tensor(2.0)])",
    "tril-triu-attention-mask": "mask = torch.triu(torch.ones(4, 4), diagonal=1).bool(); out = torch.tensor(A).masked_fill(mask[:3], float('-inf')), x.tril(), x.triu(-1)",
    "unbind-roll": "out = x.unbind(1), torch.unbind(x), x.roll(1, 0), torch.roll(x, (1, -2), (0, 1)), x.roll(3)",
    "stack": "torch.stack([x, y])",
    "stack-dim-1": "torch.stack([x, y], dim=1)",
    "chunk": "x.chunk(2, dim=1)",
    "torch-chunk": "torch.chunk(x, 3)",
    "split-size": "x.split(3, dim=1)",
    "split-sizes": "torch.split(x, [1, 3], dim=1)",
    "expand": "torch.tensor(V).expand(3, 4)",
    "repeat": "torch.tensor(V).repeat(2, 1)",
    "view-as": "torch.tensor(V).repeat(3).view_as(x)",
    "contiguous": "x.t().contiguous()",
}

ELEMENTWISE = {
    "arithmetic": "x + y, x - 1, 2 * x, x / (y + 2), x ** 2, -x",
    "reflected-division": "1 / (x + 3)",
    "exp-log": "torch.exp(x), (x + 2).log(), torch.log1p(x + 1)",
    "sqrt-abs": "x.abs().sqrt()",
    "trig": "x.sin(), torch.cos(x)",
    "tanh-sigmoid-relu": "torch.tanh(x), torch.sigmoid(x), x.relu(), torch.relu(x)",
    "softmax": "torch.softmax(x, dim=1), x.softmax(-1)",
    "log-softmax": "torch.log_softmax(x, dim=1)",
    "clamp-min": "torch.clamp(x, min=0)",
    "clamp-both": "x.clamp(-0.5, 0.5)",
    "clamp-max-keyword": "x.clamp(max=1.0)",
    "clip": "torch.clip(x, -0.2, 0.2)",
    "clamp-then-log": "x.clamp(min=1e-8).log()",
    "maximum-minimum": "torch.maximum(x, y), torch.minimum(x, y)",
    "pow": "x.pow(3), torch.pow(x, 2)",
    "sign": "x.sign()",
    "floor-ceil-round": "(x * 3).floor(), (x * 3).ceil(), (x * 3).round()",
    "integer-floor-division": "torch.arange(10) // 3, torch.arange(10) % 3",
    "square": "x.square()",
    "standardize": "(x - x.mean(0)) / x.std(0)",
    "trig-and-hyperbolic": "torch.tan(x), torch.asin(x / 2), (x / 2).acos(), x.atan(), torch.atan2(x, y), x.sinh(), torch.cosh(x), torch.asinh(x), (x.abs() + 1).acosh(), torch.atanh(x / 2)",
    "log-and-exp-variants": "torch.log2(x + 2), (x + 2).log10(), torch.expm1(x), torch.logaddexp(x, y), torch.xlogy(x.abs(), y.abs() + 1), torch.hypot(x, y), torch.sinc(x)",
    "special-functions": "torch.lgamma(x + 2), (x + 2).digamma(), torch.erfinv(x / 2), torch.polygamma(1, x + 2), torch.erf(torch.erfinv(x / 2))",
    "lerp-addcmul-addcdiv": "torch.lerp(x, y, 0.3), x.lerp(y, torch.full_like(x, 0.75)), x.addcmul(y, y, value=0.5), torch.addcdiv(x, y, y + 3, value=-1)",
    "nan-to-num": "torch.nan_to_num(torch.tensor([float('nan'), float('inf'), -float('inf'), 1.0])), torch.tensor([float('nan')]).nan_to_num(nan=-1.0)",
    "clamp-min-max": "x.clamp_min(0), torch.clamp_max(x, 0.5), torch.arange(5).clamp_min(2)",
    "fmod-frac-copysign-signbit": "torch.fmod(x * 3, 2), (x * 3).frac(), torch.copysign(x, y), torch.signbit(y), torch.tensor([-7, 7]).fmod(3)",
    "logit": "torch.logit(torch.sigmoid(x)), torch.logit(x.abs() / 2, eps=1e-6)",
    "negative-absolute": "torch.negative(x), x.absolute(), torch.absolute(x)",
}

COMPARISONS = {
    "greater": "x > y",
    "equal-elementwise": "x == y",
    "comparison-methods": "x.eq(y), x.gt(0), x.lt(y), x.ne(0), x.ge(0.5), x.le(0)",
    "torch-equal": "torch.equal(x, x.clone())",
    "allclose": "torch.allclose(x, x + 1e-9)",
    "isclose": "torch.isclose(x, y, atol=0.5)",
    "accuracy": "(x.argmax(1) == torch.tensor(Y)).float().mean()",
    "correct-count": "(x.argmax(1) == torch.tensor(Y)).sum().item()",
    "max-of-data": "_, predicted = torch.max(x.data, 1); out = (predicted == torch.tensor(Y)).sum().item()",
    "equals-none": "x == None, x != None",
    "mask-invert-and-or-xor": "m = x > 0; n = y > 0; out = ~m, m & n, m | n, m ^ n, True & m",
    "masked-fill-inverted-mask": "x.masked_fill(~(x > 0), float('-inf'))",
    "integer-bitwise": "a = torch.tensor([6, 3, 12]); out = a & 5, a | 1, a ^ 3, ~a",
    "logical-ops": "torch.logical_not(x), torch.logical_and(x > 0, y), torch.logical_or(x > 1, y > 0), torch.logical_xor(x > 0, y > 0)",
    "bitwise-of-float-raises": "~x",
    "integer-division-by-zero-raises": "torch.tensor([3, 4]) // torch.tensor([1, 0])",
    "integer-remainder-by-zero-raises": "torch.tensor([3]) % 0",
    "isnan-isinf-isfinite": "z = torch.tensor([1.0, float('nan'), float('inf'), -float('inf')]); out = torch.isnan(z), z.isinf(), z.isfinite(), torch.isnan(z).any().item()",
}

MATMUL = {
    "at-operator": "x @ torch.tensor(W)",
    "matmul": "torch.matmul(x, torch.tensor(W))",
    "mm": "torch.mm(x, torch.tensor(W)), x.mm(torch.tensor(W))",
    "matrix-vector": "x @ torch.tensor(V)",
    "bmm": "b = torch.tensor(BATCH); out = torch.bmm(b, b.transpose(1, 2))",
    "batched-at": "torch.tensor(BATCH) @ torch.tensor(W)",
    "dot": "torch.dot(torch.tensor(V), torch.tensor(V))",
    "shape-mismatch-raises": "x @ x",
    "einsum": "torch.einsum('ij,jk->ik', x, torch.tensor(W))",
    "einsum-batched": "b = torch.tensor(BATCH); out = torch.einsum('bij,bkj->bik', b, b), torch.einsum('bij->j', b)",
}

IN_PLACE = {
    "add-mul": "z = x.clone(); z.add_(1).mul_(2); out = z",
    "zero": "z = x.clone(); z.zero_(); out = z",
    "fill": "z = x.clone(); z.fill_(3); out = z",
    "copy": "z = x.clone(); z.copy_(y); out = z",
    "clamp": "z = x.clone(); z.clamp_(0, 1); out = z",
    "add-alpha": "p = x.clone(); p.add_(y, alpha=-0.1); out = p",
    "div-sub": "z = x.clone(); z.div_(2).sub_(1); out = z",
    "augmented-assignment": "z = x.clone(); z += 1; z *= y; out = z",
    "manual-sgd-under-no-grad": """
        w = torch.tensor(A, requires_grad=True)
        for _ in range(2):
            loss = (w * w).sum()
            loss.backward()
            with torch.no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
        out = w
    """,
    "leaf-in-place-raises": "w = torch.tensor(A, requires_grad=True); w.add_(1)",
    "data-mul": "w = torch.tensor(A, requires_grad=True); w.data.mul_(0.5); out = w",
    "normal-init-shape": "torch.manual_seed(0); out = torch.empty(3, 4).normal_(0, 0.01).shape",
    "unsqueeze-in-place-records": "w = torch.tensor(A, requires_grad=True); h = w * 2; h.unsqueeze_(0); (h * 3).sum().backward(); out = h.shape, w.grad",
    "squeeze-t-transpose-in-place": "z = torch.ones(2, 1, 3); z.squeeze_(); v = torch.tensor(A); v.t_(); q = torch.tensor(BATCH); q.transpose_(0, 2); out = z.shape, v, q",
    "unsqueeze-in-place-of-a-leaf-raises": "w = torch.tensor(A, requires_grad=True); w.unsqueeze_(0)",
    "view-in-place-after-save-raises": "w = torch.tensor(A, requires_grad=True); h = w * 2; s = h * h; h.unsqueeze_(0); s.sum().backward()",
    "accumulate-a-loss-from-zero": "loss = 0\nfor k in range(3):\n    loss += (x * k).sum()\nout = loss",
    "in-place-on-a-reduced-scalar": "total = x.sum(); total += 1; total /= 2; out = total",
    "count-correct": "correct = 0; correct += (torch.tensor(Y) == 1).sum(); out = correct",
    "legacy-add-number-first": "p = x.clone(); p.add_(-0.1, y); out = p",
    "detach-in-place": "h = x * torch.tensor(A, requires_grad=True)[:1]; h.detach_(); out = h.requires_grad, h.grad_fn is None",
    "sgd-momentum-on-a-scalar-parameter": """
        s = nn.Parameter(torch.tensor(2.0))
        opt = optim.SGD([s], lr=0.1, momentum=0.9)
        for _ in range(3):
            opt.zero_grad(); (s * s).backward(); opt.step()
        out = s.detach()
    """,
    "unary-in-place-chain": "z = x.clone(); z.abs_().sqrt_().exp_().neg_(); out = z",
    "relu-sigmoid-tanh-in-place": "z = x.clone(); z.relu_(); w = y.clone(); w.sigmoid_().tanh_(); out = z, w",
    "masked-fill-and-lerp-in-place": "z = x.clone(); z.masked_fill_(z < 0, 0.0).lerp_(y, 0.5); out = z",
    "pow-and-log-in-place": "z = x.clone(); z.pow_(2); w = (x + 2).log_(); out = z, w",
    "in-place-in-the-graph": "z = torch.tensor(A, requires_grad=True); h = z * 2; h.tanh_(); h.sum().backward(); out = z.grad",
}

GRAD_MODES = {
    "no-grad-block": "w = torch.tensor(A, requires_grad=True)\nwith torch.no_grad():\n    z = w * 2\nout = z.requires_grad",
    "no-grad-decorator": """
        @torch.no_grad()
        def predict(t):
            return t * 2
        out = predict(torch.tensor(A, requires_grad=True)).requires_grad
    """,
    "inference-mode": "with torch.inference_mode():\n    out = torch.tensor(A, requires_grad=True) * 2",
    "set-grad-enabled": "with torch.set_grad_enabled(False):\n    out = torch.tensor(A, requires_grad=True) * 2",
    "is-grad-enabled": "with torch.no_grad():\n    inner = torch.is_grad_enabled()\nout = inner, torch.is_grad_enabled()",
    "enable-grad-inside-no-grad": """
        with torch.no_grad():
            with torch.enable_grad():
                out = torch.tensor(A, requires_grad=True) * 2
    """,
}

AUTOGRAD = {
    "backward-grad": "w = torch.tensor(A, requires_grad=True); (w ** 2).sum().backward(); out = w.grad",
    "backward-with-gradient": "w = torch.tensor(A, requires_grad=True); z = w * 3; z.backward(torch.ones_like(z)); out = w.grad",
    "grad-accumulates": "w = torch.tensor(A, requires_grad=True)\nfor _ in range(2):\n    (w * w).sum().backward()\nout = w.grad",
    "retain-graph": "w = torch.tensor(A, requires_grad=True); s = w.exp().sum()\ns.backward(retain_graph=True); s.backward(); out = w.grad",
    "backward-twice-raises": "w = torch.tensor(A, requires_grad=True); s = w.exp().sum(); s.backward(); s.backward()",
    "linalg-solve-gradient": "a = torch.tensor(A[:, :3] + 3 * np.eye(3, dtype='float32'), requires_grad=True); torch.linalg.solve(a, torch.tensor(V[:3])).sum().backward(); out = a.grad",
    "linalg-inv-det": "a = torch.tensor(A[:, 1:] + 2 * np.eye(3, dtype='float32')); out = torch.linalg.inv(a), torch.linalg.det(a)",
    "linalg-norms": "out = torch.linalg.norm(torch.tensor(A)), torch.linalg.vector_norm(torch.tensor(A), ord=3, dim=1), torch.linalg.matrix_norm(torch.tensor(A), ord=float('inf'))",
    "autograd-grad": "w = torch.tensor(A, requires_grad=True); out = torch.autograd.grad((w ** 3).sum(), w)",
    "second-derivative": """
        w = torch.tensor(A, requires_grad=True)
        (g,) = torch.autograd.grad((w ** 3).sum(), w, create_graph=True)
        out = torch.autograd.grad(g.sum(), w)[0]
    """,
    "grad-set-to-none": "w = torch.tensor(A, requires_grad=True); (w * 2).sum().backward(); w.grad = None; out = w.grad",
    "retain-grad": "w = torch.tensor(A, requires_grad=True); h = w * 2; h.retain_grad(); (h ** 2).sum().backward(); out = h.grad",
    "tensor-hook-scales-gradient": "w = torch.tensor(A, requires_grad=True); h = w * 2; h.register_hook(lambda g: g * 3); (h ** 2).sum().backward(); out = w.grad",
    "tensor-hook-sees-gradient": "w = torch.tensor(A, requires_grad=True); seen = []; h = w.exp(); h.register_hook(seen.append); (h * h).sum().backward(); out = seen[0]",
    "leaf-hook-removed": "w = torch.tensor(A, requires_grad=True); handle = w.register_hook(lambda g: g * 0); handle.remove(); (w * 2).sum().backward(); out = w.grad",
    "non-leaf-grad-is-none": "w = torch.tensor(A, requires_grad=True); h = w * 2; h.sum().backward(); out = h.grad",
    "requires-grad-underscore": "w = torch.tensor(A).requires_grad_(); out = w.requires_grad, w.is_leaf",
    "grad-fn": "w = torch.tensor(A, requires_grad=True); out = w.grad_fn is None, (w * 2).grad_fn is not None",
    "detach": "w = torch.tensor(A, requires_grad=True); out = (w * 2).detach()",
    "clone-carries-grad": "w = torch.tensor(A, requires_grad=True); w.clone().sum().backward(); out = w.grad",
    "int-requires-grad-raises": "torch.tensor([1, 2], requires_grad=True)",
    "custom-function": """
        class Square(torch.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                ctx.save_for_backward(t)
                return t * t

            @staticmethod
            def backward(ctx, grad_output):
                (t,) = ctx.saved_tensors
                return 2 * t * grad_output

        w = torch.tensor(A, requires_grad=True)
        Square.apply(w).sum().backward()
        out = w.grad
    """,
    "custom-function-masked-grad": """
        class Clip(torch.autograd.Function):
            @staticmethod
            def forward(ctx, t, low):
                ctx.save_for_backward(t)
                ctx.low = low
                return t.clamp(min=low)

            @staticmethod
            def backward(ctx, grad_output):
                (t,) = ctx.saved_tensors
                grad_input = grad_output.clone()
                grad_input[t < ctx.low] = 0
                return grad_input, None

        w = torch.tensor(A, requires_grad=True)
        Clip.apply(w, 0.0).sum().backward()
        out = w.grad
    """,
    "gradcheck": "w = torch.tensor(A, dtype=torch.float64, requires_grad=True)\nout = torch.autograd.gradcheck(lambda t: (t.sin() * t).sum(), (w,))",
}

LEAVING = {
    "item": "x.sum().item()",
    "item-of-int": "torch.tensor(Y).sum().item()",
    "tolist": "x.tolist()",
    "numpy": "x.numpy()",
    "detach-numpy": "torch.tensor(A, requires_grad=True).detach().numpy()",
    "numpy-of-grad-tensor-raises": "torch.tensor(A, requires_grad=True).numpy()",
    "data-is-tensor": "torch.tensor(A, requires_grad=True).data",
    "float-of-tensor": "float(x.sum()), int(torch.tensor(3))",
    "item-of-many-raises": "x.item()",
    "np-asarray": "np.asarray(x)",
    "is-tensor": "torch.is_tensor(x), torch.is_tensor(A)",
    "numel": "torch.numel(x)",
}

MODULES = {
    "linear-forward": "lin = fixed(nn.Linear(4, 3)); out = lin(x)",
    "linear-shapes": "lin = nn.Linear(4, 3); out = lin.weight.shape, lin.bias.shape, lin.weight.requires_grad",
    "linear-load-state-dict": """
        lin = nn.Linear(4, 2)
        lin.load_state_dict({"weight": torch.tensor(W.T.copy()), "bias": torch.zeros(2)})
        out = lin(x)
    """,
    "linear-no-bias": "out = nn.Linear(4, 3, bias=False).bias",
    "linear-wrong-features-raises": "nn.Linear(5, 3)(x)",
    "float64-input-to-float32-model-raises": "nn.Linear(4, 3)(x.double())",
    "sequential": "out = mlp()(x)",
    "sequential-index": "model = mlp(); out = model[0].weight.shape, len(model)",
    "conv2d": "conv = fixed(nn.Conv2d(3, 4, 3, padding=1)); out = conv(torch.tensor(IMG))",
    "conv2d-stride": "conv = fixed(nn.Conv2d(3, 2, kernel_size=3, stride=2)); out = conv(torch.tensor(IMG))",
    "batchnorm1d-train": "bn = nn.BatchNorm1d(4); out = bn(x), bn.running_mean, bn.running_var, bn.num_batches_tracked",
    "batchnorm2d-eval": "bn = fixed(nn.BatchNorm2d(3)); bn.eval(); out = bn(torch.tensor(IMG))",
    "dropout-eval-is-identity": "drop = nn.Dropout(p=0.5); drop.eval(); out = drop(x)",
    "activations": "out = nn.ReLU()(x), nn.LeakyReLU(0.1)(x), nn.GELU()(x), nn.Tanh()(x), nn.Sigmoid()(x), nn.SiLU()(x)",
    "relu-inplace-keyword": "out = nn.ReLU(inplace=True)(x.clone())",
    "softmax-module": "out = nn.Softmax(dim=1)(x)",
    "flatten-module": "out = nn.Flatten()(torch.tensor(IMG)).shape",
    "pooling": "i = torch.tensor(IMG); out = nn.MaxPool2d(2)(i), nn.AvgPool2d(2)(i), nn.AdaptiveAvgPool2d(1)(i)",
    "embedding": "emb = fixed(nn.Embedding(10, 3)); out = emb(torch.tensor([[1, 2], [9, 0]]))",
    "layernorm": "out = fixed(nn.LayerNorm(4))(x)",
    "parameter-count": "out = sum(p.numel() for p in mlp().parameters())",
    "named-parameters": "out = [(name, tuple(p.shape)) for name, p in mlp().named_parameters()]",
    "state-dict-keys": "out = list(mlp().state_dict().keys())",
    "train-eval-flags": "model = mlp(); model.eval(); a = model.training; model.train(); out = a, model.training",
    "forward-hook-features": "model = mlp(); feats = {}; model[1].register_forward_hook(lambda m, i, o: feats.update(relu=o)); model(x); out = feats['relu']",
    "forward-pre-hook-changes-input": "model = mlp(); model.register_forward_pre_hook(lambda m, args: (args[0] * 2,)); out = model(x)",
    "full-backward-hook": "model = mlp(); seen = []; model[2].register_full_backward_hook(lambda m, gi, go: seen.append((gi[0], go[0]))); model(x).pow(2).sum().backward(); out = seen[0]",
    "module-zero-grad": "model = mlp(); model(x).sum().backward(); model.zero_grad(); out = model[0].weight.grad",
    "subclass": """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(4, 6)
                self.fc2 = nn.Linear(6, 3)

            def forward(self, t):
                return self.fc2(F.relu(self.fc1(t)))

        out = fixed(Net())(x)
    """,
    "apply-init": """
        def init_weights(m):
            if isinstance(m, nn.Linear):
                nn.init.constant_(m.weight, 0.1)
                nn.init.zeros_(m.bias)
        model = mlp()
        model.apply(init_weights)
        out = model(x)
    """,
    "children-and-modules": "model = mlp(); out = len(list(model.children())), len(list(model.modules()))",
    "module-list": "layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)]); out = len(list(nn.Sequential(*layers).parameters()))",
    "parameter": "out = nn.Parameter(torch.zeros(3))",
    "register-buffer": """
        class Scale(nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("factor", torch.tensor([2.0]))

            def forward(self, t):
                return t * self.factor

        m = Scale()
        out = m(x), list(m.state_dict())
    """,
    "model-double": "out = mlp().double()(x.double())",
    "model-to-dtype": "out = mlp().to(torch.float64)[0].weight.dtype",
    "requires-grad-false-freezes": "model = mlp(); model[0].weight.requires_grad = False; model(x).sum().backward(); out = model[0].weight.grad, model[2].bias.grad",
    "clip-grad-norm": "model = mlp(); model(x).pow(2).sum().backward(); out = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0), model[0].bias.grad",
    "lstm-batch-first": "lstm = fixed(nn.LSTM(4, 5, batch_first=True)); output, (h, c) = lstm(torch.tensor(BATCH)); out = output, h, c",
    "gru-two-layers-bidirectional": "gru = fixed(nn.GRU(4, 3, num_layers=2, bidirectional=True)); out = gru(torch.tensor(BATCH))",
    "rnn-with-initial-state": "rnn = fixed(nn.RNN(4, 2, nonlinearity='relu')); out = rnn(torch.tensor(BATCH), torch.ones(1, 3, 2))",
    "lstm-last-step-classifier": "lstm = fixed(nn.LSTM(4, 5, batch_first=True)); head = fixed(nn.Linear(5, 3)); output, _ = lstm(torch.tensor(BATCH)); head(output[:, -1, :]).sum().backward(); out = lstm.weight_hh_l0.grad",
    "lstm-cell-loop": "cell = fixed(nn.LSTMCell(4, 3)); h = c = torch.zeros(2, 3)\nfor t in range(3):\n    h, c = cell(torch.tensor(BATCH)[:, t], (h, c))\nout = h, c",
    "lstm-state-dict-keys": "out = list(nn.LSTM(4, 3, num_layers=2, proj_size=2).state_dict())",
    "pack-padded-lstm": "lstm = fixed(nn.LSTM(4, 3)); packed = nn.utils.rnn.pack_padded_sequence(torch.tensor(BATCH).transpose(0, 1), [2, 3], enforce_sorted=False); output, (h, c) = lstm(packed); out = nn.utils.rnn.pad_packed_sequence(output), h",
    "multihead-self-attention": "mha = fixed(nn.MultiheadAttention(4, 2, batch_first=True)); out = mha(torch.tensor(BATCH), torch.tensor(BATCH), torch.tensor(BATCH))",
    "multihead-causal-mask": "mha = fixed(nn.MultiheadAttention(4, 2)); mask = torch.triu(torch.ones(2, 2, dtype=torch.bool), diagonal=1); x = torch.tensor(BATCH); out = mha(x, x, x, attn_mask=mask, need_weights=False)[0]",
    "sdpa-causal": "q = torch.tensor(BATCH).reshape(1, 2, 3, 4); out = F.scaled_dot_product_attention(q, q, q, is_causal=True)",
    "transformer-encoder": "layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0, batch_first=True); enc = fixed(nn.TransformerEncoder(layer, 2)); out = enc(torch.tensor(BATCH))",
    "transformer-causal-decoder": "dec = fixed(nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0), 1)); tgt = torch.tensor(BATCH); mask = nn.Transformer.generate_square_subsequent_mask(2); out = dec(tgt, tgt, tgt_mask=mask)",
    "legacy-new-sizes": "out = x.new(2, 3).shape, x.new(x.size()).shape, x.new([1.0, 2.0]), x.new().shape",
    "legacy-variable": "v = torch.autograd.Variable(x, requires_grad=True); out = v.requires_grad, x.requires_grad",
    "size-equals-torch-size": "out = x.size() == torch.Size([3, 4])",
    "where-with-the-condition-alone": "out = torch.where(x > 0)",
    "tensor-where": "out = x.where(x > 0, torch.zeros(3, 4))",
    "embedding-from-pretrained": "table = nn.Embedding.from_pretrained(torch.tensor(A), freeze=True); out = table(torch.tensor(Y)), table.weight.requires_grad",
    "pad-sequence": "out = nn.utils.rnn.pad_sequence([torch.ones(2, 3), torch.ones(4, 3)], batch_first=True, padding_value=-1.0)",
    "more-activation-modules": "out = nn.ReLU6()(x * 4), nn.Hardtanh(-0.5, 0.5)(x), nn.SELU()(x), nn.CELU(0.5)(x), nn.Mish()(x), nn.Hardswish()(x * 3), nn.Hardsigmoid()(x * 3), nn.LogSigmoid()(x), nn.Softsign()(x), nn.Tanhshrink()(x), nn.GLU()(x), nn.Softmin(dim=1)(x), nn.Threshold(0.1, 20.0)(x), nn.Hardshrink()(x), nn.Softshrink(0.3)(x)",
    "activation-reprs": "out = [repr(m) for m in (nn.ReLU6(inplace=True), nn.Hardtanh(-2, 2), nn.CELU(0.5), nn.GLU(1), nn.Softmin(1), nn.Hardshrink(0.3), nn.Threshold(0.1, 20), nn.PReLU(4), nn.RReLU(), nn.ELU(inplace=True))]",
    "prelu-learns-its-weight": "m = nn.PReLU(4, init=0.1); z = torch.tensor(A, requires_grad=True); m(z).sum().backward(); out = z.grad, m.weight.grad, [n for n, _ in m.named_parameters()]",
    "rrelu-eval-is-the-mean-slope": "m = nn.RReLU(0.1, 0.3); m.eval(); out = m(x)",
}

FUNCTIONAL = {
    "relu": "F.relu(x)",
    "softmax": "F.softmax(x, dim=1)",
    "log-softmax": "F.log_softmax(x, dim=-1)",
    "leaky-relu": "F.leaky_relu(x, 0.2)",
    "gelu-silu": "F.gelu(x), F.silu(x)",
    "one-hot": "F.one_hot(torch.tensor(Y), num_classes=3)",
    "pad": "F.pad(x, (1, 2))",
    "dropout-not-training": "F.dropout(x, p=0.5, training=False)",
    "linear": "F.linear(x, torch.tensor(W.T.copy()))",
    "conv2d": "F.conv2d(torch.tensor(IMG), torch.ones(2, 3, 3, 3), padding=1)",
    "max-pool2d": "F.max_pool2d(torch.tensor(IMG), 2)",
    "avg-pool2d": "F.avg_pool2d(torch.tensor(IMG), kernel_size=2, stride=1)",
    "normalize": "F.normalize(x, dim=1)",
    "softplus": "F.softplus(x)",
    "elu": "F.elu(x)",
    "interpolate-nearest": "F.interpolate(torch.tensor(IMG), scale_factor=2, mode='nearest')",
    "interpolate-bilinear": "F.interpolate(torch.tensor(IMG), size=(7, 8), mode='bilinear', align_corners=False)",
    "upsample-module": "nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)(torch.tensor(IMG))",
    "more-activations": "F.relu6(x * 4), F.hardtanh(x, -0.5, 0.5), F.selu(x), F.celu(x, alpha=0.5), F.glu(x, dim=-1), F.logsigmoid(x), F.softsign(x), F.softmin(x, dim=1), F.mish(x), F.hardswish(x * 3), F.hardsigmoid(x * 3)",
    "shrink-threshold": "F.hardshrink(x, 0.3), F.softshrink(x), F.tanhshrink(x), F.threshold(x, 0.1, -1.0)",
    "prelu-rrelu-eval": "F.prelu(x, torch.tensor([0.1, 0.2, 0.3, 0.4])), F.rrelu(x), F.elu(x.clone(), alpha=0.5, inplace=True)",
    "gumbel-softmax-hard-is-one-hot": "out = F.gumbel_softmax(x, tau=0.5, hard=True).sum(dim=-1), F.gumbel_softmax(x).shape",
}

LOSSES = {
    "cross-entropy": "F.cross_entropy(x, torch.tensor(Y))",
    "cross-entropy-module-sum": "nn.CrossEntropyLoss(reduction='sum')(x, torch.tensor(Y))",
    "cross-entropy-none": "nn.CrossEntropyLoss(reduction='none')(x, torch.tensor(Y))",
    "cross-entropy-weight": "nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.0]))(x, torch.tensor(Y))",
    "cross-entropy-ignore-index": "F.cross_entropy(x, torch.tensor([0, -100, 1]), ignore_index=-100)",
    "cross-entropy-label-smoothing": "F.cross_entropy(x, torch.tensor(Y), label_smoothing=0.1)",
    "nll-of-log-softmax": "F.nll_loss(F.log_softmax(x, dim=1), torch.tensor(Y))",
    "mse": "F.mse_loss(x, y), nn.MSELoss(reduction='sum')(x, y)",
    "l1-smooth-l1": "nn.L1Loss()(x, y), F.smooth_l1_loss(x, y, beta=0.5)",
    "bce-with-logits": "nn.BCEWithLogitsLoss()(x, (y > 0).float())",
    "bce": "F.binary_cross_entropy(torch.sigmoid(x), (y > 0).float(), reduction='sum')",
    "loss-backward": "w = torch.tensor(A, requires_grad=True); F.cross_entropy(w, torch.tensor(Y)).backward(); out = w.grad",
    "kl-div-batchmean": "F.kl_div(F.log_softmax(x, dim=1), F.softmax(y, dim=1), reduction='batchmean')",
    "kl-div-loss-log-target-backward": "w = torch.tensor(A, requires_grad=True); nn.KLDivLoss(reduction='batchmean', log_target=True)(F.log_softmax(w, dim=1), F.log_softmax(y, dim=1)).backward(); out = w.grad",
    "cosine-similarity": "F.cosine_similarity(x, y), nn.CosineSimilarity(dim=0)(x, y), F.cosine_similarity(x, torch.zeros(4), dim=-1)",
    "pairwise-distance": "F.pairwise_distance(x, y), nn.PairwiseDistance(p=1)(x, y)",
    "cdist": "torch.cdist(x, y), torch.cdist(torch.tensor(BATCH), torch.tensor(BATCH), p=1)",
    "triplet-margin": "nn.TripletMarginLoss(margin=1.0, p=2)(x, y, torch.flip(x, [0]))",
    "gaussian-nll": "nn.GaussianNLLLoss()(x, y, torch.ones(3, 1))",
    "poisson-nll": "F.poisson_nll_loss(x, y.abs(), full=True)",
    "margin-ranking": "nn.MarginRankingLoss(margin=0.1)(x[:, 0], x[:, 1], torch.tensor([1.0, -1.0, 1.0]))",
    "multi-margin": "nn.MultiMarginLoss()(x, torch.tensor(Y))",
    "cosine-embedding": "nn.CosineEmbeddingLoss(margin=0.2)(x, y, torch.tensor([1, -1, 1]))",
    "multilabel-soft-margin": "nn.MultiLabelSoftMarginLoss()(x, (y > 0).float())",
}

OPTIMIZERS = {
    "sgd-momentum-training": "model = mlp(); out = train(model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4))",
    "sgd-nesterov": "model = mlp(); out = train(model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True))",
    "adam-training": "model = mlp(); out = train(model, optim.Adam(model.parameters(), lr=1e-2)), model[0].weight",
    "adamw-training": "model = mlp(); out = train(model, optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1))",
    "rmsprop-training": "model = mlp(); out = train(model, optim.RMSprop(model.parameters(), lr=1e-3))",
    "adagrad-training": "model = mlp(); out = train(model, optim.Adagrad(model.parameters(), lr=0.1))",
    "zero-grad-sets-none": "model = mlp(); o = optim.SGD(model.parameters(), lr=0.1); model(x).sum().backward(); o.zero_grad(); out = model[0].weight.grad",
    "param-groups": """
        model = mlp()
        o = optim.SGD([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.01}], lr=0.1, momentum=0.9)
        out = train(model, o), [g["lr"] for g in o.param_groups]
    """,
    "set-lr-by-hand": "model = mlp(); o = optim.SGD(model.parameters(), lr=0.1)\nfor g in o.param_groups:\n    g['lr'] = 0.05\nout = train(model, o)",
    "state-dict-lr": "o = optim.Adam(mlp().parameters(), lr=3e-4); out = o.state_dict()['param_groups'][0]['lr']",
    "optimizer-state-round-trip": """
        model = mlp(); o = optim.Adam(model.parameters(), lr=1e-2); train(model, o, steps=2)
        o2 = optim.Adam(model.parameters(), lr=1e-2); o2.load_state_dict(o.state_dict())
        out = train(model, o2, steps=2)
    """,
    "step-with-closure": """
        model = mlp(); o = optim.SGD(model.parameters(), lr=0.1)
        def closure():
            o.zero_grad()
            loss = F.cross_entropy(model(torch.tensor(XS)), torch.tensor(YS))
            loss.backward()
            return loss
        out = o.step(closure).item(), o.step(closure).item()
    """,
    "lbfgs-closure": """
        model = mlp(); o = optim.LBFGS(model.parameters(), lr=0.5, max_iter=4)
        def closure():
            o.zero_grad()
            loss = F.cross_entropy(model(torch.tensor(XS)), torch.tensor(YS))
            loss.backward()
            return loss
        out = [o.step(closure).item() for _ in range(2)]
    """,
    "lbfgs-strong-wolfe": """
        model = mlp(); o = optim.LBFGS(model.parameters(), history_size=5, max_iter=4, line_search_fn="strong_wolfe")
        def closure():
            o.zero_grad()
            loss = F.cross_entropy(model(torch.tensor(XS)), torch.tensor(YS))
            loss.backward()
            return loss
        out = [o.step(closure).item() for _ in range(2)], model[0].weight
    """,
    "lbfgs-state-keys": """
        model = mlp(); o = optim.LBFGS(model.parameters(), max_iter=3)
        def closure():
            o.zero_grad(); loss = F.cross_entropy(model(torch.tensor(XS)), torch.tensor(YS)); loss.backward(); return loss
        o.step(closure)
        out = list(o.state_dict()["state"][0]), o.state_dict()["state"][0]["n_iter"]
    """,
    "lbfgs-two-groups-raises": "m = mlp(); optim.LBFGS([{'params': m[0].parameters()}, {'params': m[2].parameters()}])",
}

SCHEDULERS = {
    "step-lr": "o = optim.SGD(mlp().parameters(), lr=1.0); out = lrs(o, lr_scheduler.StepLR(o, step_size=3, gamma=0.5))",
    "multi-step-lr": "o = optim.SGD(mlp().parameters(), lr=1.0); out = lrs(o, lr_scheduler.MultiStepLR(o, milestones=[2, 5]))",
    "exponential-lr": "o = optim.SGD(mlp().parameters(), lr=1.0); out = lrs(o, lr_scheduler.ExponentialLR(o, gamma=0.9))",
    "cosine-lr": "o = optim.SGD(mlp().parameters(), lr=1.0); out = lrs(o, lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=0.01))",
    "lambda-lr": "o = optim.SGD(mlp().parameters(), lr=1.0); out = lrs(o, lr_scheduler.LambdaLR(o, lambda e: 0.95 ** e))",
    "get-last-lr": "o = optim.SGD(mlp().parameters(), lr=1.0); s = lr_scheduler.StepLR(o, 1, 0.5); o.step(); s.step(); out = s.get_last_lr()",
    "one-cycle-lr": "o = optim.SGD(mlp().parameters(), lr=0.1, momentum=0.9); out = lrs(o, lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=8))",
    "reduce-on-plateau": """
        o = optim.SGD(mlp().parameters(), lr=1.0)
        s = lr_scheduler.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=1)
        out = []
        for loss in [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85]:
            o.step(); s.step(loss); out.append(o.param_groups[0]["lr"])
    """,
    "resume-optimizer-loaded-first": """
        o = optim.SGD(mlp().parameters(), lr=1.0); s = lr_scheduler.StepLR(o, 2, 0.5)
        for _ in range(3):
            o.step(); s.step()
        saved = o.state_dict(), s.state_dict()
        o2 = optim.SGD(mlp().parameters(), lr=1.0); o2.load_state_dict(saved[0])
        s2 = lr_scheduler.StepLR(o2, 2, 0.5); s2.load_state_dict(saved[1])
        out = lrs(o2, s2, epochs=4)
    """,
    "two-schedulers-compose": "o = optim.SGD(mlp().parameters(), lr=1.0); a = lr_scheduler.StepLR(o, 2, 0.5); b = lr_scheduler.ExponentialLR(o, 0.9); out = [o.param_groups[0]['lr'] for _ in range(5) if (o.step(), a.step(), b.step())]",
    "last-epoch": """
        o = optim.SGD(mlp().parameters(), lr=1.0)
        first = lr_scheduler.StepLR(o, step_size=2, gamma=0.5)
        for _ in range(3):
            o.step(); first.step()
        out = lrs(o, lr_scheduler.StepLR(o, step_size=2, gamma=0.5, last_epoch=3))
    """,
    "linear-warmup": "o = optim.SGD(mlp().parameters(), lr=1.0); out = lrs(o, lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=4))",
    "constant-lr": "o = optim.SGD(mlp().parameters(), lr=1.0); out = lrs(o, lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3))",
    "polynomial-lr": "o = optim.SGD(mlp().parameters(), lr=1.0); out = lrs(o, lr_scheduler.PolynomialLR(o, total_iters=6, power=2.0))",
    "warmup-then-cosine": """
        o = optim.SGD(mlp().parameters(), lr=1.0)
        warmup = lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=3)
        cosine = lr_scheduler.CosineAnnealingLR(o, T_max=5)
        out = lrs(o, lr_scheduler.SequentialLR(o, schedulers=[warmup, cosine], milestones=[3]), epochs=10)
    """,
    "chained-scheduler": "o = optim.SGD(mlp().parameters(), lr=1.0); out = lrs(o, lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(o, factor=0.5, total_iters=2), lr_scheduler.ExponentialLR(o, gamma=0.9)]))",
    "cosine-warm-restarts": "o = optim.SGD(mlp().parameters(), lr=1.0); out = lrs(o, lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01), epochs=12)",
    "warm-restarts-per-batch": """
        o = optim.SGD(mlp().parameters(), lr=1.0); s = lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2)
        out = []
        for epoch in range(3):
            for i in range(4):
                o.step(); s.step(epoch + i / 4); out.append(s.get_last_lr()[0])
    """,
    "cyclic-lr": "o = optim.SGD(mlp().parameters(), lr=0.1, momentum=0.9); s = lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2); out = lrs(o, s), o.param_groups[0]['momentum']",
    "sequential-lr-state-round-trip": """
        o = optim.SGD(mlp().parameters(), lr=1.0)
        s = lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, total_iters=2), lr_scheduler.StepLR(o, 2, 0.5)], milestones=[2])
        lrs(o, s, epochs=3)
        saved = o.state_dict(), s.state_dict()
        o2 = optim.SGD(mlp().parameters(), lr=1.0)
        s2 = lr_scheduler.SequentialLR(o2, [lr_scheduler.LinearLR(o2, total_iters=2), lr_scheduler.StepLR(o2, 2, 0.5)], milestones=[2])
        s2.load_state_dict(saved[1]); o2.load_state_dict(saved[0])
        out = lrs(o2, s2, epochs=5)
    """,
    "plateau-state-dict-keys": "o = optim.SGD(mlp().parameters(), lr=1.0); out = sorted(lr_scheduler.ReduceLROnPlateau(o).state_dict())",
}

STATE = {
    "state-dict-round-trip": "a = mlp(); b = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)); b.load_state_dict(a.state_dict()); out = b(x)",
    "state-dict-values": "out = mlp().state_dict()['2.bias']",
    "save-load-state-dict": """
        torch.save(mlp().state_dict(), tmp + "/model.pt")
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        model.load_state_dict(torch.load(tmp + "/model.pt"))
        out = model(x)
    """,
    "save-load-checkpoint-dict": """
        model = mlp(); o = optim.SGD(model.parameters(), lr=0.1, momentum=0.9); train(model, o, steps=1)
        torch.save({"epoch": 3, "model": model.state_dict(), "optimizer": o.state_dict()}, tmp + "/ckpt.pt")
        ckpt = torch.load(tmp + "/ckpt.pt")
        o.load_state_dict(ckpt["optimizer"])
        out = ckpt["epoch"], train(model, o, steps=2)
    """,
    "load-strict-false": "r = nn.Linear(4, 3).load_state_dict({'weight': torch.zeros(3, 4)}, strict=False); out = list(r.missing_keys), list(r.unexpected_keys)",
    "load-missing-key-raises": "nn.Linear(4, 3).load_state_dict({'weight': torch.zeros(3, 4)})",
}

DATA = {
    "tensor-dataset": "ds = TensorDataset(torch.tensor(XS), torch.tensor(YS)); out = len(ds), ds[0]",
    "dataloader-batches": "out = [(xb.shape, yb) for xb, yb in DataLoader(TensorDataset(torch.tensor(XS), torch.tensor(YS)), batch_size=5)]",
    "dataloader-drop-last-len": "out = len(DataLoader(TensorDataset(torch.tensor(XS)), batch_size=5, drop_last=True))",
    "random-sampler-order": "g = torch.Generator().manual_seed(3); out = [yb for _, yb in DataLoader(TensorDataset(torch.tensor(XS), torch.tensor(YS)), batch_size=4, sampler=data.RandomSampler(range(16), generator=g))]",
    "weighted-sampler-draws": "g = torch.Generator().manual_seed(5); out = list(data.WeightedRandomSampler([0.1, 2.0, 0.5, 1.0], 12, generator=g))",
    "batch-sampler-loader": "bs = data.BatchSampler(data.SequentialSampler(range(16)), batch_size=6, drop_last=True); out = len(DataLoader(TensorDataset(torch.tensor(XS)), batch_sampler=bs)), [xb[0].shape for xb in DataLoader(TensorDataset(torch.tensor(XS)), batch_sampler=bs)]",
    "dataloader-len": "out = len(DataLoader(TensorDataset(torch.tensor(XS)), batch_size=5))",
    "dataset-subclass": """
        class Squares(Dataset):
            def __len__(self):
                return 6

            def __getitem__(self, i):
                return torch.tensor([float(i)]), i * i

        out = [(a, b) for a, b in DataLoader(Squares(), batch_size=4)]
    """,
    "duck-typed-dataset": """
        class Pairs:
            def __len__(self):
                return 5

            def __getitem__(self, i):
                return torch.ones(2) * i, i

        out = [(a, b) for a, b in DataLoader(Pairs(), batch_size=2)]
    """,
    "tensor-as-dataset": "out = list(DataLoader(torch.arange(12.0).view(6, 2), batch_size=4))",
    "list-of-tuples-dataset": "out = list(DataLoader([(1, 2.0), (3, 4.0), (5, 6.0)], batch_size=2))",
    "dict-samples": "out = next(iter(DataLoader([{'x': torch.ones(2) * i, 'y': i} for i in range(4)], batch_size=3)))",
    "concat-dataset": "ds = ConcatDataset([TensorDataset(torch.arange(3)), TensorDataset(torch.arange(10, 14))]); out = len(ds), ds[4], ds[-1], ds.cumulative_sizes, list(DataLoader(ds, batch_size=3))",
    "collate-fn": "out = list(DataLoader(TensorDataset(torch.arange(5)), batch_size=2, collate_fn=lambda samples: len(samples)))",
    "random-split-lengths": "torch.manual_seed(0); a, b = random_split(TensorDataset(torch.tensor(XS)), [12, 4]); out = len(a), len(b)",
    "random-split-covers": "a, b = random_split(range(10), [0.7, 0.3]); out = sorted(list(a) + list(b))",
    "shuffle-covers-all": "out = sorted(int(v) for (xb,) in DataLoader(TensorDataset(torch.arange(10)), batch_size=3, shuffle=True) for v in xb)",
    "loader-generator-reproducible": """
        ds = TensorDataset(torch.arange(10))
        orders = [[xb.tolist() for (xb,) in DataLoader(ds, batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(0))] for _ in range(2)]
        out = orders[0] == orders[1]
    """,
    "training-loop": """
        model = mlp(); o = optim.SGD(model.parameters(), lr=0.1)
        out = []
        for xb, yb in DataLoader(TensorDataset(torch.tensor(XS), torch.tensor(YS)), batch_size=4):
            o.zero_grad(); loss = F.cross_entropy(model(xb), yb); loss.backward(); o.step(); out.append(loss.item())
    """,
    "evaluation-loop": """
        model = mlp(); model.eval(); correct = 0; total = 0
        with torch.no_grad():
            for xb, yb in DataLoader(TensorDataset(torch.tensor(XS), torch.tensor(YS)), batch_size=4):
                _, predicted = torch.max(model(xb).data, 1)
                total += yb.size(0)
                correct += (predicted == yb).sum().item()
        out = correct, total
    """,
    "iterable-dataset-batches": """
        class Stream(data.IterableDataset):
            def __iter__(self):
                return iter(range(7))

        out = list(DataLoader(Stream(), batch_size=3)), list(DataLoader(Stream(), batch_size=3, drop_last=True)), list(DataLoader(Stream(), batch_size=None))
    """,
    "iterable-dataset-split-by-worker": """
        class Shards(data.IterableDataset):
            def __iter__(self):
                info = data.get_worker_info()
                return iter(range(info.id, 9, info.num_workers))

        out = list(DataLoader(Shards(), batch_size=2, num_workers=2))
    """,
    "worker-init-fn-seeds-numpy": """
        def init(worker_id):
            np.random.seed(data.get_worker_info().seed % 2**32)

        class Noisy(Dataset):
            def __len__(self):
                return 6

            def __getitem__(self, i):
                return float(np.random.rand())

        out = list(DataLoader(Noisy(), batch_size=2, num_workers=2, worker_init_fn=init, generator=torch.Generator().manual_seed(0)))
    """,
    "chain-dataset": """
        class Count(data.IterableDataset):
            def __init__(self, n):
                self.n = n

            def __iter__(self):
                return iter(range(self.n))

            def __len__(self):
                return self.n

        chain = data.ChainDataset([Count(3), Count(2)])
        out = len(chain), list(DataLoader(chain, batch_size=2)), len(DataLoader(chain, batch_size=2))
    """,
}

RANDOM = {
    "cudnn-seeding-boilerplate": "torch.manual_seed(0); torch.backends.cudnn.deterministic = True; torch.backends.cudnn.benchmark = False; out = torch.backends.cudnn.deterministic",
    "seed-repeats-randn": "torch.manual_seed(0); a = torch.randn(3); torch.manual_seed(0); out = torch.equal(a, torch.randn(3))",
    "randn-shape-dtype": "t = torch.randn(2, 3); out = t.shape, t.dtype",
    "rand-in-unit-interval": "t = torch.rand(100); out = bool((t >= 0).all() and (t < 1).all()), t.dtype",
    "randint": "t = torch.randint(0, 10, (50,)); out = t.dtype, bool((t >= 0).all() and (t < 10).all())",
    "randperm": "out = sorted(torch.randperm(6).tolist())",
    "randn-like": "out = torch.randn_like(x).shape",
    "generator-repeats": "a = torch.randn(3, generator=torch.Generator().manual_seed(1)); b = torch.randn(3, generator=torch.Generator().manual_seed(1)); out = torch.equal(a, b)",
    "seed-repeats-init": "torch.manual_seed(0); a = nn.Linear(4, 3).weight; torch.manual_seed(0); out = torch.equal(a, nn.Linear(4, 3).weight)",
    "seed-repeats-dropout": "d = nn.Dropout(0.5); torch.manual_seed(0); a = d(torch.ones(20)); torch.manual_seed(0); out = torch.equal(a, d(torch.ones(20)))",
    "dropout-train-scales": "d = nn.Dropout(0.5); t = d(torch.ones(1000)); out = sorted(set(t.tolist()))",
}

UTILITIES = {
    "repeat-interleave": "torch.repeat_interleave(torch.tensor(Y), 2), x.repeat_interleave(torch.tensor([1, 0, 2]), dim=0)",
    "tile-narrow-select": "x.tile(2, 1), torch.narrow(x, 1, 1, 2), x.select(1, -1)",
    "movedim-unflatten": "torch.tensor(BATCH).movedim(-1, 0), torch.moveaxis(torch.tensor(BATCH), 0, -1).shape, torch.tensor(IMG).flatten(2).unflatten(2, (5, 5)).shape",
    "tensor-split": "x.tensor_split(3, dim=1), torch.tensor_split(x, [1, 2])",
    "broadcast-tensors": "torch.broadcast_tensors(x, torch.tensor(V)), torch.broadcast_to(torch.tensor(V), (2, 4))",
    "stacks": "torch.hstack([x, y]), torch.vstack([x, y]), torch.column_stack([torch.tensor(V), torch.tensor(V)]), torch.dstack([x, y]).shape, torch.atleast_2d(torch.tensor(V)).shape",
    "meshgrid-xy": "torch.meshgrid(torch.arange(3), torch.arange(2), indexing='xy')",
    "cartesian-prod-block-diag": "torch.cartesian_prod(torch.tensor(Y), torch.arange(2)), torch.block_diag(x[:2, :2], torch.tensor(V))",
    "diag-diagonal-trace": "torch.diag(torch.tensor(V)), x.diag(), torch.tensor(BATCH).diagonal(dim1=1, dim2=2), torch.diag_embed(x).shape, x[:, :3].trace()",
    "upper-triangle-by-indices": "i = torch.triu_indices(3, 3, 1); out = i, x[:, :3][i[0], i[1]], torch.tril_indices(3, 4)",
    "rot90-and-flips": "torch.rot90(x), x.fliplr(), torch.flipud(x)",
    "take-along-dim": "i = x.argsort(dim=1)[:, :2]; out = torch.take_along_dim(x, i, dim=1), x.take(torch.tensor([0, 11]))",
    "masked-select": "x.masked_select(x > 0), torch.masked_select(x, torch.tensor([True, False, True, False]))",
    "index-fill-copy": "x.index_fill(1, torch.tensor([0, 2]), -1.0), x.index_copy(0, torch.tensor([2, 0]), y[:2])",
    "scatter-reduce": "i = torch.tensor(YS); v = torch.tensor(XS[:, 0]); out = torch.zeros(3).scatter_reduce(0, i, v, reduce='amax', include_self=False), torch.ones(3).scatter_reduce(0, i, v, 'mean')",
    "isin-searchsorted-bucketize": "torch.isin(torch.tensor(YS), torch.tensor([0, 2])), torch.searchsorted(torch.tensor([0.0, 0.5, 1.0]), x), torch.bucketize(x, torch.tensor([0.0, 1.0]))",
    "count-nonzero-histc": "torch.count_nonzero(x > 0, dim=1), torch.histc(x, bins=4, min=-1, max=2)",
    "flip-dims-by-name": "torch.flip(x, dims=[1]), x.flip(dims=(0,)), x.flip(0, 1), torch.flip(x, (0, 1))",
    "flip-without-dims": "x.flip()",
    "random-split-indices-join": "a, b = torch.utils.data.random_split(range(10), [6, 4], generator=torch.Generator().manual_seed(1)); out = torch.tensor(a.indices + b.indices)",
    "cov-corrcoef": "torch.cov(x), torch.cov(x.T, correction=0), torch.corrcoef(x), x.cov(aweights=torch.tensor(V).abs())",
    "distance-matrix-fill-diagonal": "d = torch.cdist(x, x); d.fill_diagonal_(float('inf')); out = d, d.min(dim=1).indices",
    "freeze-batchnorm-by-base-class": "m = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4)); out = [type(l).__name__ for l in m.modules() if isinstance(l, nn.modules.batchnorm._BatchNorm)]",
    "linalg-decompositions": "a = x[:, :3] @ x[:, :3].T + torch.eye(3); out = torch.linalg.cholesky(a), torch.linalg.eigvalsh(a), torch.linalg.svdvals(x), torch.linalg.qr(x[:, :3]).R.abs(), torch.linalg.slogdet(a)",
    "det-inverse-matrix-power": "a = x[:, :3] + torch.eye(3) * 2; out = torch.det(a), a.inverse(), a.matrix_power(3), torch.logdet(a @ a.T)",
    "diagonal-is-a-view": "z = x.clone(); z.diagonal().fill_(9.0); k = torch.eye(3); k.diagonal().add_(0.5); w = torch.zeros(2, 3, 3); torch.diagonal(w, dim1=-2, dim2=-1).copy_(torch.ones(2, 3)); out = z, k, w",
    "repeat-result-is-writable": "r = torch.tensor(V).repeat(3, 1); r[0, 0] = 100.0; r.add_(1); out = r, r.stride()",
    "index-put-confusion-matrix": "cm = torch.zeros(3, 3, dtype=torch.long); cm.index_put_((torch.tensor(Y), torch.tensor([0, 0, 1])), torch.ones(3, dtype=torch.long), accumulate=True); out = cm, x.index_put((torch.tensor([1]),), torch.tensor(V))",
    "sliding-windows-mT-trapz": "out = torch.tensor(IMG).unfold(2, 2, 2).unfold(3, 2, 2).shape, x.unfold(1, 2, 1), torch.tensor(BATCH).mT, torch.trapz(x, dim=1)",
    "grad-only-inputs-materialize": "w = torch.tensor(V, requires_grad=True); u = torch.ones(2, requires_grad=True); out = torch.autograd.grad((w * w).sum(), [w, u], only_inputs=True, materialize_grads=True)",
    "embedding-bag-classifier": "bag = nn.EmbeddingBag.from_pretrained(torch.tensor(W[:, :2] + 1.0), mode='mean', freeze=False); out = bag(torch.tensor([0, 1, 3, 2]), torch.tensor([0, 3])), F.embedding_bag(torch.tensor([[0, 1], [2, 2]]), bag.weight, mode='max')",
    "histogram": "torch.histogram(x, bins=4), x.histogram(torch.tensor([-1.0, 0.0, 2.0]), weight=y.abs(), density=True)",
    "scatter-into-slices": "torch.zeros(3, 4).select_scatter(torch.ones(4), 0, 1), x.diagonal_scatter(torch.zeros(3)), torch.zeros(3, 4).slice_scatter(y[:, :2], dim=1, start=2)",
    "index-fill-copy-scatter-reduce-in-place": "z = x.clone(); z.index_fill_(1, torch.tensor([0, 2]), -1.0).index_copy_(0, torch.tensor([1]), y[:1]); out = z, torch.zeros(3).scatter_reduce_(0, torch.tensor(YS), torch.tensor(XS[:, 1]), 'amax')",
    "cross-entropy-int32-targets-refused": "F.cross_entropy(x, torch.tensor(Y).int())",
    "running-reductions": "x.cumprod(dim=1), torch.cummax(x, dim=0), x.cummin(1).indices, torch.logcumsumexp(x, dim=1)",
    "diff-trapezoid": "torch.diff(x, dim=1), x.diff(n=2, prepend=torch.zeros(3, 1)), torch.trapezoid(x), torch.trapezoid(x, dx=0.5, dim=0)",
    "median-quantile-kthvalue": "x.median(), x.median(dim=1), torch.quantile(x, 0.25, dim=0), x.quantile(torch.tensor([0.1, 0.9]), interpolation='nearest'), x.kthvalue(2, dim=1)",
    "mode": "torch.tensor([[1, 2, 2, 3], [4, 4, 1, 1]]).mode(dim=1)",
    "nan-reductions": "z = torch.tensor([1.0, float('nan'), 3.0]); out = z.nansum(), torch.nanmean(z), z.nanmedian(), torch.nanquantile(z, 0.5)",
    "var-mean-std-mean": "torch.var_mean(x, dim=0), torch.std_mean(x, dim=1, correction=0)",
    "addmm-baddbmm-mv": "b = torch.tensor(BATCH); out = torch.addmm(torch.tensor(W[0]), x, torch.tensor(W)), torch.baddbmm(torch.zeros(2, 3, 3), b, b.transpose(1, 2), alpha=0.5), torch.mv(x, torch.tensor(V))",
    "tensordot-inner-kron-cross-dist": "torch.tensordot(x, torch.tensor(W), dims=1), torch.inner(x, y), torch.kron(torch.eye(2), torch.ones(2, 2)), torch.cross(x[:, :3], y[:, :3], dim=1), torch.dist(x, y), x.dist(y, 1)",
    "cumprod-gradient-at-zero": "w = torch.tensor([2.0, 0.0, 3.0], requires_grad=True); w.cumprod(0).sum().backward(); out = w.grad",
    "median-gradient-shared-by-ties": "w = torch.tensor([1.0, 2.0, 2.0, 3.0], requires_grad=True); w.median().backward(); out = w.grad",
    "quantile-of-int-raises": "torch.arange(4).quantile(0.5)",
    "parameter-list-and-dict": "out = [(n, tuple(p.shape)) for n, p in nn.ParameterList([nn.Parameter(torch.ones(2)), torch.zeros(3)]).named_parameters()], list(nn.ParameterDict({'a': torch.ones(1)}).state_dict())",
    "unflatten-module": "out = nn.Sequential(nn.Flatten(), nn.Unflatten(1, (2, 6)))(torch.tensor(BATCH)).shape",
    "state-dict-metadata-and-hooks": "m = mlp(); seen = []; m.register_state_dict_pre_hook(lambda mod, prefix, keep: seen.append(prefix)); sd = m.state_dict(); meta = {k: dict(v) for k, v in sd._metadata.items()}; out = meta, seen, m.load_state_dict(sd, assign=True).missing_keys",
    "load-pre-hook-renames-keys": "m = mlp(); sd = {k.replace('0.', 'first.', 1) if k.startswith('0.') else k: v for k, v in m.state_dict().items()}; m.register_load_state_dict_pre_hook(lambda mod, d, prefix, *rest: [d.__setitem__(k.replace('first.', '0.', 1), d.pop(k)) for k in list(d) if k.startswith('first.')]); out = str(m.load_state_dict(sd))",
    "batchnorm-checkpoint-without-counter": "bn = nn.BatchNorm1d(4); bn(torch.tensor(XS)); sd = {k: v for k, v in bn.state_dict().items() if k != 'num_batches_tracked'}; out = str(bn.load_state_dict(sd)), bn.num_batches_tracked",
    "embedding-max-norm-and-frequency": "w = torch.tensor(W * 3, requires_grad=True); e = F.embedding(torch.tensor([[0, 1, 1], [3, 1, 0]]), w, max_norm=1.0, scale_grad_by_freq=True); e.sum().backward(); out = e, w.detach(), w.grad",
    "transformed-distribution": "d = torch.distributions.TransformedDistribution(torch.distributions.Normal(torch.zeros(2), torch.ones(2)), [torch.distributions.transforms.AffineTransform(1.0, 2.0), torch.distributions.transforms.ExpTransform()]); out = d.log_prob(torch.tensor([1.5, 4.0])), torch.distributions.biject_to(torch.distributions.constraints.positive)(torch.tensor(V))",
    "solve-triangular-lstsq-matrix-exp": "a = torch.tensor(W[:3, :]).T @ torch.tensor(W[:3, :]) + torch.eye(2); l = torch.linalg.cholesky(a); out = torch.linalg.solve_triangular(l, torch.ones(2, 1), upper=False), torch.cholesky_solve(torch.ones(2, 1), l), torch.linalg.lstsq(torch.tensor(W), torch.tensor(V)).solution, torch.linalg.matrix_exp(a / 4)",
}

GROUPS = {
    "creation": CREATION, "dtypes": DTYPES_AND_DEVICES, "indexing": INDEXING, "reductions": REDUCTIONS,
    "shapes": SHAPES, "elementwise": ELEMENTWISE, "comparisons": COMPARISONS, "matmul": MATMUL,
    "in-place": IN_PLACE, "grad-modes": GRAD_MODES, "autograd": AUTOGRAD, "leaving": LEAVING,
    "modules": MODULES, "functional": FUNCTIONAL, "losses": LOSSES, "optimizers": OPTIMIZERS,
    "schedulers": SCHEDULERS, "state": STATE, "data": DATA, "random": RANDOM,
    "utilities": UTILITIES,
}

# Idioms that do not give PyTorch's result yet, with the reason (docs/porting.md lists them).
NOT_YET = {
    "creation/Tensor-from-list": "Tensor(data) keeps the dtype of its data, as torch.as_tensor does: Tensor([1, 2]) is int64",
    "dtypes/device-equals-string": "a device equals its name here, so x.device == 'cpu' is True (False in PyTorch 2)",
    "leaving/numpy-of-grad-tensor-raises": ".numpy() of a tensor that requires grad gives its data instead of raising",
}

# Builtin exception classes, most specific first: the "kind" of an error.
KINDS = [
    IndexError, KeyError, NotImplementedError, ZeroDivisionError, TypeError, ValueError, AttributeError,
    RuntimeError, ArithmeticError, LookupError, Exception,
]


def namespace(framework, tmp: str) -> dict:
    """The names an idiom uses, bound to ``framework`` (torch or tinygrad_bn)."""
    import importlib

    data = importlib.import_module(f"{framework.__name__}.utils.data")
    names = {
        "torch": framework, "nn": framework.nn, "F": framework.nn.functional, "optim": framework.optim,
        "lr_scheduler": framework.optim.lr_scheduler, "DataLoader": data.DataLoader, "Dataset": data.Dataset,
        "TensorDataset": data.TensorDataset, "random_split": data.random_split, "ConcatDataset": data.ConcatDataset,
        "data": data, "np": numpy, "tmp": tmp,
        **{name: array.copy() for name, array in ARRAYS.items()},
    }
    exec(compile(PRELUDE, "<prelude>", "exec"), names)
    return names


def run(source: str, names: dict):
    """The idiom's value: the expression's, or ``out`` after the statements."""
    source = textwrap.dedent(source).strip()
    try:
        expression = compile(source, "<idiom>", "eval")
    except SyntaxError:
        expression = None
    if expression is not None:
        return eval(expression, names)
    exec(compile(source, "<idiom>", "exec"), names)
    return names["out"]


def plain(value, framework):
    """``value`` in framework-free terms: tensors as (shape, dtype name, requires_grad, array)."""
    if isinstance(value, framework.Tensor):
        array = value.detach().cpu().numpy()
        return ("tensor", tuple(value.shape), str(value.dtype).removeprefix("torch."), value.requires_grad, array)
    if isinstance(value, framework.device):
        return ("device", str(value))
    if isinstance(value, numpy.dtype) or type(value).__name__ == "dtype":
        return ("dtype", str(value).removeprefix("torch."))
    if isinstance(value, numpy.ndarray):
        return ("array", value.shape, str(value.dtype), False, value)
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, dict):
        return ("dict", [(key, plain(item, framework)) for key, item in value.items()])
    if isinstance(value, (list, tuple)):
        kind = list if isinstance(value, list) else tuple
        return kind(plain(item, framework) for item in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"an idiom's result must be plain data or tensors, got {type(value).__name__}")


TOLERANCES = {"float16": (1e-2, 1e-3), "float32": (1e-4, 1e-6), "float64": (1e-10, 1e-12)}


def assert_same(ours, theirs, where="out"):
    """Our plain result equals PyTorch's: same structure, types and shapes, close values."""
    assert type(ours) is type(theirs), f"{where}: {type(ours).__name__} {ours!r}, PyTorch {theirs!r}"
    if isinstance(theirs, float):
        assert math.isclose(ours, theirs, rel_tol=1e-5, abs_tol=1e-7) or (math.isnan(ours) and math.isnan(theirs)), (
            f"{where}: {ours!r}, PyTorch {theirs!r}"
        )
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), f"{where}: {len(ours)} items, PyTorch {len(theirs)}: {ours!r} vs {theirs!r}"
        if theirs and theirs[0] in ("tensor", "array"):
            kind, shape, dtype, requires_grad, array = ours
            assert (kind, shape, dtype, requires_grad) == theirs[:4], f"{where}: {ours[:4]}, PyTorch {theirs[:4]}"
            rtol, atol = TOLERANCES.get(dtype, (0, 0))
            numpy.testing.assert_allclose(array, theirs[4], rtol=rtol, atol=atol, err_msg=where)
            return
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs, f"{where}: {ours!r}, PyTorch {theirs!r}"


def kind_of(error: BaseException) -> type:
    return next(kind for kind in KINDS if isinstance(error, kind))


CASES = [
    pytest.param(
        source,
        id=f"{group}/{name}",
        marks=[pytest.mark.xfail(strict=True, reason=NOT_YET[f"{group}/{name}"])] if f"{group}/{name}" in NOT_YET else [],
    )
    for group, idioms in GROUPS.items()
    for name, source in idioms.items()
]


def test_the_list_is_long_enough():
    assert len(CASES) >= 136
    assert set(NOT_YET) <= {case.id for case in CASES}, "NOT_YET names an idiom that is not in the list"
    assert len(NOT_YET) <= 0.05 * len(CASES)


def test_docs_porting_gives_the_lists_figures():
    text = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "porting.md").read_text(encoding="utf-8")
    assert f"holds {len(CASES)} common PyTorch expressions" in text
    assert f"{len(CASES) - len(NOT_YET)} give PyTorch's result; these {len(NOT_YET)} do not" in text


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
@pytest.mark.parametrize("source", CASES)
def test_idiom_gives_pytorchs_result(source, torch, tmp_path):
    import tinygrad_bn

    (tmp_path / "torch").mkdir()
    (tmp_path / "ours").mkdir()
    try:
        expected = plain(run(source, namespace(torch, str(tmp_path / "torch"))), torch)
    except Exception as error:  # noqa: BLE001 - the idiom raises in PyTorch: ours must raise the same kind
        kind = kind_of(error)
        with pytest.raises(kind):
            run(source, namespace(tinygrad_bn, str(tmp_path / "ours")))
        return
    got = plain(run(source, namespace(tinygrad_bn, str(tmp_path / "ours"))), tinygrad_bn)
    assert_same(got, expected)

