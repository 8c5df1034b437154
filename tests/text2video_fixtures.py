"""Tiny text-to-video configs and helpers shared by the text-to-video tests (one shape everywhere, so XLA
compiles each program once)."""

import dataclasses

import jax
import numpy as np

from mmjax.data.shapes import example
from mmjax.nn import functional as F
from mmjax.text2video import step
from mmjax.text2video.config import TextToVideoConfig
from mmjax.text2video.data import make_source

TINY = TextToVideoConfig(
    image_size=16,  # the judge reads frames resized to 32 x 32
    num_frames=4,
    latent_dim=8,
    width=4,
    text_dim=16,
    text_layers=1,
    text_heads=2,
    text_hidden=16,
    motion_hidden=16,
    clip_hidden=16,
    contrastive_dim=8,
    batch_size=4,
    num_train_examples=16,
    num_eval_examples=4,
    # the general path: the frame generator trained from scratch, its caption vector s read by a free slide
    motion="shift",
    motion_reader="frame",
    train_frames=True,
    frames_from="",
)


def video_captions(count: int, split: str = "train") -> np.ndarray:
    return np.stack([example(0, split, i, modalities=("video",))["video_tokens"] for i in range(count)])


def real_batch(config: TextToVideoConfig) -> dict:
    source = make_source(config)
    return {k: np.stack([source[i][k] for i in range(config.batch_size)]) for k in ("video", "video_tokens")}


def variables(config: TextToVideoConfig = TINY, motion: bool = False) -> dict:
    """Both players' ``{"params", "state"}``; with ``motion``, G's motion layer (zero at first) gets random
    weights."""
    state = step.init(config, jax.random.key(0), step.make_optimizer(config, 10))
    players = {name: {"params": state[name]["params"], "state": state[name]["state"]} for name in PLAYERS}
    if motion:
        g = players["generator"]["params"]["motion"]
        layer = g["out"] if config.motion == "code" else g
        layer["kernel"] = 0.1 * jax.random.normal(jax.random.key(7), layer["kernel"].shape)
    return players


PLAYERS = ("generator", "discriminator")
CODE = dataclasses.replace(TINY, motion="code")
RUN = dataclasses.replace(TINY, motion="cell", motion_reader="words", train_frames=False)  # the shipped kind


def in_jit(fn, players: dict, *args, config: TextToVideoConfig = TINY):
    """``fn(generator, discriminator, *args)`` on the modules rebuilt from ``players``, compiled as one program
    (calling NNX modules eagerly compiles every operation on its own)."""
    g_graph, d_graph = step.graphs(config)

    @jax.jit
    def run(players, *args):
        return fn(F.merge(g_graph, players["generator"]), F.merge(d_graph, players["discriminator"]), *args)

    return run(players, *args)


def draw(generator, discriminator, z, tokens):
    return generator(z, tokens)


def softplus(x):
    return np.logaddexp(0.0, np.asarray(x, np.float64))
