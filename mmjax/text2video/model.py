"""The text-to-video GAN: the text-to-image players drawn and judged per frame, plus motion and whole clips.

A clip is split into content and motion, as in MoCoGAN (Tulyakov et al. 2018): one content code z_c for
every frame of a clip (what the caption leaves free: the jitter, the shared line of two objects), and a
motion code per frame. MoCoGAN draws its motion codes from per-frame noise (through a GRU) because its
motions are random; a Shapes clip's motion is fixed by its caption (the whole scene slides one cell in
the stated direction at constant speed), so here the motion code of frame t is a function of the caption
s = CaptionEncoder(tokens) and of the time t / (T - 1) alone. Three generators (``TextToVideoConfig.motion``):

    "code"    m_t = W_2 relu(W_1 [s; t / (T - 1)])            # [B, T, E]  a learned motion code
              x_t = G_frame(z_c, s + m_t)                      # every frame drawn, B T frames as one batch
    "shift"   d_t = t / (T - 1) * size * W_d s                 # [B, T, 2]  the scene's displacement, pixels
              x_t(p) = G_frame(z_c, s)(p - d_t)                # one frame drawn, moved (bilinear, black enters)
    "cell"    q = softmax(W_q s)                               # [B, 4]  how likely each direction is
              d_t = t / (T - 1) * c * e_k,  k = argmax_k q_k   # e_k: left, right, up, down; c: one cell, pixels
              x_t(p) = G_frame(z_c, s)(p - d_t)

G_frame is the text-to-image generator (:meth:`TextToImageGenerator.draw`). "code" is the general form: the
frame generator itself must learn to redraw the scene a little further along at every frame. "shift"
builds the world's kind of motion (a rigid slide) into the generator: the frames are translations of one
drawing, so they agree on every attribute by construction, only the direction and length of the slide
(two numbers per clip) are learned, and G draws one image per clip instead of T. "cell" builds in the
length as well (every Shapes clip slides exactly one grid cell): what is learned is a choice among the
four directions, and G's clips are crisp one-cell slides from the first step. Its q is trained directly,
by a cross-entropy towards D_clip's ranking of the four slides (step.py), not through the pixels.
With W_d zero at first "shift" starts still; "cell" starts sliding every scene left (argmax of a tie).

What the motion reads (``motion_reader``): "frame", the frame generator's s, so the frames see the motion
words too; or "words", a bag of the words after the motion verb (:class:`MotionWords`), and the frame
players then read only the still part of the caption
(:func:`still_caption`): content and motion come from the caption's own two parts, and a text-to-image GAN
(``frames_from``) reads captions like those it was trained on.

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

from mmjax.data import attributes as A
from mmjax.data import captions as C
from mmjax.data.render import cell_centre
from mmjax.gan.blocks import ConvFeatures, projection
from mmjax.gan.spectral_norm import SNLinear
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


def still_caption(tokens: jax.Array, verb_ids: tuple[int, ...], pad_id: int, eos_id: int) -> jax.Array:
    """The still part of video captions ``[B, L]``: "<bos> a red circle in the left moving right <eos>" ->
    "<bos> a red circle in the left <eos>" (then padding): the caption ends where its motion verb was."""
    is_verb = jnp.isin(tokens, jnp.asarray(verb_ids))  # [B, L] the motion begins at its verb
    seen = jnp.cumsum(is_verb, axis=1)  # [B, L] verbs so far
    still = jnp.where(seen > 0, pad_id, tokens)
    return jnp.where(is_verb & (seen == 1), eos_id, still)


def still_ids(config: TextToVideoConfig) -> tuple | None:
    """``(verb ids, pad id, eos id)`` for :func:`still_caption` if the frame players read still captions
    (``motion_reader="words"``: what every frame shows, as the text-to-image players read it), else None."""
    if config.motion_reader == "frame":
        return None
    tokenizer = config.tokenizer()
    return tuple(tokenizer.index[verb] for verb in C.MOTION_VERBS), tokenizer.pad_id, tokenizer.eos_id


def frame_tokens(config: TextToVideoConfig, tokens: jax.Array) -> jax.Array:
    """The caption ids the frame players read ``[B, L]`` (see :func:`still_ids`)."""
    ids = still_ids(config)
    return tokens if ids is None else still_caption(tokens, *ids)


def pick_frames(clips: jax.Array, count: int, key: jax.Array) -> jax.Array:
    """``count`` different frames of each clip, drawn at random: ``[B, T, H, W, 3]`` -> ``[B * count, H, W, 3]``.

    Row b * count + k is the k-th frame drawn from clip b.
    """
    order = jnp.argsort(jax.random.uniform(key, clips.shape[:2]), axis=1)[:, :count]  # [B, K] distinct frames
    frames = jnp.take_along_axis(clips, order[:, :, None, None, None], axis=1)  # [B, K, H, W, 3]
    return frames.reshape(-1, *clips.shape[2:])


def cell_steps(image_size: int) -> jax.Array:
    """c e_k ``[4, 2]``: one grid cell in pixels (down, right) in each direction of ``A.MOTIONS``."""
    steps = jnp.asarray([A.MOTION_STEP[name] for name in A.MOTIONS], jnp.float32)  # [4, 2] e_k in cells
    return (cell_centre(1, 1, image_size)[0] - cell_centre(0, 0, image_size)[0]) * steps


def slide(first: jax.Array, ends: jax.Array, num_frames: int, stay_on_canvas: bool = False) -> jax.Array:
    """Clips ``[N, T, H, W, 3]`` of images ``first`` ``[N, H, W, 3]`` moved t / (T - 1) of ``ends`` ``[N, 2]``
    pixels (down, right) at frame t: frame 0 is ``first``, the last frame is ``first`` moved by ``ends``.

    ``stay_on_canvas``: a Shapes scene never slides off the canvas. A drawing that would lose more of itself
    (its brightness above black) moving by ``ends`` than by ``-ends`` (e.g. a pair drawn in the top row, told
    to move up: a caption of two shapes fixes their relation, not their cells) slides *into* its place
    instead, from ``first`` moved by ``-ends`` back to ``first``: d_t = (t / (T - 1) - 1) ends.
    """
    (count, height, width, channels), times = first.shape, frame_times(num_frames)
    start = jnp.zeros((count, 1))  # [N, 1] where the slide starts, in units of ends
    if stay_on_canvas:
        kept = [jnp.sum(translate(first, sign * ends) + 1.0, axis=(1, 2, 3)) for sign in (1.0, -1.0)]  # [N] each
        lost = jnp.sum(first + 1.0, axis=(1, 2, 3)) - kept[0]  # what moving forwards would push off
        start = jnp.where((lost > 0.1 * jnp.sum(first + 1.0, axis=(1, 2, 3))) & (kept[1] > kept[0]), -1.0, 0.0)
        start = start[:, None]
    shifts = (times[None, :, None] + start[:, :, None]) * ends[:, None, :]  # [N, T, 2] d_t
    frames = translate(jnp.repeat(first, num_frames, axis=0), shifts.reshape(-1, 2))  # [N T, H, W, 3]
    return frames.reshape(count, num_frames, height, width, channels)


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


class MotionWords(nnx.Module):
    """Caption ids ``[B, L]`` -> the sum of the embeddings of the words after the motion verb ``[B, E]``.

    "... moving to the left" -> e(to) + e(the) + e(left): a bag of the motion's words, which is all a
    direction needs; what each word means is learned.
    """

    def __init__(self, vocab_size: int, dim: int, ids: tuple, *, rngs: nnx.Rngs):
        self.embedding = nnx.Embed(vocab_size, dim, rngs=rngs)
        self.verb_ids, self.pad_id, self.eos_id = ids

    def __call__(self, tokens: jax.Array) -> jax.Array:
        is_verb = jnp.isin(tokens, jnp.asarray(self.verb_ids))  # [B, L]
        after = (jnp.cumsum(is_verb, axis=1) > 0) & ~is_verb & (tokens != self.pad_id) & (tokens != self.eos_id)
        return jnp.sum(self.embedding(tokens) * after[..., None], axis=1)  # [B, E]


class VideoGenerator(nnx.Module):
    """(z_c ``[B, latent]``, caption ids ``[B, L]``) -> clips ``[B, T, H, W, 3]`` in [-1, 1]."""

    def __init__(self, config: TextToVideoConfig, *, rngs: nnx.Rngs):
        self.frame = TextToImageGenerator(config.frame_config(), rngs=rngs)
        if config.motion == "code":
            self.motion = MotionCode(config.text_dim, config.motion_hidden, rngs=rngs)
        else:  # W_d or W_q, zero at first
            outputs = 2 if config.motion == "shift" else len(A.MOTIONS)
            self.motion = nnx.Linear(config.text_dim, outputs, rngs=rngs, kernel_init=nnx.initializers.zeros)
        # The motion's own reader of the caption, or None: it reads the frame generator's s.
        if config.motion_reader == "words":
            vocab_size = config.tokenizer().vocab_size
            self.motion_text = MotionWords(vocab_size, config.text_dim, still_ids(config), rngs=rngs)
        else:
            self.motion_text = None
        self.moves_by, self.num_frames, self.still_ids = config.motion, config.num_frames, still_ids(config)
        self.image_size = config.image_size

    def displacement(self, s: jax.Array) -> jax.Array:
        """Where the scene is at the end of the clip, relative to the start: ``[B, 2]`` pixels (down, right)."""
        if self.moves_by == "shift":
            return self.image_size * self.motion(s)  # size W_d s
        choice = jax.nn.one_hot(jnp.argmax(self.motion(s), axis=-1), len(A.MOTIONS))  # [B, 4] the likeliest k
        return choice @ cell_steps(self.image_size)  # c e_k

    def motion_vector(self, tokens: jax.Array) -> jax.Array:
        """What the motion reads of the caption ``[B, E]``: the frame generator's s, or its own reader's vector."""
        if self.motion_text is not None:
            return self.motion_text(tokens)
        return self.frame.text(tokens if self.still_ids is None else still_caption(tokens, *self.still_ids))

    def direction_logits(self, tokens: jax.Array) -> jax.Array:
        """W_q s ``[B, 4]``, the log-odds of each direction of ``A.MOTIONS`` ("cell" only)."""
        return self.motion(self.motion_vector(tokens))

    def __call__(self, z: jax.Array, tokens: jax.Array) -> jax.Array:
        self.frame.check_latent(z, "content code")
        check_tokens(tokens, z.shape[0], self.frame.text.max_tokens)
        (batch, _), steps, size = z.shape, self.num_frames, self.image_size
        still = tokens if self.still_ids is None else still_caption(tokens, *self.still_ids)  # [B, L]
        s = self.frame.text(still)  # [B, E]
        s_motion = s if self.motion_text is None else self.motion_text(tokens)  # [B, E] what the motion reads
        if self.moves_by in ("shift", "cell"):
            first = self.frame.draw(z, s)  # [B, H, W, 3]
            return slide(first, self.displacement(s_motion), steps, self.moves_by == "cell")  # [B, T, H, W, 3]
        times = frame_times(steps)  # [T]
        e = s[:, None, :] + self.motion(s_motion, times)  # [B, T, E]: s + m_t
        # Frames as one batch of B T images, row b T + t = frame t of clip b: the 2-D generator is reused.
        frames = self.frame.draw(jnp.repeat(z, steps, axis=0), e.reshape(batch * steps, -1))  # [B T, H, W, 3]
        return frames.reshape(batch, steps, size, size, 3)


class ClipDiscriminator(ConvFeatures):
    """(clips ``[B, T, H, W, 3]`` in [-1, 1], caption ids ``[B, L]``) -> logits ``[B]``."""

    def __init__(self, config: TextToVideoConfig, *, rngs: nnx.Rngs):
        feature_dim = self.build_features(config.width, config.image_size, 3 * config.num_frames, rngs=rngs)
        self.hidden = SNLinear(feature_dim, config.clip_hidden, rngs=rngs)
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
        return jax.nn.leaky_relu(self.hidden(self.conv_features(stacked)), 0.2)  # [B, clip_hidden]

    def __call__(self, x: jax.Array, tokens: jax.Array) -> jax.Array:
        phi = self.features(x)  # [B, F]
        check_tokens(tokens, x.shape[0], self.text.max_tokens)
        return projection(self.psi, phi, self.project(self.text(tokens)))  # [B]


class VideoDiscriminator(nnx.Module):
    """The two discriminators as one module, so one call advances both spectral norms once per update."""

    def __init__(self, config: TextToVideoConfig, *, rngs: nnx.Rngs):
        self.frames = TextToImageDiscriminator(config.frame_config(), rngs=rngs)
        self.clips = ClipDiscriminator(config, rngs=rngs)

    def heads(self, frames: jax.Array, frame_tokens: jax.Array, clips: jax.Array, clip_tokens: jax.Array) -> dict:
        """``{"frame": D_frame's outputs (logits, u, v, words) for frames [N, H, W, 3], "clip": D_clip's logits
        [M] for clips [M, T, H, W, 3]}``."""
        return {"frame": self.frames.heads(frames, frame_tokens), "clip": self.clips(clips, clip_tokens)}

    def judge_clips(self, clips: jax.Array, clip_tokens: jax.Array) -> jax.Array:
        """D_clip's logits ``[M]`` alone (when G's frames are not trained, D_frame has nothing to say)."""
        return self.clips(clips, clip_tokens)


def build_players(config: TextToVideoConfig, key: jax.Array) -> tuple[VideoGenerator, VideoDiscriminator]:
    """G and D of ``config``, initialised from ``key``."""
    key_g, key_d = jax.random.split(key)
    return VideoGenerator(config, rngs=nnx.Rngs(key_g)), VideoDiscriminator(config, rngs=nnx.Rngs(key_d))
