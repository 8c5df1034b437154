"""Position encodings: attention itself is blind to order, so position is added to each token.

Two choices: the fixed sinusoids of "Attention Is All You Need", which need no parameters and extend to
any length, and a learned table with one trainable vector per position.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

POSITION_KINDS = ("sinusoidal", "learned", "none")


def sinusoidal_encoding(length: int, d_model: int, base: float = 10000.0) -> jax.Array:
    """PE[p, 2i] = sin(p / base^(2i/d)),  PE[p, 2i+1] = cos(p / base^(2i/d)).  Returns ``[length, d]``.

    Each pair of features is a clock turning at its own frequency, from one turn every 2*pi positions
    down to one every 2*pi*base, so nearby positions get similar codes and PE[p + k] is a rotation of PE[p].
    """
    if d_model % 2 != 0:
        raise ValueError(f"sinusoidal encoding needs an even d_model, got {d_model}")
    position = np.arange(length)[:, None]  # [L, 1]
    frequency = base ** (-np.arange(0, d_model, 2) / d_model)  # [d/2]
    angle = position * frequency  # [L, d/2]
    table = np.zeros((length, d_model), np.float32)
    table[:, 0::2] = np.sin(angle)
    table[:, 1::2] = np.cos(angle)
    return jnp.asarray(table)


class PositionEncoding(nnx.Module):
    """Position codes for positions ``offset .. offset + length - 1`` as ``[length, d_model]``."""

    def __init__(self, kind: str, max_length: int, d_model: int, *, rngs: nnx.Rngs):
        if kind not in POSITION_KINDS:
            raise ValueError(f"unknown position encoding {kind!r}; expected one of {', '.join(POSITION_KINDS)}")
        self.kind = kind
        self.max_length = max_length
        self.d_model = d_model
        if kind == "learned":
            self.table = nnx.Param(0.02 * jax.random.normal(rngs.params(), (max_length, d_model)))

    def __call__(self, length: int, offset: int | jax.Array = 0) -> jax.Array:
        if length > self.max_length:
            raise ValueError(f"sequence length {length} exceeds the position table's max_length {self.max_length}")
        if self.kind == "none":
            return jnp.zeros((length, self.d_model))
        table = self.table[...] if self.kind == "learned" else sinusoidal_encoding(self.max_length, self.d_model)
        return jax.lax.dynamic_slice_in_dim(table, offset, length, axis=0)
