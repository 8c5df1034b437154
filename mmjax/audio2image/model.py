"""The audio-to-image GAN: a Transformer over spectrogram frames in each player, a sub-pixel G, a projection D.

Audio encoder (one per player, each trained by its own player's loss), for a clip a of 4608 samples:
    S     = log(eps + |STFT(a)|^2 W_mel)                       # [B, T, 40]  T = 37 frames, 4 per grid cell
    S'    = S / |log eps| + 1                                  #             silence -> 0, a loud note -> ~1.5
    h     = Encoder(W_in S' + PE[t])                           # [B, T, D]   frame states
    s     = W_s (1/T sum_t h_t)                                # [B, E]      the clip vector
Each frame's state carries *when* it sounds (its position code) next to *what* sounds (pitch, timbre,
loudness).

Generator: the sub-pixel generator of :mod:`mmjax.gan.blocks` with the clip vector as its condition, as
text2image's: the stem reads [z; s] and lays out a 4x4 map, every block is
modulated by s: h * (1 + gamma(s)) + beta(s). One vector must then say which object sits in which cell,
and a mean over frames says that slowly (``listen="pooled"``). The clip is cell-aligned (slot k of the
clip is grid cell k), so with ``listen="cells"`` each place of each block's map is modulated by what *its*
cell's slot says:

    s_k  = mean of h_t over the frames t whose windows lie inside slot k          # [B, 9, D]
    e(p) = s + W s_{cell(p)} + P_p        cell(p): the grid cell whose centre is nearest to place p
    h(p) <- h(p) * (1 + gamma(e(p))) + beta(e(p))

P_p (learned, one per place) tells a place where in its cell it lies, so the convolutions can draw the
object's outline round the cell's centre; the colour, shape and size come from s_{cell(p)}. Binding an
attribute to its cell is then built in rather than learned. (``listen="attention"`` learns it instead: at
4x4 and at 8x8 one learned query per place attends to the frames, h <- h + MultiHead(P, frames); how the
three ways compared is in the model card, ``mmjax/artifacts/shapes-audio/README.md``.)

G's ear names what each slot holds, q(y_k | a) = softmax(V s_k) per attribute (shape, colour, size or
empty): trained on the scene's labels (``slot_weight`` in step.py), it teaches G's encoder pitch, timbre
and loudness directly, where otherwise only D's reading of G's images would, once D can read real ones.

Discriminator, with phi(x) its final 4x4 feature map flattened (pooling would hide *where* things are):
    D(x, a)    = psi(phi(x)) + <W_p s_D(a), phi(x)>                 projection (Miyato & Koyama 2018)
    u(x), v(a) = unit(A phi(x)), unit(B s_D(a))                      image/audio matching space (InfoNCE)
    p(c | x)   = softmax(W_c phi(x))  per grid cell and attribute   what each cell holds: a shape, colour
                                                                    and size, or "empty" (AC-GAN)
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mmjax.audio.features import FRAME_LENGTH, HOP_LENGTH
from mmjax.audio.mel import EPS, N_MELS, log_mel_spectrogram
from mmjax.audio2image.config import AudioToImageConfig
from mmjax.data.audio import NUM_SAMPLES, SLOT
from mmjax.data.cells import NUM_CELLS
from mmjax.gan.blocks import ProjectionFeatures, SubPixelGenerator, unit
from mmjax.gan.cells import CELL_CLASSES, CellCondition, HeardCells, cell_logits, split_cells
from mmjax.nn.attention import MultiHeadAttention
from mmjax.nn.encoder import Encoder
from mmjax.nn.position import PositionEncoding

LOG_FLOOR = float(-np.log(EPS))  # |log eps| = 13.8: the log-mel value of silence is -LOG_FLOOR


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


@functools.cache
def slot_weights(num_frames: int) -> np.ndarray:
    """``[9, T]``: row k averages the frames whose windows lie inside slot k (frames 4k+1 .. 4k+3).

    Frame t is centred on sample t H and spans [t H - L/2, t H + L/2); slot k spans [k S, (k + 1) S).
    """
    weights = np.zeros((NUM_CELLS, num_frames), np.float32)
    for k in range(NUM_CELLS):
        first, last = (k * SLOT + FRAME_LENGTH // 2) // HOP_LENGTH, ((k + 1) * SLOT - FRAME_LENGTH // 2) // HOP_LENGTH
        weights[k, first : last + 1] = 1.0 / (last + 1 - first)
    return weights


class AudioToImageGenerator(SubPixelGenerator):
    """(z ``[B, latent]``, clips ``[B, 4608]``) -> images ``[B, H, W, 3]`` in [-1, 1]."""

    def __init__(self, config: AudioToImageConfig, *, rngs: nnx.Rngs):
        width, embed = config.width, config.audio_dim
        self.audio = AudioEncoder(config, embed, rngs=rngs)
        channels = self.build_drawing(config.latent_dim, width, embed, config.image_size, rngs=rngs)
        # "attention": at 4x4 (before the first block) and at 8x8 (after it); "cells": every block's output
        maps = ((4, 4 * width), (8, channels[0])) if config.listen == "attention" else ()
        self.listen = nnx.List([FrameAttention(n, c, embed, config.audio_heads, rngs=rngs) for n, c in maps])
        sizes = [8 * 2**i for i in range(len(channels))] if config.listen in ("cells", "heard") else []
        self.cells = nnx.List([CellCondition(n, embed, rngs=rngs) for n in sizes])
        self.hear = nnx.Linear(config.audio_dim, sum(CELL_CLASSES), rngs=rngs)  # V: what each slot holds
        self.heard = HeardCells(embed, rngs=rngs) if config.listen == "heard" else None

    def __call__(self, z: jax.Array, audio: jax.Array) -> jax.Array:
        return self.draw_and_hear(z, audio)[0]

    def draw_and_hear(self, z: jax.Array, audio: jax.Array) -> tuple[jax.Array, dict[str, jax.Array]]:
        """(images ``[B, H, W, 3]`` in [-1, 1], what G's ear makes of each slot: logits ``[B, 9, K]``)."""
        self.check_latent(z)
        check_audio(audio, z.shape[0])
        frames, s = self.audio(audio)  # [B, T, D], [B, E]
        slots = jnp.einsum("kt,btd->bkd", slot_weights(frames.shape[1]), frames)  # [B, 9, D]: s_k
        heard = split_cells(self.hear(slots))  # {[B, 9, K]}: what the ear names in each slot
        cells = slots  # [B, 9, E]: c_k
        if self.heard is not None:  # every condition from the ear's names, so nothing carries a colour-shape pair
            cells = self.heard(heard)
            s = jnp.mean(cells, axis=1)  # [B, E]
        h = self.start(z, s)  # [B, 4, 4, 4w]
        for i, block in enumerate(self.blocks):
            if i < len(self.listen):
                h = self.listen[i](h, frames)  # the map's places fetch their cells' notes
            e = self.cells[i](s, cells) if self.cells else s  # [B, 2H, 2W, E] per place, or [B, E]
            h = block(h, e)  # [B, 2H, 2W, C]
        return self.finish(h), heard  # [B, H, W, 3] in [-1, 1], {[B, 9, K]}


class AudioToImageDiscriminator(ProjectionFeatures):
    """(images ``[B, H, W, 3]`` in [-1, 1], clips ``[B, 4608]``) -> logits ``[B]``; also the auxiliary heads."""

    def __init__(self, config: AudioToImageConfig, *, rngs: nnx.Rngs):
        feature_dim = self.build_features(config.width, config.image_size, rngs=rngs)
        self.audio = AudioEncoder(config, config.audio_dim, rngs=rngs)
        self.audio_match = self.build_heads(feature_dim, config.audio_dim, config.contrastive_dim, rngs=rngs)  # B
        self.cells = nnx.Linear(feature_dim, NUM_CELLS * sum(CELL_CLASSES), rngs=rngs)  # W_c

    def cell_logits(self, phi: jax.Array) -> dict[str, jax.Array]:
        """Per attribute, logits ``[B, 9, values + 1]`` of what each cell holds (the last class: empty)."""
        return cell_logits(self.cells, phi)  # {name: [B, 9, values + 1]}

    def __call__(self, x: jax.Array, audio: jax.Array) -> jax.Array:
        return self.heads(x, audio)["logits"]

    def heads(self, x: jax.Array, audio: jax.Array) -> dict[str, jax.Array]:
        """D's outputs for matched pairs: ``logits`` [B], match vectors ``u``, ``v`` [B, M], ``cells``."""
        return self.pairs(x, None, audio)["real"]

    def pairs(self, real: jax.Array, fake: jax.Array | None, audio: jax.Array) -> dict[str, dict]:
        """Everything a D update reads, with one pass over each image and each clip.

        ``real``: the clips' own images; ``fake``: G's images for the same clips (or None); ``wrong``:
        the real images against the clip of the next example, ``roll(a, 1)`` (GAN-INT-CLS's mismatch).
        The clip vectors are computed once and rolled, as rolling the clips would give the same.
        """
        images = real if fake is None else jnp.concatenate([real, fake])  # [B or 2B, H, W, 3]
        phi = self.conv_features(images)  # [N, F]
        check_audio(audio, real.shape[0])
        s = self.audio(audio)[1]  # [B, E]
        psi, cells = self.psi(phi)[:, 0], self.cell_logits(phi)  # [N], {name: [N, 9, K]}
        u, v = unit(self.image_match(phi)), unit(self.audio_match(s))  # [N, M], [B, M]
        projected = self.project(s)  # [B, F]: W_p s_D(a)
        num = real.shape[0]

        def outputs(rows: slice, p: jax.Array) -> dict[str, jax.Array]:
            logits = psi[rows] + jnp.sum(p * phi[rows], axis=1)  # [B]: psi(phi) + <W_p s, phi> (blocks.projection)
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
