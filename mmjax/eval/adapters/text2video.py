"""``mmjax eval text2video [--checkpoint RUN_DIR | FILE.npz]``: the text-to-video GAN as a video generator.

The model reads the prompt's video caption tokens and nothing else (``evaluate_videos`` hands it
``video_tokens`` as ``tokens``); what the caption leaves free (the shared line of two objects, the jitter)
is its content code's to choose. Without ``--checkpoint`` the shipped ``shapes-video/text2video.npz`` is scored.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np

from mmjax.eval.adapters.checkpoints import load_model
from mmjax.gan.sampler import judge_size
from mmjax.text2video import export
from mmjax.text2video.step import EVAL_BATCH
from mmjax.text2video.step import generate as draw

KIND = "video"


def load(checkpoint: str | None = None) -> Callable[[dict, jax.Array], np.ndarray]:
    """``generate(prompts, key) -> uint8 [N, T, H, W, 3]`` drawn by G's moving average for ``prompts["tokens"]``."""
    config, model, step, where = load_model(checkpoint, "text2video", export)

    def generate(prompts: dict, key: jax.Array) -> np.ndarray:
        # EVAL_BATCH prompts per call, the last call padded: one compiled shape whatever the count
        clips = draw(config, model, np.asarray(prompts["tokens"]), key, EVAL_BATCH)  # [N, T, H, W, 3] uint8
        # The judge reads 32 x 32 frames: another size is resized, as the loop's evaluation does.
        frames = judge_size(clips.reshape(-1, *clips.shape[2:]))
        return frames.reshape(*clips.shape[:2], *frames.shape[1:])

    generate.step, generate.checkpoint = step, where  # reported in the evaluation JSON
    return generate
