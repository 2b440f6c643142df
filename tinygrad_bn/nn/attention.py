"""Attention, PyTorch's ``F.scaled_dot_product_attention``: for queries Q (L, E), keys
K (S, E) and values V (S, Ev), with a mask M added to the scores (0 where a query may
attend to a key, −∞ where it may not),

    attention(Q, K, V) = softmax(Q Kᵀ · scale + M) V,   scale = 1/√E by default.

Written with Tensor ops, so the engine derives every gradient. The multi-head layer
built on it is ``nn.multihead_attention``.
"""

from __future__ import annotations

import math

from tinygrad_bn.errors import ArgumentError, DtypeError, ShapeError
from tinygrad_bn.nn.dropout import dropout
from tinygrad_bn.ops import ones, softmax, where, zeros


def additive_mask(mask, like, allowed: bool):
    """A bool or float ``mask`` as the float mask added to the scores: a bool mask is
    True where a key may be attended to when ``allowed`` (``scaled_dot_product_attention``),
    True where it may not otherwise (``MultiheadAttention``); a float mask is kept."""
    if mask is None or mask.dtype.kind == "f":
        return mask
    if mask.dtype != "bool":
        raise DtypeError(f"an attention mask must be bool or floating point, got {mask.dtype}")
    blocked = ~mask if allowed else mask
    return where(blocked, zeros((), dtype=like.dtype, device=like.device) - math.inf,
                 zeros((), dtype=like.dtype, device=like.device))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False):
    """softmax(Q Kᵀ · scale + M) V over the last two axes of (..., L, E) queries, (..., S, E)
    keys and (..., S, Ev) values. ``attn_mask`` is True (bool) where a query may attend,
    or added (float); ``is_causal`` instead lets query i attend to keys 0 … i only. A
    query that may attend to no key gets zeros, as in PyTorch. ``enable_gqa`` shares each key and value
    head among a group of query heads (axis −3).

    >>> from tinygrad_bn import ones
    >>> scaled_dot_product_attention(ones(2, 3, 4), ones(2, 5, 4), ones(2, 5, 6)).shape
    (2, 3, 6)
    """
    steps, keys = query.shape[-2], key.shape[-2]
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"scaled_dot_product_attention expects query (..., L, E), key (..., S, E) and value "
                         f"(..., S, Ev), got {query.shape}, {key.shape} and {value.shape}")
    if enable_gqa:
        key, value = _shared_heads(query, key), _shared_heads(query, value)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.swapaxes(-1, -2)) * scale
    if is_causal:
        if attn_mask is not None:
            raise ArgumentError("scaled_dot_product_attention takes an attn_mask or is_causal=True, not both; "
                                "fold the causal mask into attn_mask")
        attn_mask = ones(steps, keys, dtype="bool", device=query.device).tril()
    mask = additive_mask(attn_mask, query, allowed=True)
    if mask is None:
        weights = softmax(scores, -1)
    else:  # a query with every key masked gets zero weights (and zero gradients) instead of 0/0
        blind = mask.amax(-1, keepdim=True) == -math.inf
        weights = where(blind, 0.0, softmax(where(blind, 0.0, scores + mask), -1))
    return dropout(weights, dropout_p, training=dropout_p > 0) @ value


def _shared_heads(query, key):
    """(…, H_kv, S, E) keys or values repeated for (…, H_q, L, E) queries, H_q a multiple of H_kv."""
    heads, shared = query.shape[-3], key.shape[-3]
    if heads % shared:
        raise ShapeError(f"enable_gqa needs the query heads ({heads}) to be a multiple of the key and value "
                         f"heads ({shared})")
    group = heads // shared
    repeated = key.unsqueeze(-3).expand(*key.shape[:-2], group, *key.shape[-2:])  # (…, H_kv, group, S, E)
    return repeated.reshape(*key.shape[:-3], heads, *key.shape[-2:])
