"""The blocks every image GAN here is built from: one sub-pixel generator, one spectral-norm conv stack.

Generator (no ConvTranspose: its backward is ~10x slower on XLA CPU). A stem reads [z; s], z the latent and
s the condition vector, and lays out a 4x4 map (where things go); each up-block doubles the map by sub-pixel
upsampling (Shi et al. 2016: a 3x3 conv to 4C channels, then depth-to-space [H, W, 4C] -> [2H, 2W, C]),
normalises it with pixel norm (Karras et al. 2018, no batch statistics) and modulates it by the condition
(FiLM: what things look like):

    h <- relu(h * (1 + gamma(e)) + beta(e))        e = s [B, E], or one vector per place [B, H, W, E]

Discriminator features phi(x): a spectrally normalised conv stack (:mod:`mmjax.gan.spectral_norm`), a 3x3
stem then stride-2 4x4 convolutions down to 4x4, flattened rather than pooled (pooling would hide *where*
things are). The projection head of Miyato & Koyama (2018) scores an (image, condition) pair,

    D(x, c) = psi(phi(x)) + <W_p s(c), phi(x)>,

and a matching space pairs images with conditions, u(x) = unit(A phi(x)), v(c) = unit(B s(c)).
A G that reads a caption word by word adds :class:`WordAttention` after an up-block: each place of the map
attends to the caption's token states (which colour goes with which shape is said by words, not by s).
Each model names its own layers (``self.stem``, ``self.psi``, ...) through these classes, so the parameter
paths of a model are its own attribute names.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import nnx

from mmjax.gan.spectral_norm import SNConv, SNLinear
from mmjax.nn.attention import MultiHeadAttention


def num_upsamplings(image_size: int) -> int:
    """k for an image of 4 * 2^k pixels: the up-blocks of G, and the stride-2 convolutions of D."""
    steps = math.log2(image_size / 4)
    if image_size < 8 or steps != int(steps):
        raise ValueError(f"image_size must be 4 * 2^k >= 8, got {image_size}")
    return int(steps)


def depth_to_space(x: jax.Array, block: int = 2) -> jax.Array:
    """[B, H, W, block^2 * C] -> [B, block * H, block * W, C]."""
    b, h, w, c = x.shape
    x = x.reshape(b, h, w, block, block, c // block**2)
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(b, h * block, w * block, c // block**2)


def pixel_norm(x: jax.Array, eps: float = 1e-8) -> jax.Array:
    """x / sqrt(mean over channels of x^2 + eps), per pixel."""
    return x * jax.lax.rsqrt(jnp.mean(x**2, axis=-1, keepdims=True) + eps)


def unit(x: jax.Array) -> jax.Array:
    """x / |x| along the last axis."""
    return x * jax.lax.rsqrt(jnp.sum(x**2, axis=-1, keepdims=True) + 1e-12)


def modulate(h: jax.Array, film: nnx.Linear, e: jax.Array) -> jax.Array:
    """FiLM: h * (1 + gamma(e)) + beta(e), ``e`` one vector per example ``[B, E]`` or one per place ``[B, H, W, E]``."""
    scale_shift = film(e)[:, None, None, :] if e.ndim == 2 else film(e)  # [B, 1 or H, 1 or W, 2C]
    gamma, beta = jnp.split(scale_shift, 2, axis=-1)
    return h * (1.0 + gamma) + beta


class UpBlock(nnx.Module):
    """Sub-pixel x2 upsampling, pixel norm, conditional scale and shift (zero at first), ReLU."""

    def __init__(self, c_in: int, c_out: int, embed_dim: int, *, rngs: nnx.Rngs):
        self.conv = nnx.Conv(c_in, 4 * c_out, (3, 3), rngs=rngs)
        self.film = nnx.Linear(embed_dim, 2 * c_out, rngs=rngs, kernel_init=nnx.initializers.zeros)

    def __call__(self, h: jax.Array, e: jax.Array) -> jax.Array:
        h = pixel_norm(depth_to_space(self.conv(h)))  # [B, 2H, 2W, C]
        return jax.nn.relu(modulate(h, self.film, e))


class WordAttention(nnx.Module):
    """A residual cross-attention from a feature map to a caption's token states (AttnGAN's word attention, Xu
    et al. 2018; XMC-GAN and GigaGAN put it in every generator block). With h ``[B, H, W, C]``, places p = 1..HW,
    token states w ``[B, T, D]`` and K heads of width d = C / K:

        q_p = pixel_norm(h)_p W_k^Q,   k_t = w_t W_k^K,   v_t = w_t W_k^V                  (per head k)
        a_pt = softmax_t(q_p k_t^T / sqrt(d) + M_t),   M_t = 0 for a word, -inf for padding
        h_p <- h_p + W^O Concat_k(sum_t a_pt v_t)

    The pooled sentence vector s says *what* the caption names; here each place asks *which* word is about
    it, so "blue" can go to the square's places and "yellow" to the triangle's. Residual: the block adds to
    the map FiLM already modulated, and the attention is :class:`mmjax.nn.attention.MultiHeadAttention`.
    """

    def __init__(self, channels: int, word_dim: int, num_heads: int, *, rngs: nnx.Rngs):
        self.attention = MultiHeadAttention(channels, num_heads, d_context=word_dim, rngs=rngs)

    def __call__(self, h: jax.Array, words: jax.Array, mask: jax.Array) -> jax.Array:
        """h ``[B, H, W, C]``, words ``[B, T, D]``, mask ``[B, 1, 1, T]`` (True for a word) -> ``[B, H, W, C]``."""
        b, height, width, channels = h.shape
        # Pixel norm: the queries see the pattern of the map, not its scale (FiLM's gamma moves the scale).
        queries = pixel_norm(h).reshape(b, height * width, channels)  # [B, HW, C]
        return h + self.attention(queries, words, mask).reshape(h.shape)  # [B, H, W, C]


class SubPixelGenerator(nnx.Module):
    """The drawing half of a conditional G: (z ``[B, latent]``, condition vectors ``[B, E]``) -> images in [-1, 1].

    A model's G calls :meth:`build_drawing` in its ``__init__`` (after its condition encoder) and reads its
    condition into s before :meth:`draw`; a G that modulates per place runs :meth:`start`, its blocks and
    :meth:`finish` itself.
    """

    def build_drawing(self, latent_dim: int, width: int, embed_dim: int, image_size: int, *, rngs: nnx.Rngs):
        """The stem, the up-blocks (4w, 2w, w channels from 4x4 up, at most 4w) and the RGB layer; their channels."""
        num_up = num_upsamplings(image_size)
        channels = [width * min(2 ** (num_up - 1 - i), 4) for i in range(num_up)]  # e.g. [4w, 2w, w]
        self.stem = nnx.Linear(latent_dim + embed_dim, 4 * 4 * 4 * width, rngs=rngs)
        self.blocks = nnx.List(
            [UpBlock(c_in, c_out, embed_dim, rngs=rngs) for c_in, c_out in zip([4 * width] + channels[:-1], channels)]
        )
        self.to_rgb = nnx.Conv(channels[-1], 3, (3, 3), rngs=rngs)
        self.latent_dim, self.width = latent_dim, width
        return channels

    def check_latent(self, z: jax.Array, name: str = "latent") -> None:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"{name} must have shape [batch, {self.latent_dim}], got {tuple(z.shape)}")

    def start(self, z: jax.Array, s: jax.Array) -> jax.Array:
        """The 4x4 map ``[B, 4, 4, 4w]`` the stem lays out from [z; s]."""
        h = self.stem(jnp.concatenate([z, s], axis=1)).reshape(z.shape[0], 4, 4, 4 * self.width)
        return jax.nn.relu(pixel_norm(h))

    def finish(self, h: jax.Array) -> jax.Array:
        return jnp.tanh(self.to_rgb(h))  # [B, H, W, 3] in [-1, 1]

    def draw(self, z: jax.Array, s: jax.Array) -> jax.Array:
        """Images ``[B, H, W, 3]`` for latents ``z`` ``[B, latent]`` and condition vectors ``s`` ``[B, E]``."""
        h = self.start(z, s)
        for block in self.blocks:
            h = block(h, s)  # [B, 2H, 2W, C]
        return self.finish(h)


class ConvFeatures(nnx.Module):
    """The features half of a D: phi(x), a spectral-norm conv stack from ``[B, H, W, C_in]`` to a flat 4x4 map."""

    def build_features(self, width: int, image_size: int, in_channels: int = 3, *, rngs: nnx.Rngs) -> int:
        """The stem and the stride-2 convolutions (w, 2w, 4w channels, at most 4w); the length of phi(x)."""
        num_down = num_upsamplings(image_size)
        channels = [width * min(2 ** (i + 1), 4) for i in range(num_down)]  # e.g. [2w, 4w, 4w]
        self.stem = SNConv(in_channels, width, 3, rngs=rngs)
        self.downs = nnx.List(
            [SNConv(c_in, c_out, 4, strides=2, rngs=rngs) for c_in, c_out in zip([width] + channels[:-1], channels)]
        )
        self.input_shape = (image_size, image_size, in_channels)
        return 4 * 4 * channels[-1]

    def conv_features(self, x: jax.Array, name: str = "images") -> jax.Array:
        """phi(x): ``[B, H, W, C_in]`` -> the final 4x4 map flattened ``[B, 16 C]``."""
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            raise ValueError(f"{name} must have shape [batch, {', '.join(map(str, self.input_shape))}], got {x.shape}")
        h = jax.nn.leaky_relu(self.stem(x), 0.2)  # [B, H, W, w]
        for down in self.downs:
            h = jax.nn.leaky_relu(down(h), 0.2)  # halves H and W
        return h.reshape(h.shape[0], -1)


class ProjectionFeatures(ConvFeatures):
    """A conditional D's conv stack and heads: phi(x), psi, W_p (``project``) and A (``image_match``)."""

    def build_heads(self, feature_dim: int, condition_dim: int, contrastive_dim: int, *, rngs: nnx.Rngs):
        """psi, W_p and A; returns B, the condition's side of the matching space, for the model to name."""
        self.psi = SNLinear(feature_dim, 1, rngs=rngs)
        self.project = nnx.Linear(condition_dim, feature_dim, rngs=rngs)  # W_p
        self.image_match = nnx.Linear(feature_dim, contrastive_dim, rngs=rngs)  # A
        return nnx.Linear(condition_dim, contrastive_dim, rngs=rngs)  # B


def projection(psi: nnx.Module, phi: jax.Array, projected: jax.Array) -> jax.Array:
    """D(x, c) = psi(phi(x)) + <W_p s(c), phi(x)>: logits ``[B]`` from phi ``[B, F]`` and W_p s ``[B, F]``."""
    return psi(phi)[:, 0] + jnp.sum(projected * phi, axis=1)
