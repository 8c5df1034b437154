"""Multilayer perceptrons for the 2-D toy problems (the architecture family of VEEGAN/PacGAN, scaled by config).

Generator: z [B, latent] -> ReLU hidden layers -> x [B, 2].
Discriminator: x [B, pack * 2] -> maxout hidden layers -> one logit [B]. Maxout (Goodfellow et al. 2013)
takes the max over ``pieces`` linear units: h_j = max_p (W_p x + b_p)_j. With ``pack`` > 1 it reads a
PacGAN pack: ``pack`` samples concatenated along features.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from mmjax.gan.gan2d.config import Gan2dConfig


class BatchNorm(nnx.Module):
    """Batch normalisation with the current batch's statistics only: gamma * (h - mean_B) / sqrt(var_B + eps) + beta.

    No running averages, so the module is stateless; generating a large batch (the benchmark scores
    2,500 samples at once) uses statistics as accurate as population averages.
    """

    def __init__(self, features: int, eps: float = 1e-5):
        self.scale = nnx.Param(jnp.ones(features))
        self.bias = nnx.Param(jnp.zeros(features))
        self.eps = eps

    def __call__(self, h: jax.Array) -> jax.Array:
        mean, var = jnp.mean(h, axis=0), jnp.var(h, axis=0)  # [F] each
        return self.scale[...] * (h - mean) * jax.lax.rsqrt(var + self.eps) + self.bias[...]


class MLPGenerator(nnx.Module):
    def __init__(
        self, latent_dim: int, width: int, depth: int, *, rngs: nnx.Rngs, out_dim: int = 2, batch_norm: bool = False
    ):
        dims = [latent_dim] + [width] * depth
        self.hidden = nnx.List([nnx.Linear(a, b, rngs=rngs) for a, b in zip(dims[:-1], dims[1:])])
        self.norms = nnx.List([BatchNorm(b) for b in dims[1:]] if batch_norm else [])
        self.out = nnx.Linear(dims[-1], out_dim, rngs=rngs)
        self.latent_dim = latent_dim

    def __call__(self, z: jax.Array, condition: jax.Array | None = None) -> jax.Array:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latent must have shape [batch, {self.latent_dim}], got {z.shape}")
        h = z
        for index, layer in enumerate(self.hidden):
            h = layer(h)  # [B, width]
            if self.norms:
                h = self.norms[index](h)
            h = jax.nn.relu(h)
        return self.out(h)  # [B, 2]


class Maxout(nnx.Module):
    """h_j = max_p (W x + b)[p * out + j]: [B, in] -> [B, out].

    The linear map's outputs are laid out piece-major (the ``out`` units of piece 0, then of piece 1, ...),
    so the max runs over a leading axis of contiguous [B, out] slabs. With the pieces on the last axis
    instead, the max's backward pass (which marks where the max was) works on rows of 5 and made
    the discriminator's update about a third slower on XLA CPU.
    """

    def __init__(self, in_features: int, out_features: int, pieces: int, *, rngs: nnx.Rngs):
        self.linear = nnx.Linear(in_features, pieces * out_features, rngs=rngs)
        self.out_features, self.pieces = out_features, pieces

    def __call__(self, x: jax.Array) -> jax.Array:
        h = self.linear(x).reshape(x.shape[0], self.pieces, self.out_features)  # [B, pieces, out]
        return jnp.max(h, axis=1)  # [B, out]


class MLPDiscriminator(nnx.Module):
    def __init__(self, in_dim: int, width: int, depth: int, pieces: int, *, rngs: nnx.Rngs, pack: int = 1):
        dims = [in_dim * pack] + [width] * depth
        self.hidden = nnx.List([Maxout(a, b, pieces, rngs=rngs) for a, b in zip(dims[:-1], dims[1:])])
        self.out = nnx.Linear(dims[-1], 1, rngs=rngs)
        self.in_features = in_dim * pack

    def __call__(self, x: jax.Array, condition: jax.Array | None = None) -> jax.Array:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"discriminator input must have shape [batch, {self.in_features}], got {x.shape}")
        h = x
        for layer in self.hidden:
            h = layer(h)  # [B, width]
        return self.out(h)[:, 0]  # [B] logits


def build_players(config: Gan2dConfig, key: jax.Array) -> tuple[MLPGenerator, MLPDiscriminator]:
    """G and D of ``config``, initialised from ``key``."""
    key_g, key_d = jax.random.split(key)
    generator = MLPGenerator(
        config.latent_dim, config.g_width, config.g_depth, rngs=nnx.Rngs(key_g), batch_norm=config.g_batch_norm
    )
    discriminator = MLPDiscriminator(
        2, config.d_width, config.d_depth, config.d_pieces, rngs=nnx.Rngs(key_d), pack=config.pack
    )
    return generator, discriminator
