"""The text-to-image GAN: a Transformer caption encoder in each player, a sub-pixel G, a projection D.

Caption encoder (one per player, each trained by its own player's loss):
    h     = Encoder(E[w_t] sqrt(D) + PE[t], padding mask)        # [B, T, D] token states
    s     = W_s (sum_t m_t h_t / sum_t m_t)                       # [B, E]    masked mean, m_t = [w_t != pad]

Generator: the DCGAN's sub-pixel generator (mmjax.gan.dcgan.model.UpBlock) with the sentence vector in
place of the label embedding: the stem reads [z; s] and lays out a 4x4 map (where things go), every block
is modulated by s (what they look like): h * (1 + gamma(s)) + beta(s).

Discriminator, with phi(x) its final 4x4 feature map flattened (pooling would hide *where* things are):
    D(x, t)  = psi(phi(x)) + <W_p s_D(t), phi(x)>                   projection (Miyato & Koyama 2018)
    u(x)     = A phi(x) / |A phi(x)|,  v(t) = B s_D(t) / |B s_D(t)|  matching space (XMC-GAN's image-text
                                                                    contrastive pair, Zhang et al. 2021)
    p(w | x) = sigmoid(W_w phi(x))_w                                which words the caption uses: AC-GAN's
                                                                    auxiliary classifier with words as classes
The caption reaches both players only as token ids: no parser and no labels, so any captions train it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from mmjax.gan.dcgan.model import UpBlock, num_upsamplings, pixel_norm
from mmjax.gan.spectral_norm import SNConv, SNLinear
from mmjax.nn.attention import padding_mask
from mmjax.nn.encoder import Encoder
from mmjax.nn.transformer import TokenEmbedding
from mmjax.text2image.config import TextToImageConfig


def check_tokens(tokens: jax.Array, batch: int, max_tokens: int) -> None:
    """A ValueError unless ``tokens`` holds integer caption ids ``[batch, T]`` with T <= max_tokens."""
    ok = tokens is not None and tokens.ndim == 2 and tokens.shape[0] == batch and tokens.shape[1] <= max_tokens
    if not ok or not jnp.issubdtype(tokens.dtype, jnp.integer):
        got = None if tokens is None else f"{tokens.dtype}{tuple(tokens.shape)}"
        raise ValueError(
            f"captions must be integer token ids of shape [{batch}, <= {max_tokens}] "
            f"(mmjax.data.tokenizer.Tokenizer.encode_batch), got {got}"
        )


def unit(x: jax.Array) -> jax.Array:
    """x / |x| along the last axis."""
    return x * jax.lax.rsqrt(jnp.sum(x**2, axis=-1, keepdims=True) + 1e-12)


class CaptionEncoder(nnx.Module):
    """Token ids ``[B, T]`` (padding masked) -> sentence vectors ``[B, out_dim]``."""

    def __init__(self, config: TextToImageConfig, out_dim: int, *, rngs: nnx.Rngs):
        text = config.text()
        self.pad_id, self.max_tokens = text.pad_id, text.max_length
        self.embedding = TokenEmbedding(text, text.vocab_size, rngs=rngs)
        self.encoder = Encoder(text.num_layers, text.d_model, text.num_heads, text.d_hidden, 0.0, rngs=rngs)
        self.out = nnx.Linear(text.d_model, out_dim, rngs=rngs)

    def __call__(self, tokens: jax.Array) -> jax.Array:
        h = self.encoder(self.embedding(tokens), padding_mask(tokens, self.pad_id))  # [B, T, D]
        keep = (tokens != self.pad_id)[..., None].astype(h.dtype)  # [B, T, 1]
        pooled = jnp.sum(h * keep, axis=1) / jnp.maximum(jnp.sum(keep, axis=1), 1.0)  # [B, D]
        return self.out(pooled)  # [B, out_dim]


class TextToImageGenerator(nnx.Module):
    """(z ``[B, latent]``, caption ids ``[B, T]``) -> images ``[B, H, W, 3]`` in [-1, 1]."""

    def __init__(self, config: TextToImageConfig, *, rngs: nnx.Rngs):
        num_up = num_upsamplings(config.image_size)
        width, embed = config.width, config.text_dim
        channels = [width * min(2 ** (num_up - 1 - i), 4) for i in range(num_up)]  # e.g. [4w, 2w, w]
        self.text = CaptionEncoder(config, embed, rngs=rngs)
        self.stem = nnx.Linear(config.latent_dim + embed, 4 * 4 * 4 * width, rngs=rngs)
        self.blocks = nnx.List(
            [UpBlock(c_in, c_out, embed, rngs=rngs) for c_in, c_out in zip([4 * width] + channels[:-1], channels)]
        )
        self.to_rgb = nnx.Conv(channels[-1], 3, (3, 3), rngs=rngs)
        self.latent_dim, self.width = config.latent_dim, width

    def __call__(self, z: jax.Array, tokens: jax.Array) -> jax.Array:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latent must have shape [batch, {self.latent_dim}], got {tuple(z.shape)}")
        check_tokens(tokens, z.shape[0], self.text.max_tokens)
        return self.draw(z, self.text(tokens))

    def draw(self, z: jax.Array, s: jax.Array) -> jax.Array:
        """Images ``[B, H, W, 3]`` for latents ``z`` ``[B, latent]`` and condition vectors ``s`` ``[B, E]``.

        The caption's sentence vector is one such condition; a video generator passes one per frame.
        """
        h = self.stem(jnp.concatenate([z, s], axis=1)).reshape(z.shape[0], 4, 4, 4 * self.width)
        h = jax.nn.relu(pixel_norm(h))  # [B, 4, 4, 4w]
        for block in self.blocks:
            h = block(h, s)  # [B, 2H, 2W, C]
        return jnp.tanh(self.to_rgb(h))  # [B, H, W, 3] in [-1, 1]


class TextToImageDiscriminator(nnx.Module):
    """(images ``[B, H, W, 3]`` in [-1, 1], caption ids ``[B, T]``) -> logits ``[B]``; also the matching space."""

    def __init__(self, config: TextToImageConfig, *, rngs: nnx.Rngs):
        num_down = num_upsamplings(config.image_size)
        width = config.width
        channels = [width * min(2 ** (i + 1), 4) for i in range(num_down)]  # e.g. [2w, 4w, 4w]
        self.stem = SNConv(3, width, 3, rngs=rngs)
        self.downs = nnx.List(
            [SNConv(c_in, c_out, 4, strides=2, rngs=rngs) for c_in, c_out in zip([width] + channels[:-1], channels)]
        )
        feature_dim = 4 * 4 * channels[-1]
        self.psi = SNLinear(feature_dim, 1, rngs=rngs)
        self.text = CaptionEncoder(config, config.text_dim, rngs=rngs)
        self.project = nnx.Linear(config.text_dim, feature_dim, rngs=rngs)  # W_p
        self.image_match = nnx.Linear(feature_dim, config.contrastive_dim, rngs=rngs)  # A
        self.text_match = nnx.Linear(config.text_dim, config.contrastive_dim, rngs=rngs)  # B
        self.words = nnx.Linear(feature_dim, config.text().vocab_size, rngs=rngs)  # W_w
        self.image_size = config.image_size

    def features(self, x: jax.Array) -> jax.Array:
        """phi(x): images ``[B, H, W, 3]`` -> the final 4x4 map flattened ``[B, 16 C]``."""
        size = self.image_size
        if x.ndim != 4 or x.shape[1:] != (size, size, 3):
            raise ValueError(f"images must have shape [batch, {size}, {size}, 3], got {tuple(x.shape)}")
        h = jax.nn.leaky_relu(self.stem(x), 0.2)  # [B, H, W, w]
        for down in self.downs:
            h = jax.nn.leaky_relu(down(h), 0.2)  # halves H and W
        return h.reshape(h.shape[0], -1)

    def __call__(self, x: jax.Array, tokens: jax.Array) -> jax.Array:
        return self.judge(x, tokens)["logits"]

    def judge(self, x: jax.Array, tokens: jax.Array) -> dict[str, jax.Array]:
        """D's outputs: ``logits`` [B], match vectors ``u`` and ``v`` [B, M], caption-word logits ``words`` [B, V]."""
        phi = self.features(x)  # [B, F]
        check_tokens(tokens, x.shape[0], self.text.max_tokens)
        s = self.text(tokens)  # [B, E]
        logits = self.psi(phi)[:, 0] + jnp.sum(self.project(s) * phi, axis=1)  # [B]
        return {
            "logits": logits,
            "u": unit(self.image_match(phi)),
            "v": unit(self.text_match(s)),
            "words": self.words(phi),
        }


def build_players(config: TextToImageConfig, key: jax.Array) -> tuple[TextToImageGenerator, TextToImageDiscriminator]:
    """G and D of ``config``, initialised from ``key``."""
    key_g, key_d = jax.random.split(key)
    return TextToImageGenerator(config, rngs=nnx.Rngs(key_g)), TextToImageDiscriminator(config, rngs=nnx.Rngs(key_d))
