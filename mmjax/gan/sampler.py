"""Drawing with a trained conditional G, and reading what it drew: one sampler for every GAN here.

    pictures = generate(build_players, config, variables, condition, key)             # uint8 [N, H, W, 3]
    pictures = generate(build_players, config, variables, condition, key, chunk=128)  # any N, 128 per call

Each model's ``step.generate(config, variables, condition, key, chunk=None)`` is this function with its own
players: ``condition`` is what its G reads (caption ids ``[N, T]``, clips ``[N, 4608]``, label ids ``[N, 8]``),
``variables`` G's sampling variables ``{"params", "state"}`` or a train state (whose G's moving average is
used), and the result uint8 pictures ``[N, H, W, 3]`` (clips ``[N, T, H, W, 3]`` for video).

* One program per config and batch shape: z ~ N(0, I) drawn from ``key``, one row per condition, G called,
  and the pixels mapped by the one rule of :func:`to_uint8`.
* ``chunk``: the conditions are drawn ``chunk`` at a time, the last chunk padded, so a call compiles one shape
  whatever N is; the chunk that starts at row ``s`` draws its latents from ``fold_in(key, s)``, so row i of
  a call depends on ``(key, i)`` and the chunk size alone.

Reading the pictures: :func:`judge_images` / :func:`judge_clips` score them with the shipped judge against
what the prompts state (:class:`Prompts`), :func:`evaluate` runs that on the evaluation splits, and
:func:`save_sheet` draws a figure of prompts and pictures.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from mmjax.gan import two_player
from mmjax.nn import functional as F
from mmjax.utils.batching import padded_chunks

EVAL_SPLITS = ("test", "test_heldout")


class Prompts(NamedTuple):
    """What a conditional G is asked to draw, ``count`` examples of a split."""

    titles: list[str]  # what each prompt says, for figures (a caption, or what a clip states)
    condition: np.ndarray  # what G reads, one row per prompt
    targets: dict | np.ndarray | None  # what the pictures must show (batched labels), for the judge


def caption_prompts(seed: int, split: str, count: int, modality: str = "caption") -> Prompts:
    """Shapes examples 0..count-1 of ``split``: their captions (``modality`` "caption", or "video" for the video
    captions), token ids ``[count, MAX_TOKENS]`` and what the captions state (``caption_targets``)."""
    from mmjax.data.shapes import example
    from mmjax.metrics.coherence import caption_targets

    prefix = "video_" if modality == "video" else ""
    items = [example(seed, split, i, modalities=(modality,)) for i in range(count)]
    captions = [item[f"{prefix}caption"] for item in items]
    return Prompts(captions, np.stack([item[f"{prefix}tokens"] for item in items]), caption_targets(captions))


def from_uint8(pixels) -> jax.Array:
    """uint8 pixels -> float32 in [-1, 1], x / 127.5 - 1: what a G draws and a D reads (:func:`to_uint8` undoes it)."""
    return jnp.asarray(pixels).astype(jnp.float32) / 127.5 - 1.0


def to_uint8(pictures: jax.Array) -> jax.Array:
    """Pixels in [-1, 1] -> uint8: x -> round(127.5 (x + 1)), clipped to [0, 255]."""
    return jnp.clip(jnp.round((pictures + 1.0) * 127.5), 0, 255).astype(jnp.uint8)


def sampling_variables(config, state: dict) -> dict:
    """G's variables for drawing (and for shipping): its moving average when the config keeps one."""
    g = state["generator"]
    params = g["ema"] if getattr(config, "ema_decay", 0.0) > 0 and "ema" in g else g["params"]
    return {"params": params, "state": g["state"]}


def draw(graph, config, g_vars: dict, condition: jax.Array, key: jax.Array, method: str = "__call__"):
    """G's output (pictures in [-1, 1]) for ``condition``, one latent z ~ N(0, I) per row drawn from ``key``."""
    z = jax.random.normal(key, (condition.shape[0], config.latent_dim))  # [N, latent]
    return F.call(graph, g_vars, z, condition, method=method)[0]


@functools.cache
def compiled(build_players, config):
    """``(G's variables, condition, key) -> uint8 pictures``, jitted once per config (and batch shape)."""
    graph = two_player.player_graphs(build_players, config)[0]
    return jax.jit(lambda g_vars, condition, key: to_uint8(draw(graph, config, g_vars, condition, key)))


def generate(build_players, config, variables: dict, condition, key: jax.Array, chunk: int | None = None):
    """uint8 pictures of G (from ``build_players(config, key)``) for ``condition``; see the module's docstring."""
    g_vars = sampling_variables(config, variables) if "generator" in variables else variables
    run = compiled(build_players, config)
    if chunk is None:
        return np.asarray(run(g_vars, jnp.asarray(condition), key))
    out = []
    for start, padded, count in padded_chunks(np.asarray(condition), chunk):
        out.append(np.asarray(run(g_vars, jnp.asarray(padded), jax.random.fold_in(key, start)))[:count])
    return np.concatenate(out)


@functools.cache
def shipped_judge():
    """The shipped judge (:mod:`mmjax.metrics.judge`), read once per process."""
    from mmjax.metrics.judge.export import load_judge

    return load_judge()[0]


def judge_size(images: np.ndarray, size: int = 32) -> np.ndarray:
    """The judge reads 32 x 32 pictures: smaller or larger ones are resized (bilinear) before it reads them."""
    if images.shape[1:3] == (size, size):
        return images
    resized = jax.image.resize(images.astype(np.float32), (len(images), size, size, 3), "bilinear")
    return np.asarray(jnp.clip(jnp.round(resized), 0, 255)).astype(np.uint8)


def judge_images(images: np.ndarray, targets: dict) -> dict[str, float]:
    """Per-attribute accuracy of what the judge reads in uint8 images ``[N, H, W, 3]`` against ``targets``."""
    from mmjax.metrics.coherence import attribute_accuracy
    from mmjax.metrics.judge.inference import judge_labels

    return attribute_accuracy(judge_labels(shipped_judge(), judge_size(images)), targets)


def judge_clips(clips: np.ndarray, targets: dict) -> dict[str, float]:
    """Per-frame accuracy and motion of what the judge reads in every frame of clips ``[N, T, H, W, 3]``."""
    from mmjax.metrics.judge.inference import judge_videos
    from mmjax.metrics.video import video_accuracy

    frames = judge_size(clips.reshape(-1, *clips.shape[2:]))
    return video_accuracy(judge_videos(shipped_judge(), frames.reshape(*clips.shape[:2], *frames.shape[1:])), targets)


def evaluate(generate_fn, prompts_fn, score_fn, names, state: dict, config, chunk: int) -> dict[str, float]:
    """``SPLIT_NAME`` for every evaluation split and name: ``score_fn`` of what G draws for ``num_eval_examples``
    prompts of the split (``prompts_fn(config, split, count)``, latents from ``key(split's index)``)."""
    metrics = {}
    for index, split in enumerate(EVAL_SPLITS):
        prompts = prompts_fn(config, split, config.num_eval_examples)
        pictures = generate_fn(config, state, prompts.condition, jax.random.key(index), chunk=chunk)
        scores = score_fn(pictures, prompts.targets)
        metrics.update({f"{split}_{name}": scores[name] for name in names})
    return metrics


def save_sheet(path, titles: list[str], pictures: np.ndarray, suptitle: str, first=None, first_label: str = ""):
    """A figure of one row per title: the row's pictures ``pictures[r]`` ``[columns, H, W, 3]`` side by side
    (pixels shown as squares), after ``first[r]``, a 2-D array drawn as a heat map (e.g. a spectrogram), if given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, columns, height, width = pictures.shape[:4]
    lead = 0 if first is None else 1
    ratios = [2] * lead + [width / height] * columns
    fig, axes = plt.subplots(
        rows, lead + columns, squeeze=False, gridspec_kw={"width_ratios": ratios},
        figsize=(1.5 * sum(ratios) + 0.5, 1.6 * rows + 0.3),
    )  # fmt: skip
    for r in range(rows):
        for c in range(columns):
            axes[r, lead + c].imshow(pictures[r, c], interpolation="nearest")  # small pictures: show the pixels
        if lead:
            axes[r, 0].imshow(first[r].T, origin="lower", aspect="auto", cmap="magma")
            axes[r, 0].set_ylabel(first_label, fontsize=6)
        axes[r, 0].set_title(titles[r], fontsize=7, loc="left")
        for ax in axes[r]:
            ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(suptitle, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
