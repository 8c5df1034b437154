"""The text-to-video GAN: the text-to-image players drawn and judged per frame, plus motion and whole clips.

A clip is split into content and motion, as in MoCoGAN (Tulyakov et al. 2018): one content code z_c for
every frame of a clip (what the caption leaves free: the jitter, the shared line of two objects), and a
motion code per frame. MoCoGAN draws its motion codes from per-frame noise (through a GRU) because its
motions are random; a Shapes clip's motion is fixed by its caption (the whole scene slides one cell in
the stated direction at constant speed), so here the motion code of frame t is a function of the caption
s = CaptionEncoder(tokens) and of the time t / (T - 1) alone. Two generators (``TextToVideoConfig.motion``):

    "code"    m_t = W_2 relu(W_1 [s; t / (T - 1)])            # [B, T, E]  a learned motion code
              x_t = G_frame(z_c, s + m_t)                      # every frame drawn, B T frames as one batch
    "shift"   d_t = t / (T - 1) * size * W_d s                 # [B, T, 2]  the scene's displacement, pixels
              x_t(p) = G_frame(z_c, s)(p - d_t)                # one frame drawn, moved (bilinear, black enters)

G_frame is the text-to-image generator (:meth:`TextToImageGenerator.draw`). "code" is the general form: the
frame generator itself must learn to redraw the scene a little further along at every frame. "shift"
builds the world's kind of motion (a rigid slide) into the generator: the frames are translations of one
drawing, so they agree on every attribute by construction, only the direction and length of the slide
(two numbers per clip) are learned, and G draws one image per clip instead of T.

Discriminators, after TGANs-C (Pan et al. 2017), both reading the caption:
    D_frame(x_t, t)  the text-to-image projection discriminator (with its matching space and caption-word
                     classifier) on single frames: does each frame show what the caption says?
    D_clip(x, t)     = psi(phi(x)) + <W_p s_clip(t), phi(x)>, with phi reading the T frames stacked along
                     channels, [H, W, 3T]: from its first layer it sees where every object is in every
                     frame, so the direction of motion is a linear read-out of phi and the projection
                     can ask for the caption's direction.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from mmjax.gan.dcgan.model import num_upsamplings
from mmjax.gan.spectral_norm import SNConv, SNLinear
from mmjax.text2image.model import CaptionEncoder, TextToImageDiscriminator, TextToImageGenerator, check_tokens
from mmjax.text2video.config import TextToVideoConfig


def frame_times(num_frames: int) -> jax.Array:
    """t / (T - 1) for t = 0 .. T-1: 0 at the first frame, 1 at the last ``[T]``."""
    return jnp.arange(num_frames, dtype=jnp.float32) / (num_frames - 1)


class MotionCode(nnx.Module):
    """(sentence vectors ``[B, E]``, times ``[T]``) -> motion codes ``[B, T, E]``.

    The output layer starts at zero: an untrained generator draws still clips, and motion is learned.
    """

    def __init__(self, dim: int, hidden: int, *, rngs: nnx.Rngs):
        self.hidden = nnx.Linear(dim + 1, hidden, rngs=rngs)
        self.out = nnx.Linear(hidden, dim, rngs=rngs, kernel_init=nnx.initializers.zeros)

    def __call__(self, s: jax.Array, times: jax.Array) -> jax.Array:
        (batch, dim), steps = s.shape, times.shape[0]
        s_per_frame = jnp.broadcast_to(s[:, None, :], (batch, steps, dim))  # [B, T, E]
        t_per_clip = jnp.broadcast_to(times[None, :, None], (batch, steps, 1))  # [B, T, 1]
        return self.out(jax.nn.relu(self.hidden(jnp.concatenate([s_per_frame, t_per_clip], axis=-1))))


def tent(shifts: jax.Array, size: int) -> jax.Array:
    """Bilinear shift matrices ``[N, size, size]``: T_d[i, a] = max(0, 1 - |i - d - a|), for shifts d ``[N]``.

    (T_d v)_i = v(i - d): whole shifts move v, fractional ones blend its two nearest entries, and entries
    that would come from outside v are 0.
    """
    index = jnp.arange(size, dtype=jnp.float32)
    return jax.nn.relu(1.0 - jnp.abs(index[None, :, None] - shifts[:, None, None] - index[None, None, :]))


def translate(images: jax.Array, shifts: jax.Array) -> jax.Array:
    """Images ``[N, H, W, C]`` in [-1, 1] moved by ``shifts`` ``[N, 2]`` pixels (down, right).

    out(i, j) = image(i - d_y, j - d_x), read between pixels by bilinear interpolation, black (-1) where
    it would come from outside the canvas:  out = T_dy (image + 1) T_dx^T - 1  (per channel; :func:`tent`).
    Two small matrix products: cheap, and differentiable in the images and in the shifts.
    """
    _, height, width, _ = images.shape
    rows, cols = tent(shifts[:, 0], height), tent(shifts[:, 1], width)  # [N, H, H], [N, W, W]
    return jnp.einsum("nia,nabc,njb->nijc", rows, images + 1.0, cols) - 1.0


class VideoGenerator(nnx.Module):
    """(z_c ``[B, latent]``, caption ids ``[B, L]``) -> clips ``[B, T, H, W, 3]`` in [-1, 1]."""

    def __init__(self, config: TextToVideoConfig, *, rngs: nnx.Rngs):
        self.frame = TextToImageGenerator(config.frame_config(), rngs=rngs)
        if config.motion == "code":
            self.motion = MotionCode(config.text_dim, config.motion_hidden, rngs=rngs)
        else:  # W_d, zero at first: an untrained generator draws still clips
            self.motion = nnx.Linear(config.text_dim, 2, rngs=rngs, kernel_init=nnx.initializers.zeros)
        self.moves_by, self.num_frames = config.motion, config.num_frames
        self.latent_dim, self.image_size = config.latent_dim, config.image_size

    def __call__(self, z: jax.Array, tokens: jax.Array) -> jax.Array:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"content code must have shape [batch, {self.latent_dim}], got {tuple(z.shape)}")
        check_tokens(tokens, z.shape[0], self.frame.text.max_tokens)
        (batch, _), steps, size = z.shape, self.num_frames, self.image_size
        s = self.frame.text(tokens)  # [B, E]
        times = frame_times(steps)  # [T]
        if self.moves_by == "shift":
            shifts = times[None, :, None] * size * self.motion(s)[:, None, :]  # [B, T, 2] d_t in pixels
            first = self.frame.draw(z, s)  # [B, H, W, 3]
            frames = translate(jnp.repeat(first, steps, axis=0), shifts.reshape(batch * steps, 2))  # [B T, H, W, 3]
        else:
            e = s[:, None, :] + self.motion(s, times)  # [B, T, E]: s + m_t
            # Frames as one batch of B T images, row b T + t = frame t of clip b: the 2-D generator is reused.
            frames = self.frame.draw(jnp.repeat(z, steps, axis=0), e.reshape(batch * steps, -1))  # [B T, H, W, 3]
        return frames.reshape(batch, steps, size, size, 3)


class ClipDiscriminator(nnx.Module):
    """(clips ``[B, T, H, W, 3]`` in [-1, 1], caption ids ``[B, L]``) -> logits ``[B]``."""

    def __init__(self, config: TextToVideoConfig, *, rngs: nnx.Rngs):
        num_down = num_upsamplings(config.image_size)
        width = config.width
        channels = [width * min(2 ** (i + 1), 4) for i in range(num_down)]  # e.g. [2w, 4w, 4w]
        self.stem = SNConv(3 * config.num_frames, width, 3, rngs=rngs)
        self.downs = nnx.List(
            [SNConv(c_in, c_out, 4, strides=2, rngs=rngs) for c_in, c_out in zip([width] + channels[:-1], channels)]
        )
        self.hidden = SNLinear(4 * 4 * channels[-1], config.clip_hidden, rngs=rngs)
        self.psi = SNLinear(config.clip_hidden, 1, rngs=rngs)
        self.text = CaptionEncoder(config.frame_config(), config.text_dim, rngs=rngs)
        self.project = nnx.Linear(config.text_dim, config.clip_hidden, rngs=rngs)  # W_p
        self.clip_shape = (config.num_frames, config.image_size, config.image_size, 3)

    def features(self, x: jax.Array) -> jax.Array:
        """phi(x): clips ``[B, T, H, W, 3]`` -> clip features ``[B, clip_hidden]``."""
        if x.ndim != 5 or x.shape[1:] != self.clip_shape:
            raise ValueError(f"clips must have shape [batch, {', '.join(map(str, self.clip_shape))}], got {x.shape}")
        batch, steps, height, width, _ = x.shape
        stacked = x.transpose(0, 2, 3, 1, 4).reshape(batch, height, width, steps * 3)  # [B, H, W, 3T]
        h = jax.nn.leaky_relu(self.stem(stacked), 0.2)  # [B, H, W, w]
        for down in self.downs:
            h = jax.nn.leaky_relu(down(h), 0.2)  # halves H and W
        return jax.nn.leaky_relu(self.hidden(h.reshape(batch, -1)), 0.2)  # [B, clip_hidden]

    def __call__(self, x: jax.Array, tokens: jax.Array) -> jax.Array:
        phi = self.features(x)  # [B, F]
        check_tokens(tokens, x.shape[0], self.text.max_tokens)
        return self.psi(phi)[:, 0] + jnp.sum(self.project(self.text(tokens)) * phi, axis=1)  # [B]


class VideoDiscriminator(nnx.Module):
    """The two discriminators as one module, so one call advances both spectral norms once per update."""

    def __init__(self, config: TextToVideoConfig, *, rngs: nnx.Rngs):
        self.frames = TextToImageDiscriminator(config.frame_config(), rngs=rngs)
        self.clips = ClipDiscriminator(config, rngs=rngs)

    def judge(self, frames: jax.Array, frame_tokens: jax.Array, clips: jax.Array, clip_tokens: jax.Array) -> dict:
        """``{"frame": D_frame's outputs (logits, u, v, words) for frames [N, H, W, 3], "clip": D_clip's logits
        [M] for clips [M, T, H, W, 3]}``."""
        return {"frame": self.frames.judge(frames, frame_tokens), "clip": self.clips(clips, clip_tokens)}


def build_players(config: TextToVideoConfig, key: jax.Array) -> tuple[VideoGenerator, VideoDiscriminator]:
    """G and D of ``config``, initialised from ``key``."""
    key_g, key_d = jax.random.split(key)
    return VideoGenerator(config, rngs=nnx.Rngs(key_g)), VideoDiscriminator(config, rngs=nnx.Rngs(key_d))
