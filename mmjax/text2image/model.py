"""The text-to-image GAN: a Transformer caption encoder in each player, a sub-pixel G, a projection D.

Caption encoder (one per player, each trained by its own player's loss):
    h     = Encoder(E[w_t] sqrt(D) + PE[t], padding mask)        # [B, T, D] token states
    s     = W_s (sum_t m_t h_t / sum_t m_t)                       # [B, E]    masked mean, m_t = [w_t != pad]

Generator: the sub-pixel generator of :mod:`mmjax.gan.blocks` with the sentence vector as its condition: the
stem reads [z; s] and lays out a 4x4 map (where things go), every block is modulated by s (what they look
like): h * (1 + gamma(s)) + beta(s). With ``word_attention`` the maps at 8x8 and 16x16 (every up-block but
the last) also attend to the token states h, padding masked (:class:`mmjax.gan.blocks.WordAttention`):

    h_p <- h_p + W^O Concat_k softmax_t(q_p k_t^T / sqrt(d) + M_t) v_t      q from the map, k, v from h

Those two sizes, not 32x32: a grid cell is ~3 places of the 8x8 map and ~5 of the 16x16 one, where which
object lies where, and its colour, is still being decided; at 32x32 G only sharpens edges, with w channels
(4 per head), and attention there would cost 4x the places of 16x16 for little say over the binding.

Discriminator, with phi(x) the spectral-norm conv stack of :mod:`mmjax.gan.blocks` (its final 4x4 map,
flattened: pooling would hide *where* things are):
    D(x, t)  = psi(phi(x)) + <W_p s_D(t), phi(x)>                   projection (Miyato & Koyama 2018)
    u(x)     = A phi(x) / |A phi(x)|,  v(t) = B s_D(t) / |B s_D(t)|  matching space (XMC-GAN's image-text
                                                                    contrastive pair, Zhang et al. 2021)
    p(w | x) = sigmoid(W_w phi(x))_w                                which words the caption uses: AC-GAN's
                                                                    auxiliary classifier with words as classes
    p(y | x, c) = softmax(W_c phi(x))  per cell and attribute        (``slots`` only: :mod:`mmjax.gan.cells`)
The caption reaches both players only as token ids: no parser and no labels, so any captions train it.
With ``slots`` (:mod:`mmjax.text2image.slots`) G reads the caption into per-object slots and a layout and draws
each object in its cell: the scenes of the training captions then train that reading, and D's per-cell heads.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mmjax.data.cells import NUM_CELLS
from mmjax.gan.blocks import ProjectionFeatures, SubPixelGenerator, WordAttention, projection, unit
from mmjax.gan.cells import CELL_CLASSES, CellCondition, cell_logits
from mmjax.nn.attention import padding_mask
from mmjax.nn.encoder import Encoder
from mmjax.nn.transformer import TokenEmbedding
from mmjax.text2image.config import TextToImageConfig
from mmjax.text2image.slots import SceneEmbedding, SlotReader, sample_scene


def caption_ids(tokens) -> np.ndarray:
    """``tokens`` as integer caption ids ``[batch, length]`` on the host; a ValueError for anything else."""
    tokens = np.asarray(tokens)
    if tokens.ndim != 2 or not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(f"tokens must be integer caption ids [batch, length], got {tokens.dtype}{tokens.shape}")
    return tokens


def check_tokens(tokens: jax.Array, batch: int, max_tokens: int) -> None:
    """A ValueError unless ``tokens`` holds integer caption ids ``[batch, T]`` with T <= max_tokens."""
    ok = tokens is not None and tokens.ndim == 2 and tokens.shape[0] == batch and tokens.shape[1] <= max_tokens
    if not ok or not jnp.issubdtype(tokens.dtype, jnp.integer):
        got = None if tokens is None else f"{tokens.dtype}{tuple(tokens.shape)}"
        raise ValueError(
            f"captions must be integer token ids of shape [{batch}, <= {max_tokens}] "
            f"(mmjax.data.tokenizer.Tokenizer.encode_batch), got {got}"
        )


class CaptionEncoder(nnx.Module):
    """Token ids ``[B, T]`` (padding masked) -> sentence vectors ``[B, out_dim]``."""

    def __init__(self, config: TextToImageConfig, out_dim: int, *, rngs: nnx.Rngs):
        text = config.text()
        self.pad_id, self.max_tokens = text.pad_id, text.max_length
        self.embedding = TokenEmbedding(text, text.vocab_size, rngs=rngs)
        self.encoder = Encoder(text.num_layers, text.d_model, text.num_heads, text.d_hidden, 0.0, rngs=rngs)
        self.out = nnx.Linear(text.d_model, out_dim, rngs=rngs)

    def states(self, tokens: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The token states h ``[B, T, D]`` and the padding mask ``[B, 1, 1, T]`` they were read with."""
        mask = padding_mask(tokens, self.pad_id)
        return self.encoder(self.embedding(tokens), mask), mask

    def pool(self, h: jax.Array, tokens: jax.Array) -> jax.Array:
        """s = W_s (masked mean of h): token states ``[B, T, D]`` -> sentence vectors ``[B, out_dim]``."""
        keep = (tokens != self.pad_id)[..., None].astype(h.dtype)  # [B, T, 1]
        pooled = jnp.sum(h * keep, axis=1) / jnp.maximum(jnp.sum(keep, axis=1), 1.0)  # [B, D]
        return self.out(pooled)  # [B, out_dim]

    def __call__(self, tokens: jax.Array) -> jax.Array:
        return self.pool(self.states(tokens)[0], tokens)


class TextToImageGenerator(SubPixelGenerator):
    """(z ``[B, latent]``, caption ids ``[B, T]``) -> images ``[B, H, W, 3]`` in [-1, 1].

    :meth:`draw` takes condition vectors ``s`` ``[B, E]`` instead of captions: a video generator passes one
    per frame. With ``slots`` G reads the caption into a scene and draws that (:mod:`mmjax.text2image.slots`).
    """

    def __init__(self, config: TextToImageConfig, *, rngs: nnx.Rngs):
        self.text = CaptionEncoder(config, config.text_dim, rngs=rngs)
        channels = self.build_drawing(config.latent_dim, config.width, config.text_dim, config.image_size, rngs=rngs)
        heads, dim = config.text_heads, config.text_dim
        # Only with these options: without them G's parameters are the shipped pooled model's, path for path.
        if config.word_attention:
            self.word_attention = nnx.List([WordAttention(c, dim, heads, rngs=rngs) for c in channels[:-1]])
        if config.slots:
            self.reader = SlotReader(dim, dim, heads, rngs=rngs)
            self.scene = SceneEmbedding(dim, rngs=rngs)
            sizes = [8 * 2**i for i in range(len(channels))]  # every up-block's output map
            self.cells = nnx.List([CellCondition(n, dim, rngs=rngs) for n in sizes])

    def __call__(self, z: jax.Array, tokens: jax.Array) -> jax.Array:
        self.check_latent(z)
        check_tokens(tokens, z.shape[0], self.text.max_tokens)
        if hasattr(self, "reader"):
            return self.draw_scene(z, sample_scene(self.read(tokens), z))
        if not hasattr(self, "word_attention"):
            return self.draw(z, self.text(tokens))
        h, mask = self.text.states(tokens)  # [B, T, D], [B, 1, 1, T]
        return self.draw(z, self.text.pool(h, tokens), (h, mask))

    def read(self, tokens: jax.Array) -> dict[str, jax.Array]:
        """G's reading of captions ``[B, T]`` (slots only): the logits of their scenes' layouts and attributes."""
        h, mask = self.text.states(tokens)  # [B, T, D], [B, 1, 1, T]
        return self.reader(h, mask, self.text.pool(h, tokens))

    def draw_scene(self, z: jax.Array, scene: dict[str, jax.Array]) -> jax.Array:
        """Images of scenes (a layout ``[B]`` and attributes ``[B, 2]`` in the picture's order; slots only)."""
        s, cells = self.scene(scene)  # [B, E], [B, 9, E]
        h = self.start(z, s)  # [B, 4, 4, 4w]
        for block, condition in zip(self.blocks, self.cells):
            h = block(h, condition(s, cells))  # [B, 2H, 2W, C], each place modulated by its cell's vector
        return self.finish(h)

    def draw_and_read(self, z: jax.Array, tokens: jax.Array, scene: dict[str, jax.Array]):
        """(images of the captions' own ``scene``, G's reading of the captions): what a training step needs."""
        self.check_latent(z)
        check_tokens(tokens, z.shape[0], self.text.max_tokens)
        return self.draw_scene(z, scene), self.read(tokens)

    def draw(self, z: jax.Array, s: jax.Array, words: tuple[jax.Array, jax.Array] | None = None) -> jax.Array:
        """Images for latents ``z`` and condition vectors ``s`` ``[B, E]``; with ``words`` (token states
        ``[B, T, D]``, padding mask ``[B, 1, 1, T]``) the first up-blocks' maps also attend to them."""
        if words is None:
            return super().draw(z, s)
        h = self.start(z, s)  # [B, 4, 4, 4w]
        for i, block in enumerate(self.blocks):
            h = block(h, s)  # [B, 2H, 2W, C]
            if i < len(self.word_attention):
                h = self.word_attention[i](h, *words)  # [B, 2H, 2W, C]
        return self.finish(h)


class TextToImageDiscriminator(ProjectionFeatures):
    """(images ``[B, H, W, 3]`` in [-1, 1], caption ids ``[B, T]``) -> logits ``[B]``; also the matching space."""

    def __init__(self, config: TextToImageConfig, *, rngs: nnx.Rngs):
        feature_dim = self.build_features(config.width, config.image_size, rngs=rngs)
        self.text = CaptionEncoder(config, config.text_dim, rngs=rngs)
        self.text_match = self.build_heads(feature_dim, config.text_dim, config.contrastive_dim, rngs=rngs)  # B
        self.words = nnx.Linear(feature_dim, config.text().vocab_size, rngs=rngs)  # W_w
        if config.slots:  # the scene's labels train G's reading; D names each cell's content from them too
            self.cells = nnx.Linear(feature_dim, NUM_CELLS * sum(CELL_CLASSES), rngs=rngs)  # W_c

    def features(self, x: jax.Array) -> jax.Array:
        """phi(x): images ``[B, H, W, 3]`` -> the final 4x4 map flattened ``[B, 16 C]``."""
        return self.conv_features(x)

    def __call__(self, x: jax.Array, tokens: jax.Array) -> jax.Array:
        return self.heads(x, tokens)["logits"]

    def heads(self, x: jax.Array, tokens: jax.Array) -> dict[str, jax.Array]:
        """D's outputs: ``logits`` [B], match vectors ``u`` and ``v`` [B, M], caption-word logits ``words`` [B, V]."""
        phi = self.features(x)  # [B, F]
        check_tokens(tokens, x.shape[0], self.text.max_tokens)
        s = self.text(tokens)  # [B, E]
        out = {
            "logits": projection(self.psi, phi, self.project(s)),
            "u": unit(self.image_match(phi)),
            "v": unit(self.text_match(s)),
            "words": self.words(phi),
        }
        if hasattr(self, "cells"):  # per attribute [B, 9, values + 1]
            out["cells"] = cell_logits(self.cells, phi)
        return out


def build_players(config: TextToImageConfig, key: jax.Array) -> tuple[TextToImageGenerator, TextToImageDiscriminator]:
    """G and D of ``config``, initialised from ``key``."""
    key_g, key_d = jax.random.split(key)
    return TextToImageGenerator(config, rngs=nnx.Rngs(key_g)), TextToImageDiscriminator(config, rngs=nnx.Rngs(key_d))
