"""Training the text-to-video GAN: optimisers, init, the two-player step over frames and clips, generation.

result = loop.train(TASK, config, TrainConfig(steps=1000))          # TASK of mmjax.text2video.task
clips = generate_videos(config, result.state, tokens, key)          # [B, T, 32, 32, 3] uint8 for captions
clip = generate_video("a small red circle in the left moving right", gif="circle.gif")   # the shipped model

Each round: one update of both discriminators, then one G update against them, then G's moving average.
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
import optax

from mmjax.data import attributes as A
from mmjax.gan import losses, two_player
from mmjax.nn import functional as F
from mmjax.text2image import export as image_export
from mmjax.text2image import step as image_step
from mmjax.text2image import tuning
from mmjax.text2image.export import sampling_variables
from mmjax.text2video import export
from mmjax.text2video.config import TextToVideoConfig
from mmjax.text2video.data import model_batch
from mmjax.text2video.model import build_players, cell_steps, frame_tokens, slide
from mmjax.train.state import apply_gradients
from mmjax.utils.batching import padded_chunks

_init_players = two_player.make_init(build_players)
make_optimizer = image_step.make_optimizer  # Adam at a constant step size per player, as for still images


@functools.cache
def graphs(config: TextToVideoConfig) -> tuple:
    """(G's graph, D's graph) for ``config``, built abstractly."""
    return two_player.player_graphs(build_players, config)


def init(config: TextToVideoConfig, key: jax.Array, optimizers: dict) -> dict:
    """G and both discriminators with their optimiser states; G's train state also holds its moving average.

    With ``frames_from``, G's frame generator (caption encoder included) and D_frame start as the players
    of that text-to-image GAN: frames are then drawn well from the first step, and motion is what is learned.
    """
    # The image GAN is read first, so a file that does not fit is refused before anything is compiled.
    source = str(image_export.default_path()) if config.frames_from == "shipped" else config.frames_from
    image = tuning.state_from(source, config.frame_config(), optimizers) if source else None
    # Where the players start from is not part of their architecture: one compiled init serves every frames_from.
    state = _init_players(dataclasses.replace(config, frames_from=""), key, optimizers)
    g, d = state["generator"], state["discriminator"]
    if image is not None:
        g = {
            **g,
            "params": {**g["params"], "frame": image["generator"]["params"]},
            "state": {**g["state"], "frame": image["generator"]["state"]},
        }
        d = {
            **d,
            "params": {**d["params"], "frames": image["discriminator"]["params"]},
            "state": {**d["state"], "frames": image["discriminator"]["state"]},
        }
    return {"generator": {**g, "ema": g["params"]}, "discriminator": d}


def pick_frames(clips: jax.Array, count: int, key: jax.Array) -> jax.Array:
    """``count`` different frames of each clip, drawn at random: ``[B, T, H, W, 3]`` -> ``[B * count, H, W, 3]``.

    Row b * count + k is the k-th frame drawn from clip b.
    """
    order = jnp.argsort(jax.random.uniform(key, clips.shape[:2]), axis=1)[:, :count]  # [B, K] distinct frames
    frames = jnp.take_along_axis(clips, order[:, :, None, None, None], axis=1)  # [B, K, H, W, 3]
    return frames.reshape(-1, *clips.shape[2:])


def frame_info_nce(u: jax.Array, v: jax.Array, count: int, temperature: float) -> tuple[jax.Array, jax.Array]:
    """The text-to-image InfoNCE over the B clips, for each of the ``count`` frame slots, averaged.

    ``u, v``: ``[B * count, M]`` in :func:`pick_frames`'s row order.
    """
    per_slot = jax.vmap(image_step.info_nce, in_axes=(1, 1, None))
    loss, accuracy = per_slot(u.reshape(-1, count, u.shape[-1]), v.reshape(-1, count, v.shape[-1]), temperature)
    return jnp.mean(loss), jnp.mean(accuracy)


def _generate(config: TextToVideoConfig, g_vars: dict, tokens: jax.Array, key: jax.Array) -> jax.Array:
    z = jax.random.normal(key, (tokens.shape[0], config.latent_dim))  # [B, latent]: one content code per clip
    return F.call(graphs(config)[0], g_vars, z, tokens)[0]  # [B, T, H, W, 3] in [-1, 1]


def _frame_terms(config, frame: dict, frame_ids: jax.Array) -> tuple[jax.Array, dict]:
    """L_img,D: D_frame's outputs for [real, fake, real with a wrong caption] frames, ``frame_ids`` the real
    frames' caption ids ``[B K, L]``."""
    num = frame_ids.shape[0]
    real_logits, fake_logits, wrong_logits = jnp.split(frame["logits"], 3)  # [B K] each
    frame_loss = losses.matching_aware_discriminator_loss(real_logits, wrong_logits, fake_logits)
    nce, nce_accuracy = frame_info_nce(frame["u"][:num], frame["v"][:num], config.frames_judged, config.temperature)
    # Real frames call for their caption's words, fakes for none (the text-to-image twin classifier).
    words = image_step.word_loss(frame["words"][:num], frame_ids) + image_step.word_loss(
        frame["words"][num : 2 * num], None
    )
    loss = frame_loss + config.contrastive_weight * nce + config.word_weight * words
    aux = {"real": real_logits, "fake": fake_logits, "wrong": wrong_logits}
    return loss, {**aux, "nce": nce, "nce_accuracy": nce_accuracy, "word_loss": words}


def discriminator_loss(config, d_params, state, real, tokens, key) -> tuple[jax.Array, dict]:
    """L_D above, and what the metrics report; D's spectral-norm state advances once per update.

    With ``train_frames=False`` G's frames never change, so D_frame could teach G nothing: only D_clip is
    trained (the L_img,D terms are left out).
    """
    key_z, key_frames = jax.random.split(key)
    g = state["generator"]
    fake = jax.lax.stop_gradient(_generate(config, {"params": g["params"], "state": g["state"]}, tokens, key_z))
    wrong = jnp.roll(tokens, 1, axis=0)  # another clip's caption
    clips, clip_tokens = [real, fake, real], [tokens, tokens, wrong]
    if config.reversed_clips:
        clips, clip_tokens = clips + [real[:, ::-1]], clip_tokens + [tokens]
    clips, clip_tokens = jnp.concatenate(clips), jnp.concatenate(clip_tokens)  # [3 B or 4 B, T, H, W, 3], [.., L]
    d_vars = {"params": d_params, "state": state["discriminator"]["state"]}
    if config.train_frames:
        count = config.frames_judged
        real_frames, fake_frames = pick_frames(real, count, key_frames), pick_frames(fake, count, key_frames)
        still = frame_tokens(config, tokens)  # what D_frame reads
        frame_ids = jnp.repeat(still, count, axis=0)  # [B K, L]
        wrong_frame_ids = jnp.repeat(jnp.roll(still, 1, axis=0), count, axis=0)
        # One call judges every pair: one power iteration per update, one copy of each D in the compiled program.
        out, new_vars = F.call(
            graphs(config)[1],
            d_vars,
            jnp.concatenate([real_frames, fake_frames, real_frames]),  # [3 B K, H, W, 3]
            jnp.concatenate([frame_ids, frame_ids, wrong_frame_ids]),
            clips,
            clip_tokens,
            method="judge",
        )
        loss, aux = _frame_terms(config, out["frame"], frame_ids)
        clip_out = out["clip"]
    else:
        clip_out, new_vars = F.call(graphs(config)[1], d_vars, clips, clip_tokens, method="judge_clips")
        loss, aux = 0.0, {}
    clip_logits = jnp.split(clip_out, len(clips) // len(real))  # [B] each: real, fake, wrong caption(, reversed)
    clip_loss = losses.matching_aware_discriminator_loss(
        clip_logits[0], jnp.concatenate(clip_logits[2:]), clip_logits[1]
    )
    aux.update(state=new_vars["state"], clip_real=clip_logits[0], clip_fake=clip_logits[1], clip_wrong=clip_logits[2])
    if config.reversed_clips:
        aux["clip_reversed"] = clip_logits[3]
    return loss + config.clip_weight * clip_loss, {**aux, "clip_loss": clip_loss}


def generator_loss(config, g_params, state, tokens, key) -> tuple[jax.Array, dict]:
    """L_G above, against the current discriminators held fixed (D_clip alone with ``train_frames=False``)."""
    key_z, key_frames = jax.random.split(key)
    g_vars = {"params": g_params, "state": state["generator"]["state"]}
    fake = _generate(config, g_vars, tokens, key_z)
    batch = fake.shape[0]
    if config.motion == "cell":  # G's clip, then its first frame slid one cell each way (held fixed) [B 4, T, ...]
        first = jax.lax.stop_gradient(jnp.repeat(fake[:, 0], len(A.MOTIONS), axis=0))
        slides = slide(first, jnp.tile(cell_steps(config.image_size), (batch, 1)), config.num_frames, True)
        clips, clip_tokens = jnp.concatenate([fake, slides]), jnp.concatenate([tokens, jnp.repeat(tokens, 4, axis=0)])
    else:  # G's clip, then the same clip played backwards
        clips, clip_tokens = jnp.concatenate([fake, fake[:, ::-1]]), jnp.concatenate([tokens, tokens])
    d_graph = graphs(config)[1]
    if config.train_frames:
        count = config.frames_judged
        frame_ids = jnp.repeat(frame_tokens(config, tokens), count, axis=0)
        fake_frames = pick_frames(fake, count, key_frames)
        out = F.call(d_graph, state["discriminator"], fake_frames, frame_ids, clips, clip_tokens, method="judge")[0]
        frame = out["frame"]
        nce, nce_accuracy = frame_info_nce(frame["u"], frame["v"], count, config.temperature)
        words = image_step.word_loss(frame["words"], frame_ids)
        loss = losses.non_saturating_generator_loss(frame["logits"]) + config.contrastive_weight * nce
        loss = loss + config.word_weight * words
        metrics = {"g_nce": nce, "g_nce_accuracy": nce_accuracy, "g_word_loss": words}
        clip_out = out["clip"]
    else:
        clip_out = F.call(d_graph, state["discriminator"], clips, clip_tokens, method="judge_clips")[0]
        loss, metrics = 0.0, {}
    forwards, others = clip_out[:batch], clip_out[batch:]  # [B], [B] or [B 4]
    if config.motion == "cell":
        # Which of the four slides of its own picture D_c finds likeliest for the caption is what G's choice q
        # should be: a cross-entropy that reaches every direction (the reversed clip only tells opposites apart).
        p = jax.nn.softmax(jax.lax.stop_gradient(others.reshape(batch, len(A.MOTIONS))), axis=-1)  # [B, 4]
        log_q = jax.nn.log_softmax(F.call(graphs(config)[0], g_vars, tokens, method="direction_logits")[0], axis=-1)
        direction = jnp.mean(-jnp.sum(p * log_q, axis=-1))
    else:
        # The clip and the same clip played backwards differ only in which way things move: D_c's preference
        # between them is a signal about the direction alone, whatever the frames look like.
        direction = jnp.mean(jax.nn.softplus(others - forwards))
    clip_loss = losses.non_saturating_generator_loss(forwards) + config.direction_weight * direction
    loss = loss + config.clip_weight * clip_loss
    return loss, {**metrics, "g_clip_loss": clip_loss, "g_direction": direction}


def train_step(
    state: dict, batch: dict, key: jax.Array, config: TextToVideoConfig, optimizer: dict
) -> tuple[dict, dict]:
    """One update of the discriminators, one of G, one step of G's moving average, on a raw Shapes batch."""
    batch = model_batch(batch)
    real, tokens = batch["x"], batch["tokens"]
    key_d, key_g = jax.random.split(key)

    d_fn = functools.partial(discriminator_loss, config, state=state, real=real, tokens=tokens, key=key_d)
    (d_loss, d_aux), d_grads = jax.value_and_grad(d_fn, has_aux=True)(state["discriminator"]["params"])
    d_state = apply_gradients(state["discriminator"], d_grads, optimizer["discriminator"], state=d_aux.pop("state"))
    state = {**state, "discriminator": d_state}

    g_fn = functools.partial(generator_loss, config, state=state, tokens=tokens, key=key_g)
    (g_loss, g_aux), g_grads = jax.value_and_grad(g_fn, has_aux=True)(state["generator"]["params"])
    if not config.train_frames:  # zero gradients: Adam leaves the frame generator where it is (and XLA skips them)
        g_grads = {**g_grads, "frame": jax.tree.map(jnp.zeros_like, g_grads["frame"])}
    g_state = apply_gradients(state["generator"], g_grads, optimizer["generator"])
    state = {**state, "generator": image_step.moving_average(g_state, config.ema_decay)}

    d_norm, g_norm = optax.tree.norm(d_grads), optax.tree.norm(g_grads)
    logits = ("real", "fake", "wrong", "clip_real", "clip_fake", "clip_wrong", "clip_reversed")
    metrics = {
        "d_loss": d_loss,
        "g_loss": g_loss,
        **{f"d_{name}": jnp.mean(jax.nn.sigmoid(d_aux.pop(name))) for name in logits if name in d_aux},
        **d_aux,
        **g_aux,
        "d_grad_norm": d_norm,
        "g_grad_norm": g_norm,
        "grad_norm": jnp.sqrt(d_norm**2 + g_norm**2),
    }
    return state, metrics


@functools.cache
def jitted_generate(config: TextToVideoConfig):
    """``(g_vars, tokens [B, L], key) -> uint8 [B, T, H, W, 3]``, compiled once per config and batch shape."""

    @jax.jit
    def run(g_vars, tokens, key):
        clips = _generate(config, g_vars, tokens, key)
        return jnp.clip(jnp.round((clips + 1.0) * 127.5), 0, 255).astype(jnp.uint8)

    return run


def generate_videos(config: TextToVideoConfig, state_or_variables: dict, tokens, key: jax.Array) -> np.ndarray:
    """uint8 clips ``[B, T, H, W, 3]`` for caption ids ``tokens`` ``[B, L]``, one content code per row from ``key``.

    Takes a train state (its G's moving average is used) or G's sampling variables ``{"params", "state"}``.
    """
    g_vars = sampling_variables(config, state_or_variables) if "generator" in state_or_variables else state_or_variables
    tokens = jnp.asarray(tokens)
    if tokens.ndim != 2 or not jnp.issubdtype(tokens.dtype, jnp.integer):
        raise ValueError(f"tokens must be integer caption ids [batch, length], got {tokens.dtype}{tokens.shape}")
    return np.asarray(jitted_generate(config)(g_vars, tokens, key))


EVAL_BATCH = 64  # prompts per generator call: one compiled shape whatever the number of prompts


def videos_for_tokens(config: TextToVideoConfig, state: dict, tokens: np.ndarray, key: jax.Array) -> np.ndarray:
    """Clips for any number of captions, generated EVAL_BATCH at a time (the last batch padded)."""
    out = []
    for start, padded, count in padded_chunks(tokens, EVAL_BATCH):
        out.append(generate_videos(config, state, padded, jax.random.fold_in(key, start))[:count])
    return np.concatenate(out)


def generate_video(
    text: str, seed: int = 0, model: tuple | None = None, gif: str | Path | None = None, png: str | Path | None = None
) -> np.ndarray:
    """The clip uint8 ``[T, H, W, 3]`` drawn for one caption, e.g. "a small red circle in the left moving right".

    ``model``: ``(config, G's variables)`` (default: the shipped ``shapes-video/text2video.npz``); ``seed``
    picks the content code. ``gif`` / ``png``: also write an animated GIF / a strip of the frames there.
    Unknown words, or a caption longer than the model reads, raise a ValueError.
    """
    from mmjax.utils.animation import save_gif, save_strip

    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty caption, got {text!r}")
    config, g_vars = export.load() if model is None else model
    tokens = config.tokenizer().encode_batch([text])  # [1, L]
    clip = generate_videos(config, g_vars, tokens, jax.random.key(seed))[0]
    if gif is not None:
        save_gif(clip, gif)
    if png is not None:
        save_strip(clip, png)
    return clip


EVAL_SPLITS = ("test", "test_heldout")
EVAL_SCORES = (
    "all_correct",
    "motion",
    "frame_all_correct",
    "frame_num_objects",
    "frame_shape",
    "frame_colour",
    "frame_size",
)
EVAL_KEYS = tuple(f"{split}_{score}" for split in EVAL_SPLITS for score in EVAL_SCORES)


@functools.cache
def _shipped_judge():
    from mmjax.metrics.judge.export import load_judge

    return load_judge()[0]


@functools.cache
def prompts(config: TextToVideoConfig, split: str, count: int) -> tuple[list[str], np.ndarray]:
    """The video captions of examples 0..count-1 of ``split`` and their token ids ``[count, MAX_TOKENS]``
    (the prompts ``mmjax eval`` gives a video generator)."""
    from mmjax.data.shapes import example

    items = [example(config.data_seed, split, i, modalities=("video",)) for i in range(count)]
    return [item["video_caption"] for item in items], np.stack([item["video_tokens"] for item in items])


def evaluate(state: dict, config: TextToVideoConfig) -> dict[str, float]:
    """The shipped judge reads every frame of the clips drawn for ``num_eval_examples`` captions of test and
    test_heldout (:func:`mmjax.metrics.video.video_accuracy`, as ``mmjax eval`` scores a video generator).

    ``SPLIT_frame_*``: per-frame accuracy of what every frame must show (count, shape, colour, size);
    ``SPLIT_motion``: the cells of the last frame minus those of the first are the caption's direction;
    ``SPLIT_all_correct``: every frame right and the motion right.
    """
    from mmjax.metrics.coherence import caption_targets
    from mmjax.metrics.judge.inference import judge_videos
    from mmjax.metrics.video import video_accuracy

    metrics = {}
    for index, split in enumerate(EVAL_SPLITS):
        captions, tokens = prompts(config, split, config.num_eval_examples)
        clips = videos_for_tokens(config, state, tokens, jax.random.key(index))  # [N, T, H, W, 3]
        frames = image_step.judge_size(clips.reshape(-1, *clips.shape[2:]))  # the judge reads 32 x 32
        labels = judge_videos(_shipped_judge(), frames.reshape(*clips.shape[:2], *frames.shape[1:]))
        scores = video_accuracy(labels, caption_targets(captions))
        metrics.update({f"{split}_{name}": scores[name] for name in EVAL_SCORES})
    return metrics


def save_sample_sheet(config: TextToVideoConfig, state: dict, key: jax.Array, path, split: str = "test_heldout"):
    """A figure: the clips drawn for eight captions of ``split``, one row of frames each, captions as titles;
    and beside it, ``path`` with ``.gif``: the eight clips playing."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mmjax.utils.animation import save_gif, tile
    from mmjax.utils.figures import strip

    captions, tokens = prompts(config, split, 8)
    clips = videos_for_tokens(config, state, tokens, key)  # [8, T, H, W, 3]
    fig, axes = plt.subplots(len(clips), 1, figsize=(1.0 * config.num_frames, 1.25 * len(clips) + 0.3))
    for ax, clip, caption in zip(axes, clips, captions):
        ax.imshow(strip(clip), interpolation="nearest")  # 32 px frames: show the pixels, not a blur
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(caption, fontsize=7, loc="left")
    fig.suptitle(f"{split} captions, frames 0..{config.num_frames - 1} left to right (G's moving average)", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    save_gif(tile(clips, columns=4), path.with_suffix(".gif"))
    return path


def sample(state: dict, config: TextToVideoConfig, key: jax.Array, out_dir) -> None:
    """The loop's sample hook: the sheet (and GIF) of test_heldout captions."""
    save_sample_sheet(config, state, key, Path(out_dir) / "text2video_samples.png")
