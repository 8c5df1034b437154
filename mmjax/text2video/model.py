"""The text-to-video GAN: the text-to-image players drawn and judged per frame, plus motion and whole clips.

Generator, MoCoGAN's split of a clip into content and motion (Tulyakov et al. 2018):
    s     = CaptionEncoder(tokens)                 # [B, E]        what the caption says
    m_t   = W_2 relu(W_1 [s; t / (T - 1)])         # [B, T, E]     where in its motion frame t is
    x_t   = G_frame(z_c, s + m_t)                  # [B, T, H, W, 3], one content code z_c for every frame
G_frame is the text-to-image generator (:meth:`TextToImageGenerator.draw`) with s + m_t in place of the
sentence vector, run on the B T frames as one batch. MoCoGAN draws its motion codes from per-frame
noise (through a GRU) because its motions are random; a Shapes clip's motion is fixed by its caption
(one cell in the stated direction at constant speed), so m_t is a function of the caption and the time
alone. What the caption leaves free (the jitter, the shared line of two objects) lives in z_c, which
every frame shares, so an object keeps its look and its line from the first frame to the last.

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


class VideoGenerator(nnx.Module):
    """(z_c ``[B, latent]``, caption ids ``[B, L]``) -> clips ``[B, T, H, W, 3]`` in [-1, 1]."""

    def __init__(self, config: TextToVideoConfig, *, rngs: nnx.Rngs):
        self.frame = TextToImageGenerator(config.frame_config(), rngs=rngs)
        self.motion = MotionCode(config.text_dim, config.motion_hidden, rngs=rngs)
        self.num_frames, self.latent_dim, self.image_size = config.num_frames, config.latent_dim, config.image_size

    def __call__(self, z: jax.Array, tokens: jax.Array) -> jax.Array:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"content code must have shape [batch, {self.latent_dim}], got {tuple(z.shape)}")
        check_tokens(tokens, z.shape[0], self.frame.text.max_tokens)
        (batch, _), steps, size = z.shape, self.num_frames, self.image_size
        s = self.frame.text(tokens)  # [B, E]
        e = s[:, None, :] + self.motion(s, frame_times(steps))  # [B, T, E]: s + m_t
        # Frames as one batch of B T images, row b T + t = frame t of clip b, so the 2-D generator is reused.
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
        """``{"frame": D_frame's outputs (logits, u, v, words) for frames [N, H, W, 3], "clip": logits [M]}``."""
        return {"frame": self.frames.judge(frames, frame_tokens), "clip": self.clips(clips, clip_tokens)}


def build_players(config: TextToVideoConfig, key: jax.Array) -> tuple[VideoGenerator, VideoDiscriminator]:
    """G and D of ``config``, initialised from ``key``."""
    key_g, key_d = jax.random.split(key)
    return VideoGenerator(config, rngs=nnx.Rngs(key_g)), VideoDiscriminator(config, rngs=nnx.Rngs(key_d))
