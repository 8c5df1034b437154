"""The audio-to-image GAN: a Transformer over spectrogram frames in each player, a sub-pixel G, a projection D.

Audio encoder (one per player, each trained by its own player's loss), for a clip a of 4608 samples:
    S     = log(eps + |STFT(a)|^2 W_mel)                       # [B, T, 40]  T = 37 frames, 4 per grid cell
    S'    = S / |log eps| + 1                                  #             silence -> 0, a loud note -> ~1.5
    h     = Encoder(W_in S' + PE[t])                           # [B, T, D]   frame states
    s     = W_s (1/T sum_t h_t)                                # [B, E]      the clip vector
Each frame's state carries *when* it sounds (its position code) next to *what* sounds (pitch, timbre,
loudness).

Generator: the DCGAN's sub-pixel generator (mmjax.gan.dcgan.model.UpBlock) with the clip vector in place
of the label embedding, as text2image's: the stem reads [z; s] and lays out a 4x4 map, every block is
modulated by s: h * (1 + gamma(s)) + beta(s). One vector must then say which object sits in which cell,
and a mean over frames says that slowly: trained directly to name what each cell holds, a linear read-out
of s was right for 34% of the objects after 500 steps, where 9 learned queries attending to the frames
were right for 82% after 400. So G also *listens* (``cross_attention``): at 4x4 and at 8x8,

    h <- h + MultiHead(P, frames)        P: one learned query per place of the map,

each place asks what sounds at the time of its own cell (slot k of the clip is grid cell k) and the
convolutions that follow draw it there.

Discriminator, with phi(x) its final 4x4 feature map flattened (pooling would hide *where* things are):
    D(x, a)    = psi(phi(x)) + <W_p s_D(a), phi(x)>                 projection (Miyato & Koyama 2018)
    u(x), v(a) = unit(A phi(x)), unit(B s_D(a))                      image/audio matching space (InfoNCE)
    p(c | x)   = softmax(W_c phi(x))  per grid cell and attribute   what each cell holds: a shape, colour
                                                                    and size, or "empty" (AC-GAN)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mmjax.audio.mel import EPS, N_MELS, log_mel_spectrogram
from mmjax.audio2image.config import AudioToImageConfig
from mmjax.audio2image.data import CELL_ATTRIBUTES, NUM_CELLS
from mmjax.data.audio import NUM_SAMPLES
from mmjax.gan.dcgan.model import UpBlock, num_upsamplings, pixel_norm
from mmjax.gan.spectral_norm import SNConv, SNLinear
from mmjax.nn.attention import MultiHeadAttention
from mmjax.nn.encoder import Encoder
from mmjax.nn.position import PositionEncoding
from mmjax.text2image.model import unit

LOG_FLOOR = float(-np.log(EPS))  # |log eps| = 13.8: the log-mel value of silence is -LOG_FLOOR
CELL_CLASSES = tuple(count + 1 for _, count in CELL_ATTRIBUTES)  # each attribute's values, then "empty"


def check_audio(audio: jax.Array, batch: int | None = None) -> None:
    """A ValueError unless ``audio`` holds float clips ``[batch, 4608]`` (any batch if ``batch`` is None)."""
    ok = audio is not None and audio.ndim == 2 and audio.shape[1] == NUM_SAMPLES
    ok = ok and (batch is None or audio.shape[0] == batch) and jnp.issubdtype(audio.dtype, jnp.floating)
    if not ok:
        got = None if audio is None else f"{audio.dtype}{tuple(audio.shape)}"
        rows = "batch" if batch is None else batch
        raise ValueError(
            f"audio must be float clips of shape [{rows}, {NUM_SAMPLES}] (Shapes clips at 8 kHz; "
            f"mmjax.audio2image.data.clip_from makes one of any sound), got {got}"
        )


class AudioEncoder(nnx.Module):
    """Clips ``[B, 4608]`` -> clip vectors ``[B, out_dim]`` (``frames`` gives the frame states ``[B, T, D]``)."""

    def __init__(self, config: AudioToImageConfig, out_dim: int, *, rngs: nnx.Rngs):
        d = config.audio_dim
        self.project = nnx.Linear(N_MELS, d, rngs=rngs)  # W_in
        self.position = PositionEncoding("sinusoidal", config.num_frames, d, rngs=rngs)
        self.encoder = Encoder(config.audio_layers, d, config.audio_heads, config.audio_hidden, 0.0, rngs=rngs)
        self.out = nnx.Linear(d, out_dim, rngs=rngs)  # W_s

    def frames(self, audio: jax.Array) -> jax.Array:
        check_audio(audio)
        spectrogram = log_mel_spectrogram(audio) / LOG_FLOOR + 1.0  # [B, T, 40]: S'
        x = self.project(spectrogram) + self.position(spectrogram.shape[1])  # [B, T, D]
        return self.encoder(x)  # [B, T, D]

    def __call__(self, audio: jax.Array) -> tuple[jax.Array, jax.Array]:
        """(frame states ``[B, T, D]``, clip vectors ``[B, out_dim]``)."""
        h = self.frames(audio)  # [B, T, D]
        return h, self.out(jnp.mean(h, axis=1))


class FrameAttention(nnx.Module):
    """h + CrossAttention(P, frames): every place of G's map asks the clip what sounds at *its* time.

    The queries P ``[HW, C]`` are learned, one per place, and do not depend on the latent or the clip: the
    attention learns once where in time each place listens (the frames of grid cell k sound in slot k),
    and the values bring what sounds there (pitch, timbre, loudness) to that place.
    """

    def __init__(self, size: int, channels: int, audio_dim: int, num_heads: int, *, rngs: nnx.Rngs):
        self.places = nnx.Param(jax.random.normal(rngs.params(), (size * size, channels)))  # P
        self.attention = MultiHeadAttention(channels, num_heads, rngs=rngs, d_context=audio_dim)

    def __call__(self, h: jax.Array, frames: jax.Array) -> jax.Array:
        b, height, width, c = h.shape
        queries = jnp.broadcast_to(self.places[...], (b, height * width, c))  # [B, HW, C]
        return h + self.attention(queries, frames).reshape(b, height, width, c)


class AudioToImageGenerator(nnx.Module):
    """(z ``[B, latent]``, clips ``[B, 4608]``) -> images ``[B, H, W, 3]`` in [-1, 1]."""

    def __init__(self, config: AudioToImageConfig, *, rngs: nnx.Rngs):
        num_up = num_upsamplings(config.image_size)
        width, embed = config.width, config.audio_dim
        channels = [width * min(2 ** (num_up - 1 - i), 4) for i in range(num_up)]  # e.g. [4w, 2w, w]
        self.audio = AudioEncoder(config, embed, rngs=rngs)
        self.stem = nnx.Linear(config.latent_dim + embed, 4 * 4 * 4 * width, rngs=rngs)
        self.blocks = nnx.List(
            [UpBlock(c_in, c_out, embed, rngs=rngs) for c_in, c_out in zip([4 * width] + channels[:-1], channels)]
        )
        self.to_rgb = nnx.Conv(channels[-1], 3, (3, 3), rngs=rngs)
        self.latent_dim, self.width = config.latent_dim, width
        # with cross_attention: at 4x4 (before the first block) and at 8x8 (after it)
        maps = ((4, 4 * width), (8, channels[0])) if config.cross_attention else ()
        self.listen = nnx.List([FrameAttention(n, c, embed, config.audio_heads, rngs=rngs) for n, c in maps])

    def __call__(self, z: jax.Array, audio: jax.Array) -> jax.Array:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latent must have shape [batch, {self.latent_dim}], got {tuple(z.shape)}")
        check_audio(audio, z.shape[0])
        frames, s = self.audio(audio)  # [B, T, D], [B, E]
        h = self.stem(jnp.concatenate([z, s], axis=1)).reshape(z.shape[0], 4, 4, 4 * self.width)
        h = jax.nn.relu(pixel_norm(h))  # [B, 4, 4, 4w]
        for i, block in enumerate(self.blocks):
            if i < len(self.listen):
                h = self.listen[i](h, frames)  # the map's places fetch their cells' notes
            h = block(h, s)  # [B, 2H, 2W, C]
        return jnp.tanh(self.to_rgb(h))  # [B, H, W, 3] in [-1, 1]


class AudioToImageDiscriminator(nnx.Module):
    """(images ``[B, H, W, 3]`` in [-1, 1], clips ``[B, 4608]``) -> logits ``[B]``; also the auxiliary heads."""

    def __init__(self, config: AudioToImageConfig, *, rngs: nnx.Rngs):
        num_down = num_upsamplings(config.image_size)
        width = config.width
        channels = [width * min(2 ** (i + 1), 4) for i in range(num_down)]  # e.g. [2w, 4w, 4w]
        self.stem = SNConv(3, width, 3, rngs=rngs)
        self.downs = nnx.List(
            [SNConv(c_in, c_out, 4, strides=2, rngs=rngs) for c_in, c_out in zip([width] + channels[:-1], channels)]
        )
        feature_dim = 4 * 4 * channels[-1]
        self.psi = SNLinear(feature_dim, 1, rngs=rngs)
        self.audio = AudioEncoder(config, config.audio_dim, rngs=rngs)
        self.project = nnx.Linear(config.audio_dim, feature_dim, rngs=rngs)  # W_p
        self.image_match = nnx.Linear(feature_dim, config.contrastive_dim, rngs=rngs)  # A
        self.audio_match = nnx.Linear(config.audio_dim, config.contrastive_dim, rngs=rngs)  # B
        self.cells = nnx.Linear(feature_dim, NUM_CELLS * sum(CELL_CLASSES), rngs=rngs)  # W_c
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

    def cell_logits(self, phi: jax.Array) -> dict[str, jax.Array]:
        """Per attribute, logits ``[B, 9, values + 1]`` of what each cell holds (the last class: empty)."""
        logits = self.cells(phi).reshape(phi.shape[0], NUM_CELLS, sum(CELL_CLASSES))  # [B, 9, 15]
        pieces = jnp.split(logits, np.cumsum(CELL_CLASSES)[:-1].tolist(), axis=-1)
        return {name: piece for (name, _), piece in zip(CELL_ATTRIBUTES, pieces)}

    def __call__(self, x: jax.Array, audio: jax.Array) -> jax.Array:
        return self.judge(x, audio)["logits"]

    def judge(self, x: jax.Array, audio: jax.Array) -> dict[str, jax.Array]:
        """D's outputs for matched pairs: ``logits`` [B], match vectors ``u``, ``v`` [B, M], ``cells``."""
        return self.game(x, None, audio)["real"]

    def game(self, real: jax.Array, fake: jax.Array | None, audio: jax.Array) -> dict[str, dict]:
        """Everything a D update reads, with one pass over each image and each clip.

        ``real``: the clips' own images; ``fake``: G's images for the same clips (or None); ``wrong``:
        the real images against the clip of the next example, ``roll(a, 1)`` (GAN-INT-CLS's mismatch).
        The clip vectors are computed once and rolled, as rolling the clips would give the same.
        """
        images = real if fake is None else jnp.concatenate([real, fake])  # [B or 2B, H, W, 3]
        phi = self.features(images)  # [N, F]
        check_audio(audio, real.shape[0])
        s = self.audio(audio)[1]  # [B, E]
        psi, cells = self.psi(phi)[:, 0], self.cell_logits(phi)  # [N], {name: [N, 9, K]}
        u, v = unit(self.image_match(phi)), unit(self.audio_match(s))  # [N, M], [B, M]
        projected = self.project(s)  # [B, F]: W_p s_D(a)
        num = real.shape[0]

        def outputs(rows: slice, p: jax.Array) -> dict[str, jax.Array]:
            logits = psi[rows] + jnp.sum(p * phi[rows], axis=1)  # [B]: psi(phi) + <W_p s, phi>
            return {"logits": logits, "u": u[rows], "v": v, "cells": {k: c[rows] for k, c in cells.items()}}

        out = {"real": outputs(slice(0, num), projected)}
        out["wrong"] = {"logits": outputs(slice(0, num), jnp.roll(projected, 1, axis=0))["logits"]}
        if fake is not None:
            out["fake"] = outputs(slice(num, 2 * num), projected)
        return out


def build_players(
    config: AudioToImageConfig, key: jax.Array
) -> tuple[AudioToImageGenerator, AudioToImageDiscriminator]:
    """G and D of ``config``, initialised from ``key``."""
    key_g, key_d = jax.random.split(key)
    return AudioToImageGenerator(config, rngs=nnx.Rngs(key_g)), AudioToImageDiscriminator(config, rngs=nnx.Rngs(key_d))
