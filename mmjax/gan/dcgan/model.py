"""A conditional DCGAN for 32x32 Shapes images: sub-pixel generator and projection discriminator.

Condition. A scene's labels for both object slots, (shape, colour, size, cell) x 2, as 8 integer ids in
``[B, 8]``; a missing second object gets each field's extra "none" id. One embedding table holds every
(slot, field, value) row, so the condition embedding is the sum of 8 rows.

Generator: the sub-pixel generator of :mod:`mmjax.gan.blocks` with the condition embedding e as its
condition vector: the stem reads [z; e], every up-block is modulated by e, h * (1 + gamma(e)) + beta(e).

Discriminator (Miyato & Koyama 2018, projection discriminator, eq. 3): phi(x) the spectral-norm conv stack of
:mod:`mmjax.gan.blocks`, flattened rather than globally pooled (the condition names the object's grid cell,
and pooling would make D blind to position),
    D(x, y) = psi(phi(x)) + <embed(y), phi(x)>,
all convolutions and psi spectrally normalised (mmjax.gan.spectral_norm).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mmjax.data import attributes as A
from mmjax.gan.blocks import ConvFeatures, SubPixelGenerator, projection
from mmjax.gan.dcgan.config import DCGANConfig
from mmjax.gan.spectral_norm import SNLinear

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


class ConditionalGenerator(SubPixelGenerator):
    def __init__(self, latent_dim: int, width: int, embed_dim: int, image_size: int = 32, *, rngs: nnx.Rngs):
        self.embed = nnx.Embed(CONDITION_VOCAB, embed_dim, rngs=rngs)
        self.build_drawing(latent_dim, width, embed_dim, image_size, rngs=rngs)

    def __call__(self, z: jax.Array, condition: jax.Array) -> jax.Array:
        self.check_latent(z)
        check_condition(condition, z.shape[0])
        return self.draw(z, jnp.sum(self.embed(condition), axis=1))  # e [B, E]: sum of the 8 field embeddings


class ProjectionDiscriminator(ConvFeatures):
    def __init__(self, width: int, image_size: int = 32, *, rngs: nnx.Rngs, in_channels: int = 3):
        feature_dim = self.build_features(width, image_size, in_channels, rngs=rngs)
        self.psi = SNLinear(feature_dim, 1, rngs=rngs)
        self.embed = nnx.Embed(CONDITION_VOCAB, feature_dim, rngs=rngs)

    def __call__(self, x: jax.Array, condition: jax.Array) -> jax.Array:
        phi = self.conv_features(x)  # [B, 4 * 4 * C]; the condition includes the grid cell
        check_condition(condition, x.shape[0])
        return projection(self.psi, phi, jnp.sum(self.embed(condition), axis=1))  # [B] logits


def build_players(config: DCGANConfig, key: jax.Array) -> tuple[ConditionalGenerator, ProjectionDiscriminator]:
    """G and D of ``config``, initialised from ``key``."""
    key_g, key_d = jax.random.split(key)
    generator = ConditionalGenerator(
        config.latent_dim, config.width, config.embed_dim, config.image_size, rngs=nnx.Rngs(key_g)
    )
    discriminator = ProjectionDiscriminator(config.width, config.image_size, rngs=nnx.Rngs(key_d))
    return generator, discriminator
