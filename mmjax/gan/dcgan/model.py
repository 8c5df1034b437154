"""A conditional DCGAN for 32x32 Shapes images: sub-pixel generator and projection discriminator.

Condition. A scene's labels for both object slots, (shape, colour, size, cell) x 2, as 8 integer ids in
``[B, 8]``; a missing second object gets each field's extra "none" id. One embedding table holds every
(slot, field, value) row, so the condition embedding is the sum of 8 rows.

Generator (no ConvTranspose: its backward is ~10x slower on XLA CPU). Sub-pixel upsampling
(Shi et al. 2016): a 3x3 conv to 4C channels, then depth-to-space rearranges [H, W, 4C] -> [2H, 2W, C].
Each block normalises with pixel norm (Karras et al. 2018), h / sqrt(mean_c h^2 + eps), which has no
batch statistics, and is then modulated by the condition: h * (1 + gamma(e)) + beta(e).

Discriminator (Miyato & Koyama 2018, projection discriminator, eq. 3): with phi(x) the final 4x4 feature
map, flattened rather than globally pooled (the condition names the object's grid cell, and pooling would
make D blind to position),
    D(x, y) = psi(phi(x)) + <embed(y), phi(x)>,
all convolutions and psi spectrally normalised (mmjax.gan.spectral_norm).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mmjax.data import attributes as A
from mmjax.gan.dcgan.config import DCGANConfig
from mmjax.gan.spectral_norm import SNConv, SNLinear

# (field, number of values) per object slot; each field also gets one "none" id for an absent object.
CONDITION_FIELDS = (("shape", len(A.SHAPES)), ("colour", len(A.COLOURS)), ("size", len(A.SIZES)), ("cell", A.GRID**2))
NUM_CONDITION_IDS = A.MAX_OBJECTS * len(CONDITION_FIELDS)  # 8 ids per example
_ROWS_PER_SLOT = sum(n + 1 for _, n in CONDITION_FIELDS)
_FIELD_OFFSETS = np.cumsum([0] + [n + 1 for _, n in CONDITION_FIELDS])[:-1]
CONDITION_OFFSETS = np.concatenate([_FIELD_OFFSETS + slot * _ROWS_PER_SLOT for slot in range(A.MAX_OBJECTS)])
CONDITION_VOCAB = A.MAX_OBJECTS * _ROWS_PER_SLOT


def condition_from_labels(labels: dict) -> jax.Array:
    """Scene labels (batched: shape/colour/size/row/col each [B, 2]) -> int32 condition ids [B, 8].

    Written with jnp so that it also runs inside a jitted train step on a raw Loader batch.
    """
    missing = [k for k in ("shape", "colour", "size", "row", "col") if k not in labels]
    if missing:
        raise ValueError(f"labels lack {missing}; expected the Shapes label keys shape, colour, size, row, col")
    row, col = jnp.asarray(labels["row"]), jnp.asarray(labels["col"])
    if row.ndim != 2 or row.shape[1] != A.MAX_OBJECTS:
        raise ValueError(f"labels must be batched per object slot, [batch, {A.MAX_OBJECTS}]; got row {row.shape}")
    fields = {
        "shape": jnp.asarray(labels["shape"]),
        "colour": jnp.asarray(labels["colour"]),
        "size": jnp.asarray(labels["size"]),
        "cell": jnp.where(row == A.ABSENT, A.ABSENT, A.GRID * row + col),
    }
    columns = []
    for slot in range(A.MAX_OBJECTS):
        for name, count in CONDITION_FIELDS:
            value = fields[name][:, slot]
            columns.append(jnp.where(value == A.ABSENT, count, value))  # the extra id means "no object"
    ids = jnp.stack(columns, axis=-1).astype(jnp.int32)  # [B, 8]
    return ids + jnp.asarray(CONDITION_OFFSETS, jnp.int32)


def check_condition(condition: jax.Array, batch: int) -> None:
    """A ValueError unless ``condition`` holds integer ids of shape [batch, 8]."""
    valid = condition is not None and condition.shape == (batch, NUM_CONDITION_IDS)
    if not valid or not jnp.issubdtype(condition.dtype, jnp.integer):
        got = None if condition is None else f"{condition.dtype}{tuple(condition.shape)}"
        raise ValueError(
            f"condition must be integer ids of shape [{batch}, {NUM_CONDITION_IDS}] "
            f"(mmjax.gan.dcgan.model.condition_from_labels), got {got}"
        )


def depth_to_space(x: jax.Array, block: int = 2) -> jax.Array:
    """[B, H, W, block^2 * C] -> [B, block * H, block * W, C]."""
    b, h, w, c = x.shape
    x = x.reshape(b, h, w, block, block, c // block**2)
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(b, h * block, w * block, c // block**2)


def pixel_norm(x: jax.Array, eps: float = 1e-8) -> jax.Array:
    """x / sqrt(mean over channels of x^2 + eps), per pixel."""
    return x * jax.lax.rsqrt(jnp.mean(x**2, axis=-1, keepdims=True) + eps)


def num_upsamplings(image_size: int) -> int:
    steps = math.log2(image_size / 4)
    if image_size < 8 or steps != int(steps):
        raise ValueError(f"image_size must be 4 * 2^k >= 8, got {image_size}")
    return int(steps)


class UpBlock(nnx.Module):
    """Sub-pixel x2 upsampling, pixel norm, conditional scale and shift, ReLU."""

    def __init__(self, c_in: int, c_out: int, embed_dim: int, *, rngs: nnx.Rngs):
        self.conv = nnx.Conv(c_in, 4 * c_out, (3, 3), rngs=rngs)
        self.film = nnx.Linear(embed_dim, 2 * c_out, rngs=rngs, kernel_init=nnx.initializers.zeros)

    def __call__(self, h: jax.Array, e: jax.Array) -> jax.Array:
        h = pixel_norm(depth_to_space(self.conv(h)))  # [B, 2H, 2W, C]
        gamma, beta = jnp.split(self.film(e)[:, None, None, :], 2, axis=-1)  # [B, 1, 1, C] each
        return jax.nn.relu(h * (1.0 + gamma) + beta)


class ConditionalGenerator(nnx.Module):
    def __init__(self, latent_dim: int, width: int, embed_dim: int, image_size: int = 32, *, rngs: nnx.Rngs):
        num_up = num_upsamplings(image_size)
        channels = [width * min(2 ** (num_up - 1 - i), 4) for i in range(num_up)]  # e.g. [4w, 2w, w]
        self.embed = nnx.Embed(CONDITION_VOCAB, embed_dim, rngs=rngs)
        self.stem = nnx.Linear(latent_dim + embed_dim, 4 * 4 * 4 * width, rngs=rngs)
        self.blocks = nnx.List(
            [UpBlock(c_in, c_out, embed_dim, rngs=rngs) for c_in, c_out in zip([4 * width] + channels[:-1], channels)]
        )
        self.to_rgb = nnx.Conv(channels[-1], 3, (3, 3), rngs=rngs)
        self.latent_dim, self.width = latent_dim, width

    def __call__(self, z: jax.Array, condition: jax.Array) -> jax.Array:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latent must have shape [batch, {self.latent_dim}], got {z.shape}")
        check_condition(condition, z.shape[0])
        e = jnp.sum(self.embed(condition), axis=1)  # [B, E]: sum of the 8 field embeddings
        h = self.stem(jnp.concatenate([z, e], axis=1)).reshape(z.shape[0], 4, 4, 4 * self.width)
        h = jax.nn.relu(pixel_norm(h))  # [B, 4, 4, 4w]
        for block in self.blocks:
            h = block(h, e)
        return jnp.tanh(self.to_rgb(h))  # [B, H, W, 3] in [-1, 1]


class ProjectionDiscriminator(nnx.Module):
    def __init__(self, width: int, image_size: int = 32, *, rngs: nnx.Rngs, in_channels: int = 3):
        num_down = num_upsamplings(image_size)
        channels = [width * min(2 ** (i + 1), 4) for i in range(num_down)]  # e.g. [2w, 4w, 4w]
        self.stem = SNConv(in_channels, width, 3, rngs=rngs)
        self.downs = nnx.List(
            [SNConv(c_in, c_out, 4, strides=2, rngs=rngs) for c_in, c_out in zip([width] + channels[:-1], channels)]
        )
        feature_dim = 4 * 4 * channels[-1]  # the 4x4 map flattened: pooling would discard *where* things are
        self.psi = SNLinear(feature_dim, 1, rngs=rngs)
        self.embed = nnx.Embed(CONDITION_VOCAB, feature_dim, rngs=rngs)
        self.image_size, self.in_channels = image_size, in_channels

    def __call__(self, x: jax.Array, condition: jax.Array) -> jax.Array:
        expected = (self.image_size, self.image_size, self.in_channels)
        if x.ndim != 4 or x.shape[1:] != expected:
            raise ValueError(f"images must have shape [batch, {', '.join(map(str, expected))}], got {x.shape}")
        check_condition(condition, x.shape[0])
        h = jax.nn.leaky_relu(self.stem(x), 0.2)  # [B, 32, 32, w]
        for down in self.downs:
            h = jax.nn.leaky_relu(down(h), 0.2)  # halves H and W
        features = h.reshape(h.shape[0], -1)  # [B, 4 * 4 * C]: phi(x); the condition includes the grid cell
        projection = jnp.sum(jnp.sum(self.embed(condition), axis=1) * features, axis=1)  # <embed(y), phi(x)>
        return self.psi(features)[:, 0] + projection  # [B] logits


def build_players(config: DCGANConfig, key: jax.Array) -> tuple[ConditionalGenerator, ProjectionDiscriminator]:
    """G and D of ``config``, initialised from ``key``."""
    key_g, key_d = jax.random.split(key)
    generator = ConditionalGenerator(
        config.latent_dim, config.width, config.embed_dim, config.image_size, rngs=nnx.Rngs(key_g)
    )
    discriminator = ProjectionDiscriminator(config.width, config.image_size, rngs=nnx.Rngs(key_d))
    return generator, discriminator
