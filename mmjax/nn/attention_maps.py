"""Look inside a model: the attention weights every MultiHeadAttention layer used in one forward pass."""

from __future__ import annotations

from typing import Any, Callable

import jax
from flax import nnx

from mmjax.nn.attention import MultiHeadAttention


def attention_maps(model: nnx.Module, forward: Callable[[nnx.Module], Any]) -> dict[str, jax.Array]:
    """Run ``forward(model)`` with weight recording on; return ``{layer path: [B, H, T, S]}``.

    ``forward`` may be eager or ``nnx.jit``-compiled (nnx.jit carries the recorded weights back out).
    Paths read like ``decoder/blocks/0/cross_attention``. Recording is switched off again afterwards,
    so the model's other compiled functions are unaffected.
    """
    layers = [(path, m) for path, m in nnx.iter_modules(model) if isinstance(m, MultiHeadAttention)]
    for _, layer in layers:
        layer.record_weights = True
    try:
        forward(model)
    finally:
        for _, layer in layers:
            layer.record_weights = False
    maps = {}
    for path, layer in layers:
        if hasattr(layer, "weights"):
            maps["/".join(map(str, path))] = layer.weights[...]
            del layer.weights
    return maps
