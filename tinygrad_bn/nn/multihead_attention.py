"""``nn.MultiheadAttention``, as PyTorch's: the query, key and value inputs projected,
the projections split into ``num_heads`` heads of E/num_heads features each, attention
(``nn.attention``) within each head, and the heads' outputs, side by side, projected
once more. Written with Tensor ops, so the engine derives every gradient.

>>> from tinygrad_bn import manual_seed, randn
>>> _ = manual_seed(0)
>>> attention = MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)
>>> x = randn(3, 5, 8)  # 3 sequences of 5 tokens
>>> output, weights = attention(x, x, x)
>>> output.shape, weights.shape
((3, 5, 8), (3, 5, 5))
"""

from __future__ import annotations

import math

from tinygrad_bn.errors import ArgumentError, ShapeError
from tinygrad_bn.nn import init
from tinygrad_bn.nn.attention import additive_mask, scaled_dot_product_attention
from tinygrad_bn.nn.dropout import dropout
from tinygrad_bn.nn.functional import linear
from tinygrad_bn.nn.layers import Linear
from tinygrad_bn.nn.module import Module
from tinygrad_bn.nn.parameter import positive_int, zero_parameter
from tinygrad_bn.ops import cat, softmax, zeros


class NonDynamicallyQuantizableLinear(Linear):
    """The Linear that projects a :class:`MultiheadAttention`'s output, named as in PyTorch."""


class MultiheadAttention(Module):
    """Attention in ``num_heads`` heads, with PyTorch's parameters: ``in_proj_weight``
    (3E, E) for the query, key and value projections (``q_proj_weight``, ``k_proj_weight``
    and ``v_proj_weight`` when ``kdim`` or ``vdim`` differ from E), ``in_proj_bias`` (3E),
    ``out_proj``, and with ``add_bias_kv`` a learned key and value appended to every
    sequence. Input (L, N, E) ((N, L, E) with ``batch_first``, or (L, E) unbatched).

    ``forward`` returns the output and, with ``need_weights``, the attention weights,
    averaged over the heads unless ``average_attn_weights=False``. Masks as in PyTorch:
    ``key_padding_mask`` (N, S) and a bool ``attn_mask`` (L, S) or (N·heads, L, S) are True
    where attention is not allowed; float masks are added to the scores. A query
    that may attend to no key gives NaN with ``need_weights`` and zeros without, as
    PyTorch's does."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        self.embed_dim = positive_int(embed_dim, "embed_dim")
        self.num_heads = positive_int(num_heads, "num_heads")
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self.head_dim, self.dropout, self.batch_first = embed_dim // num_heads, dropout, batch_first
        self.add_zero_attn = add_zero_attn
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = zero_parameter((3 * embed_dim, embed_dim), device, dtype)
        else:
            for name, size in (("q", embed_dim), ("k", self.kdim), ("v", self.vdim)):
                self.register_parameter(f"{name}_proj_weight", zero_parameter((embed_dim, size), device, dtype))
        self.register_parameter("in_proj_bias", zero_parameter((3 * embed_dim,), device, dtype) if bias else None)
        for name in ("bias_k", "bias_v"):
            self.register_parameter(name, zero_parameter((1, 1, embed_dim), device, dtype) if add_bias_kv else None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        """Xavier-uniform projections, zero biases, Xavier-normal ``bias_k`` and ``bias_v``."""
        for weight in self._projection_weights():
            init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        for extra in (self.bias_k, self.bias_v):
            if extra is not None:
                init.xavier_normal_(extra)

    def _projection_weights(self) -> list:
        if self._qkv_same_embed_dim:
            return [self.in_proj_weight]
        return [self.q_proj_weight, self.k_proj_weight, self.v_proj_weight]

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True, attn_mask=None,
                average_attn_weights: bool = True, is_causal: bool = False):
        batched = self._check_inputs(query, key, value, attn_mask, is_causal)
        if not batched:
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            key_padding_mask = None if key_padding_mask is None else key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        steps, batch, _ = query.shape
        q, k, v = self._project(query, key, value)  # (L or S, N, E)
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(1, batch, self.embed_dim)], 0)
            v = cat([v, self.bias_v.expand(1, batch, self.embed_dim)], 0)
        q, k, v = (self._heads(t) for t in (q, k, v))  # (N, heads, L or S, head_dim)
        if self.add_zero_attn:
            k, v = (cat([t, zeros(*t.shape[:2], 1, self.head_dim, dtype=t.dtype, device=t.device)], 2) for t in (k, v))
        mask = self._mask(attn_mask, key_padding_mask, query, batch, steps, key.shape[0])
        heads, weights = self._attend(q, k, v, mask, need_weights)
        output = self.out_proj(heads.permute(2, 0, 1, 3).reshape(steps, batch, self.embed_dim))
        if self.batch_first and batched:
            output = output.transpose(0, 1)
        if not batched:
            output = output.squeeze(1)
        if not need_weights:
            return output, None
        if average_attn_weights:
            weights = weights.mean(1)
        return output, (weights if batched else weights.squeeze(0))

    def _attend(self, q, k, v, mask, need_weights: bool):
        """Each head's outputs, (N, heads, L, head_dim), and with ``need_weights`` its weights."""
        if not need_weights:  # as PyTorch then does, through scaled_dot_product_attention
            return scaled_dot_product_attention(q, k, v, mask, self.dropout if self.training else 0.0), None
        scores = q @ k.swapaxes(-1, -2) * (1.0 / math.sqrt(self.head_dim))  # a query that may attend to no key: NaN
        weights = dropout(softmax(scores if mask is None else scores + mask, -1), self.dropout, self.training)
        return weights @ v, weights

    def _check_inputs(self, query, key, value, attn_mask, is_causal: bool) -> bool:
        """Whether the inputs are batched; refuses mismatched ranks and sizes."""
        if is_causal and attn_mask is None:
            raise ArgumentError("MultiheadAttention's is_causal is a hint about attn_mask and needs one: pass the "
                                "causal mask (Transformer.generate_square_subsequent_mask) as attn_mask")
        if query.ndim not in (2, 3) or not query.ndim == key.ndim == value.ndim:
            raise ShapeError(f"MultiheadAttention expects query, key and value all (L, N, E) or all (L, E), "
                             f"got shapes {query.shape}, {key.shape} and {value.shape}")
        for name, t, size in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            if t.shape[-1] != size:
                raise ShapeError(f"MultiheadAttention expects {name} of size {size} in its last axis, got {t.shape}")
        if key.shape[:-1] != value.shape[:-1]:
            raise ShapeError(f"MultiheadAttention expects key and value of one length and batch, "
                             f"got {key.shape} and {value.shape}")
        return query.ndim == 3

    def _project(self, query, key, value):
        """W_q q + b_q, W_k k + b_k, W_v v + b_v."""
        biases = [None] * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3)
        weights = self.in_proj_weight.chunk(3) if self._qkv_same_embed_dim else self._projection_weights()
        return tuple(linear(t, w, b) for t, w, b in zip((query, key, value), weights, biases))

    def _heads(self, t):
        """(S, N, E) -> (N, heads, S, head_dim)."""
        return t.reshape(t.shape[0], t.shape[1], self.num_heads, self.head_dim).permute(1, 2, 0, 3)

    def _mask(self, attn_mask, key_padding_mask, like, batch: int, steps: int, keys: int):
        """The float mask added to the (N, heads, L, S) scores for ``keys`` input keys, or
        None; the keys appended by ``add_bias_kv`` and ``add_zero_attn`` are never masked."""
        extra = (self.bias_k is not None) + self.add_zero_attn
        mask = additive_mask(attn_mask, like, allowed=False)
        if mask is not None:
            expected = [(steps, keys), (batch * self.num_heads, steps, keys)]
            if tuple(mask.shape) not in expected:
                raise ShapeError(f"MultiheadAttention expects attn_mask of shape {expected[0]} or {expected[1]}, "
                                 f"got {mask.shape}")
            mask = mask.reshape(-1, self.num_heads, steps, keys) if mask.ndim == 3 else mask
            mask = _pad_keys(mask, extra)
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (batch, keys):
                raise ShapeError(f"MultiheadAttention expects key_padding_mask of shape {(batch, keys)}, "
                                 f"got {key_padding_mask.shape}")
            padding = _pad_keys(additive_mask(key_padding_mask, like, allowed=False), extra)
            padding = padding.reshape(batch, 1, 1, keys + extra)
            mask = padding if mask is None else mask + padding
        return mask


def _pad_keys(mask, extra: int):
    """A mask with ``extra`` zero columns for the keys appended by ``add_bias_kv`` and ``add_zero_attn``."""
    if not extra:
        return mask
    return cat([mask, zeros(*mask.shape[:-1], extra, dtype=mask.dtype, device=mask.device)], -1)
