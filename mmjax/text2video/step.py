"""Training the text-to-video GAN: optimisers, init, the two-player step over frames and clips, generation.

result = loop.train(TASK, config, TrainConfig(steps=1000))          # TASK of mmjax.text2video.task
clips = generate(config, result.state, tokens, key)                 # [B, T, 32, 32, 3] uint8 for captions

Each round (:mod:`mmjax.gan.rounds`): one update of both discriminators, then one G update against them,
then G's moving average.
With x a real clip, t its caption, t' another clip's caption, rev(x) x played backwards, x_k the K frames
drawn at random from each clip (K = frames_judged) and L_img the text-to-image losses on those frames:

    L_D = L_img,D(x_k, G(z, t)_k, t, t') + c [E[sp(-D_c(x, t))] + 1/2 E[sp(D_c(G(z, t), t))]
                                              + 1/4 (E[sp(D_c(x, t'))] + E[sp(D_c(rev(x), t))])]
    L_G = L_img,G(G(z, t)_k, t) + c E[sp(-D_c(G(z, t), t))] + c delta E[sp(D_c(rev(G(z, t)), t) - D_c(G(z, t), t))]

sp = softplus, c = clip_weight, delta = direction_weight, D_c the clip discriminator. Its term is
GAN-INT-CLS's matching-aware loss with the "mismatched" half split between a wrong caption (anything may
differ) and the clip played backwards under its own caption: every object right, the motion exactly
opposite, so D_c must learn to read the direction. G's last term asks D_c to prefer G's clip to the same
clip played backwards: the two look alike frame by frame, so the term teaches which way to move and
nothing else (the relativistic pairing of Jolicoeur-Martineau 2019, applied to a clip and its reverse).
The frames' InfoNCE is taken over the clips of the batch, one frame slot at a time (two frames of one
clip share a caption, so they cannot be told apart by it).

With ``motion="cell"`` G picks one of four slides, k = argmax_k q_k, and q gets no gradient through the
pixels; its direction term is instead a cross-entropy towards D_c's ranking of the four slides of G's own
first frame x_0 (held fixed):

    p = softmax_k D_c(slide_k(x_0), t),    delta E[-sum_k p_k log q_k]      (replaces the reversed-clip term)

The reversed clip only tells a direction from its opposite; the ranking reaches all four.
With ``train_frames=False`` the frames never change, so L_img is left out of both losses.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from mmjax.data import attributes as A
from mmjax.gan import export as gan_export
from mmjax.gan import losses, rounds, sampler, terms, two_player
from mmjax.gan.rounds import Term
from mmjax.nn import functional as F
from mmjax.text2image import config as image_config
from mmjax.text2image import model as image_model
from mmjax.text2image.config import ARCHITECTURE, TextToImageConfig
from mmjax.text2image.model import caption_ids
from mmjax.text2video import export as video_export
from mmjax.text2video.config import TextToVideoConfig
from mmjax.text2video.data import model_batch, prompts
from mmjax.text2video.model import build_players, cell_steps, frame_tokens, pick_frames, slide

_init_players = two_player.make_init(build_players)
FRAMES = gan_export.Shipped(  # how a text-to-image GAN's file is read when frames_from names one
    image_config.ARTIFACT, image_config.MAKE_COMMAND, TextToImageConfig, image_model.build_players
)
make_optimizer = rounds.make_optimizer  # Adam at a constant step size per player, as for still images


@functools.cache
def graphs(config: TextToVideoConfig) -> tuple:
    """(G's graph, D's graph) for ``config``, built abstractly."""
    return two_player.player_graphs(build_players, config)


def warm_start(config: TextToVideoConfig) -> dict | None:
    """The text-to-image players G's frames and D_frame start from (``frames_from``: "shipped", an exported
    ``.npz`` or a text2image run folder), read from their file before anything is compiled (the task's hook)."""
    if not config.frames_from:
        return None
    if config.frames_from == "shipped":
        return shipped_frames(config)
    return gan_export.players_from(config.frames_from, FRAMES, config.frame_config(), "text2image", ARCHITECTURE)


def shipped_frames(config: TextToVideoConfig) -> dict:
    """G's frame generator of mmjax's shipped text-to-video model (``frames_from="shipped"``).

    That model kept its frame generator as it started, from a text-to-image GAN that reads the pooled caption
    (its card names the commands), so a new run starts where it did. The shipped file holds no discriminators:
    D_frame starts fresh, which matters only with ``train_frames``."""
    shipped_config, g_variables = video_export.load()
    gan_export.check_same(
        shipped_config.frame_config(), config.frame_config(), ARCHITECTURE,
        f"frames_from='shipped' starts the frames from {video_export.ARTIFACT}, whose frame generator has other",
        "; set them as the shipped config does, or pass frames_from='' (fresh) or a text2image .npz or run folder",
    )  # fmt: skip
    frame = {name: g_variables[name].get("frame", {}) for name in ("params", "state")}
    return {"players": {"generator": frame}}


def init(config: TextToVideoConfig, key: jax.Array, optimizers: dict, warm: dict | None = None) -> dict:
    """G and both discriminators with their optimiser states; G's train state also holds its moving average.

    With ``frames_from``, G's frame generator (caption encoder included) and D_frame start as the players
    of that text-to-image GAN (``warm``: what :func:`warm_start` read, read now if None): frames are then
    drawn well from the first step, and motion is what is learned.
    """
    warm = warm_start(config) if warm is None else warm
    # Where the players start from is not part of their architecture: one compiled init serves every frames_from.
    state = _init_players(dataclasses.replace(config, frames_from=""), key, optimizers)
    if warm:
        image = warm.get("players") or warm["states"]  # the image players' variables (params, state)
        for player, part in (("generator", "frame"), ("discriminator", "frames")):
            if player not in image:  # the shipped video model has no D_frame to give
                continue
            state[player] = {
                **state[player],
                **{name: {**state[player][name], part: image[player][name]} for name in ("params", "state")},
            }
    return rounds.with_average(state)


def discriminator_outputs(config, d_vars: dict, state: dict, batch: dict, key: jax.Array) -> tuple[dict, dict]:
    """D_clip's logits for [real, fake, wrong caption(, reversed)] clips; with ``train_frames``, D_frame's heads
    for [real, fake, wrong caption] frames drawn from them (one call: one power iteration per update)."""
    key_z, key_frames = jax.random.split(key)
    real, tokens, g = batch["x"], batch["tokens"], state["generator"]
    fake = sampler.draw(graphs(config)[0], config, {"params": g["params"], "state": g["state"]}, tokens, key_z)
    fake = jax.lax.stop_gradient(fake)
    clips, clip_tokens = [real, fake, real], [tokens, tokens, jnp.roll(tokens, 1, axis=0)]  # another clip's caption
    if config.reversed_clips:
        clips, clip_tokens = clips + [real[:, ::-1]], clip_tokens + [tokens]
    clips, clip_tokens = jnp.concatenate(clips), jnp.concatenate(clip_tokens)  # [3 B or 4 B, T, H, W, 3], [.., L]
    if not config.train_frames:
        clip_logits, new_vars = F.call(graphs(config)[1], d_vars, clips, clip_tokens, method="judge_clips")
        return {"clips": clip_logits}, new_vars
    count, still = config.frames_judged, frame_tokens(config, tokens)  # what D_frame reads
    real_frames, fake_frames = pick_frames(real, count, key_frames), pick_frames(fake, count, key_frames)
    frame_ids = jnp.repeat(still, count, axis=0)  # [B K, L]
    wrong_ids = jnp.repeat(jnp.roll(still, 1, axis=0), count, axis=0)
    frames = jnp.concatenate([real_frames, fake_frames, real_frames])  # [3 B K, H, W, 3]
    out, new_vars = F.call(
        graphs(config)[1], d_vars, frames, jnp.concatenate([frame_ids, frame_ids, wrong_ids]), clips, clip_tokens,
        method="heads",
    )  # fmt: skip
    return {"frames": terms.split_pairs(out["frame"]), "frame_ids": frame_ids, "clips": out["clip"]}, new_vars


def generator_outputs(config, g_vars: dict, state: dict, batch: dict, key: jax.Array) -> tuple[dict, None]:
    """D_clip's logits (held fixed) for G's clips and their reversed (or, "cell", slid) versions; G's choice of
    direction; with ``train_frames``, D_frame's heads for frames drawn from G's clips."""
    key_z, key_frames = jax.random.split(key)
    tokens = batch["tokens"]
    fake = sampler.draw(graphs(config)[0], config, g_vars, tokens, key_z)
    batch_size = fake.shape[0]
    if config.motion == "cell":  # G's clip, then its first frame slid one cell each way (held fixed) [B 4, T, ...]
        first = jax.lax.stop_gradient(jnp.repeat(fake[:, 0], len(A.MOTIONS), axis=0))
        slides = slide(first, jnp.tile(cell_steps(config.image_size), (batch_size, 1)), config.num_frames, True)
        clips, clip_tokens = jnp.concatenate([fake, slides]), jnp.concatenate([tokens, jnp.repeat(tokens, 4, axis=0)])
    else:  # G's clip, then the same clip played backwards
        clips, clip_tokens = jnp.concatenate([fake, fake[:, ::-1]]), jnp.concatenate([tokens, tokens])
    d_graph, d_vars = graphs(config)[1], state["discriminator"]
    out = {}
    if config.motion == "cell":
        out["direction"] = F.call(graphs(config)[0], g_vars, tokens, method="direction_logits")[0]
    if not config.train_frames:
        return {**out, "clips": F.call(d_graph, d_vars, clips, clip_tokens, method="judge_clips")[0]}, None
    frame_ids = jnp.repeat(frame_tokens(config, tokens), config.frames_judged, axis=0)
    fake_frames = pick_frames(fake, config.frames_judged, key_frames)
    heads = F.call(d_graph, d_vars, fake_frames, frame_ids, clips, clip_tokens, method="heads")[0]
    return {**out, "frames": {"fake": heads["frame"]}, "frame_ids": frame_ids, "clips": heads["clip"]}, None


def _on_frames(term):
    """A text-to-image term read on the frames D_frame judged, against their still captions."""
    return lambda out, batch: term(out["frames"], {"tokens": out["frame_ids"]})


def _clip_d(out: dict, batch: dict):
    """c [E[sp(-D_c(x, t))] + 1/2 E[sp(D_c(G(z, t), t))] + 1/4 (E[sp(D_c(x, t'))] + E[sp(D_c(rev(x), t))])]."""
    real, fake, *wrong = jnp.split(out["clips"], out["clips"].shape[0] // batch["x"].shape[0])  # [B] each
    value = losses.matching_aware_discriminator_loss(real, jnp.concatenate(wrong), fake)
    groups = dict(zip(("clip_real", "clip_fake", "clip_wrong", "clip_reversed"), [real, fake, *wrong]))
    return value, {"clip_loss": value, **{f"d_{k}": jnp.mean(jax.nn.sigmoid(v)) for k, v in groups.items()}}


def _clip_g(config):
    def term(out: dict, batch: dict):
        batch_size = batch["tokens"].shape[0]
        forwards, others = out["clips"][:batch_size], out["clips"][batch_size:]  # [B], [B] or [B 4]
        if config.motion == "cell":
            # Which of the four slides of its own picture D_c finds likeliest for the caption is what G's choice
            # q should be: a cross-entropy that reaches every direction (the reversed clip only tells opposites).
            p = jax.nn.softmax(jax.lax.stop_gradient(others.reshape(batch_size, len(A.MOTIONS))), axis=-1)  # [B, 4]
            direction = jnp.mean(-jnp.sum(p * jax.nn.log_softmax(out["direction"], axis=-1), axis=-1))
        else:
            # The clip and the same clip played backwards differ only in which way things move: D_c's preference
            # between them is a signal about the direction alone, whatever the frames look like.
            direction = jnp.mean(jax.nn.softplus(others - forwards))
        value = losses.non_saturating_generator_loss(forwards) + config.direction_weight * direction
        return value, {"g_clip_loss": value, "g_direction": direction}

    return term


@functools.cache
def game(config: TextToVideoConfig) -> rounds.Game:
    """L_D and L_G above as terms: L_img on the frames (with ``train_frames``), then the clip terms."""
    d_terms, g_terms, count = (), (), config.frames_judged
    if config.train_frames:
        d_terms = (
            Term("frame adversarial", 1.0, _on_frames(terms.adversarial_d(True))),
            Term("frame nce", config.contrastive_weight, _on_frames(terms.nce(config.temperature, "real", "", count))),
            Term("frame words", config.word_weight, _on_frames(terms.words_d)),
        )
        g_terms = (
            Term("frame adversarial", 1.0, _on_frames(terms.adversarial_g)),
            Term(
                "frame nce", config.contrastive_weight, _on_frames(terms.nce(config.temperature, "fake", "g_", count))
            ),
            Term("frame words", config.word_weight, _on_frames(terms.words_g)),
        )
    d_terms += (Term("clip", config.clip_weight, _clip_d),)
    g_terms += (Term("clip", config.clip_weight, _clip_g(config)),)
    frozen = () if config.train_frames else ("frame",)  # G's frames keep frames_from's weights
    return rounds.Game.of(config, discriminator_outputs, generator_outputs, d_terms, g_terms, frozen=frozen)


train_step = rounds.task_step(game, model_batch)  # one round on a raw Shapes batch: D_frame and D_clip, G, its EMA


def generate(config: TextToVideoConfig, variables: dict, tokens, key: jax.Array, chunk: int | None = None):
    """uint8 clips ``[N, T, H, W, 3]`` of video captions ``tokens`` ``[N, L]``, a content code per row from ``key``
    (:func:`mmjax.gan.sampler.generate`, with the text-to-image G's check of the caption ids)."""
    return sampler.generate(build_players, config, variables, caption_ids(tokens), key, chunk)


EVAL_BATCH = 64  # prompts per generator call: one compiled shape whatever the number of prompts


EVAL_SCORES = (
    "all_correct",
    "motion",
    "frame_all_correct",
    "frame_num_objects",
    "frame_shape",
    "frame_colour",
    "frame_size",
)
EVAL_KEYS = tuple(f"{split}_{score}" for split in sampler.EVAL_SPLITS for score in EVAL_SCORES)


def evaluate(state: dict, config: TextToVideoConfig) -> dict[str, float]:
    """The shipped judge reads every frame of the clips drawn for ``num_eval_examples`` captions of test and
    test_heldout (:func:`mmjax.metrics.video.video_accuracy`, as ``mmjax eval`` scores a video generator).

    ``SPLIT_frame_*``: per-frame accuracy of what every frame must show (count, shape, colour, size);
    ``SPLIT_motion``: the cells of the last frame minus those of the first are the caption's direction;
    ``SPLIT_all_correct``: every frame right and the motion right.
    """
    return sampler.evaluate(generate, prompts, sampler.judge_clips, EVAL_SCORES, state, config, EVAL_BATCH)


def save_sample_sheet(config: TextToVideoConfig, state: dict, key: jax.Array, path, split: str = "test_heldout"):
    """A figure: the clips drawn for eight captions of ``split``, one row of frames each, captions as titles;
    and beside it, ``path`` with ``.gif``: the eight clips playing."""
    from mmjax.utils.animation import save_gif, tile
    from mmjax.utils.figures import strip

    titles, tokens, _ = prompts(config, split, 8)
    clips = generate(config, state, tokens, key, EVAL_BATCH)  # [8, T, H, W, 3]
    suptitle = f"{split} captions, frames 0..{config.num_frames - 1} left to right (G's moving average)"
    path = sampler.save_sheet(path, titles, np.stack([[strip(clip)] for clip in clips]), suptitle)
    save_gif(tile(clips, columns=4), path.with_suffix(".gif"))
    return path


def sample(state: dict, config: TextToVideoConfig, key: jax.Array, out_dir) -> None:
    """The loop's sample hook: the sheet (and GIF) of test_heldout captions."""
    save_sample_sheet(config, state, key, Path(out_dir) / "text2video_samples.png")
