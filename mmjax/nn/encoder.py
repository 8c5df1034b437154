"""The Transformer encoder: a stack of pre-LayerNorm self-attention blocks.

Pre-LN (normalise the input of each sub-layer, add its output to an untouched residual stream) trains
stably without learning-rate warm-up, unlike the post-LN of the original paper.
"""

from __future__ import annotations

import jax
from flax import nnx

from mmjax.nn.attention import MultiHeadAttention
from mmjax.nn.layers import MLP, LayerNorm, dropout, split_key


class EncoderBlock(nnx.Module):
    """h = x + Dropout(SelfAttention(LN(x)));  y = h + Dropout(MLP(LN(h)))."""

    def __init__(self, d_model: int, num_heads: int, d_hidden: int, dropout_rate: float, *, rngs: nnx.Rngs):
        self.attention_norm = LayerNorm(d_model)
        self.attention = MultiHeadAttention(d_model, num_heads, rngs=rngs)
        self.mlp_norm = LayerNorm(d_model)
        self.mlp = MLP(d_model, d_hidden, rngs=rngs)
        self.dropout_rate = dropout_rate

    def __call__(self, x: jax.Array, mask: jax.Array | None = None, key: jax.Array | None = None) -> jax.Array:
        """The block on x ``[B, S, D]``; dropout only when a ``key`` is given (one key per sub-layer)."""
        # BEGIN SOLUTION
        key_attention, key_mlp = split_key(key, 2)
        x = x + dropout(self.attention(self.attention_norm(x), mask=mask), self.dropout_rate, key_attention)
        return x + dropout(self.mlp(self.mlp_norm(x)), self.dropout_rate, key_mlp)  # [B, S, D]
        # END SOLUTION


class Encoder(nnx.Module):
    """memory = LN(Block_N(... Block_1(x))) for input embeddings x ``[B, S, D]`` (tokens or patches)."""

    def __init__(
        self, num_layers: int, d_model: int, num_heads: int, d_hidden: int, dropout_rate: float, *, rngs: nnx.Rngs
    ):
        self.blocks = nnx.List(
            [EncoderBlock(d_model, num_heads, d_hidden, dropout_rate, rngs=rngs) for _ in range(num_layers)]
        )
        self.final_norm = LayerNorm(d_model)

    def __call__(self, x: jax.Array, mask: jax.Array | None = None, key: jax.Array | None = None) -> jax.Array:
        for block, block_key in zip(self.blocks, split_key(key, len(self.blocks))):
            x = block(x, mask, block_key)
        return self.final_norm(x)  # [B, S, D]
