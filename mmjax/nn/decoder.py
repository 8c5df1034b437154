"""The Transformer decoder: pre-LayerNorm blocks of causal self-attention, optional cross-attention
to the encoder's output, and an MLP, plus incremental decoding with a key/value cache.
"""

from __future__ import annotations

import jax
from flax import nnx

from mmjax.nn.attention import MultiHeadAttention, causal_mask
from mmjax.nn.layers import MLP, LayerNorm, dropout, split_key


class DecoderBlock(nnx.Module):
    """h1 = x + Dropout(CausalSelfAttention(LN(x)))
    h2 = h1 + Dropout(CrossAttention(LN(h1), memory))      (encoder-decoder only)
    y  = h2 + Dropout(MLP(LN(h2)))
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_hidden: int,
        dropout_rate: float,
        *,
        cross_attention: bool,
        rngs: nnx.Rngs,
    ):
        self.self_attention_norm = LayerNorm(d_model)
        self.self_attention = MultiHeadAttention(d_model, num_heads, rngs=rngs)
        self.has_cross_attention = cross_attention
        if cross_attention:
            self.cross_attention_norm = LayerNorm(d_model)
            self.cross_attention = MultiHeadAttention(d_model, num_heads, rngs=rngs)
        self.mlp_norm = LayerNorm(d_model)
        self.mlp = MLP(d_model, d_hidden, rngs=rngs)
        self.dropout_rate = dropout_rate

    def _cross_and_mlp(self, x, cross_key_value, memory_mask, keys):
        if self.has_cross_attention:
            attended = self.cross_attention.attend(self.cross_attention_norm(x), cross_key_value, memory_mask)
            x = x + dropout(attended, self.dropout_rate, keys[0])
        return x + dropout(self.mlp(self.mlp_norm(x)), self.dropout_rate, keys[1])

    def __call__(self, x, memory=None, memory_mask=None, key=None):
        """Full (training) pass over targets x ``[B, T, D]`` attending to memory ``[B, S, D]``.

        Targets need no padding mask: their padding comes after <eos>, and the causal mask already hides
        later positions from every real token (the loss ignores the padded positions themselves).
        """
        if self.has_cross_attention and memory is None:
            raise ValueError("this decoder block has cross-attention: pass the encoder's memory [B, S, D]")
        key_self, *keys = split_key(key, 3)
        self_mask = causal_mask(x.shape[1])
        x = x + dropout(self.self_attention(self.self_attention_norm(x), mask=self_mask), self.dropout_rate, key_self)
        cross = self.cross_attention.project_key_value(memory) if self.has_cross_attention else None
        return self._cross_and_mlp(x, cross, memory_mask, keys)

    def init_cache(self, batch: int, max_length: int, memory: jax.Array | None) -> dict:
        """Self-attention cache (empty) and cross-attention keys/values (computed once from memory)."""
        cache = {"self": self.self_attention.init_cache(batch, max_length)}
        if self.has_cross_attention:
            cache["cross"] = self.cross_attention.project_key_value(memory)
        return cache

    def decode_step(self, x, cache, index, memory_mask=None):
        """New tokens x ``[B, T, D]`` at positions index.. ; returns ``(y [B, T, D], cache)``."""
        attended, self_cache = self.self_attention.decode_step(self.self_attention_norm(x), cache["self"], index)
        x = x + attended
        y = self._cross_and_mlp(x, cache.get("cross"), memory_mask, [None, None])
        return y, {**cache, "self": self_cache}


class Decoder(nnx.Module):
    """The stack of decoder blocks plus a final LayerNorm, on target embeddings ``[B, T, D]``."""

    def __init__(
        self,
        num_layers: int,
        d_model: int,
        num_heads: int,
        d_hidden: int,
        dropout_rate: float,
        *,
        cross_attention: bool,
        rngs: nnx.Rngs,
    ):
        self.blocks = nnx.List(
            [
                DecoderBlock(d_model, num_heads, d_hidden, dropout_rate, cross_attention=cross_attention, rngs=rngs)
                for _ in range(num_layers)
            ]
        )
        self.final_norm = LayerNorm(d_model)

    def __call__(self, x, memory=None, memory_mask=None, key=None):
        for block, block_key in zip(self.blocks, split_key(key, len(self.blocks))):
            x = block(x, memory, memory_mask, block_key)
        return self.final_norm(x)

    def init_cache(self, batch: int, max_length: int, memory: jax.Array | None = None) -> list[dict]:
        return [block.init_cache(batch, max_length, memory) for block in self.blocks]

    def decode_step(self, x, cache: list[dict], index, memory_mask=None):
        new_cache = []
        for block, block_cache in zip(self.blocks, cache):
            x, block_cache = block.decode_step(x, block_cache, index, memory_mask)
            new_cache.append(block_cache)
        return self.final_norm(x), new_cache
