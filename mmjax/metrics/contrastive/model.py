"""Two towers mapping images and captions to unit vectors whose dot product scores a match.

image:  conv stack -> flatten -> MLP -> u / |u|
text:   token + position embeddings -> one masked self-attention block -> masked mean -> v / |v|
score(image, caption) = exp(t) <u, v>          (t: learned log-temperature)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from mmjax.metrics.contrastive.config import ContrastiveConfig
from mmjax.nn.layers import conv_stack, relu_stack

PAD_ID = 0


def unit(x: jax.Array) -> jax.Array:
    return x / jnp.linalg.norm(x, axis=-1, keepdims=True).clip(1e-6)


class ContrastiveEncoder(nnx.Module):
    def __init__(self, config: ContrastiveConfig, *, rngs: nnx.Rngs):
        self.convs, flat = conv_stack(config.image_widths, config.image_size, rngs=rngs)
        self.image_hidden = nnx.Linear(flat, 128, rngs=rngs)
        self.image_out = nnx.Linear(128, config.embed_dim, rngs=rngs)
        self.token_embed = nnx.Embed(config.vocab_size, config.text_width, rngs=rngs)
        self.position_embed = nnx.Param(jax.random.normal(rngs.params(), (config.max_tokens, config.text_width)) * 0.02)
        self.attention = nnx.MultiHeadAttention(config.num_heads, config.text_width, decode=False, rngs=rngs)
        self.norm_1 = nnx.LayerNorm(config.text_width, rngs=rngs)
        self.norm_2 = nnx.LayerNorm(config.text_width, rngs=rngs)
        self.mlp_in = nnx.Linear(config.text_width, 2 * config.text_width, rngs=rngs)
        self.mlp_out = nnx.Linear(2 * config.text_width, config.text_width, rngs=rngs)
        self.text_out = nnx.Linear(config.text_width, config.embed_dim, rngs=rngs)
        self.log_temperature = nnx.Param(jnp.log(jnp.asarray(1 / 0.07, jnp.float32)))

    def encode_images(self, images: jax.Array) -> jax.Array:
        """``[B, H, W, 3]`` in [-1, 1] -> unit vectors ``[B, E]``."""
        return unit(self.image_out(jax.nn.relu(self.image_hidden(relu_stack(self.convs, images)))))

    def encode_texts(self, tokens: jax.Array) -> jax.Array:
        """Token ids ``[B, L]`` (0 = padding) -> unit vectors ``[B, E]``."""
        keep = tokens != PAD_ID  # [B, L]
        x = self.token_embed(tokens) + self.position_embed[None, : tokens.shape[1]]  # [B, L, W]
        mask = keep[:, None, None, :]  # [B, 1, 1, L]: attend to real tokens only
        x = x + self.attention(self.norm_1(x), mask=mask)
        x = x + self.mlp_out(jax.nn.gelu(self.mlp_in(self.norm_2(x))))
        pooled = (x * keep[..., None]).sum(1) / keep.sum(1, keepdims=True).clip(1)  # [B, W]
        return unit(self.text_out(pooled))

    def scores(self, images: jax.Array, tokens: jax.Array) -> jax.Array:
        """``S_ij = exp(t) <u_i, v_j>`` of images ``[B, H, W, 3]`` and captions ``[B, L]``: ``[B, B]``."""
        return jnp.exp(self.log_temperature.get_value()) * self.encode_images(images) @ self.encode_texts(tokens).T
