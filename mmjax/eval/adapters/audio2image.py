"""``mmjax eval audio2image [--checkpoint RUN_DIR | FILE.npz]``: the audio-to-image GAN as an image generator.

The model hears each prompt's clip (``prompts["audio"]``, the scene's sonification) and nothing else. A clip
states every attribute, cells included, so the images are scored against the scene's full labels, exactly
as ``mmjax eval audio_decoder`` (the analytic decoder, the ceiling) is. Without ``--checkpoint`` the
shipped ``shapes-audio/audio2image.npz`` is scored.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np

from mmjax.audio2image import export
from mmjax.audio2image.step import EVAL_BATCH
from mmjax.audio2image.step import generate as draw
from mmjax.eval.adapters.checkpoints import load_model

KIND = "audio_image"


def load(checkpoint: str | None = None) -> Callable[[dict, jax.Array], np.ndarray]:
    """``generate(prompts, key) -> uint8 [N, H, W, 3]`` drawn by G's moving average for ``prompts["audio"]``."""
    config, model, step, where = load_model(checkpoint, "audio2image", export)

    def generate(prompts: dict, key: jax.Array) -> np.ndarray:
        if "audio" not in prompts:
            raise ValueError("audio2image draws from sounds: the prompts need 'audio' (prompt_batch(..., audio=True))")
        # EVAL_BATCH clips per call, the last call padded: one compiled shape whatever the count
        return draw(config, model, np.asarray(prompts["audio"]), key, EVAL_BATCH)  # [N, H, W, 3] uint8

    generate.step, generate.checkpoint = step, where  # reported in the evaluation JSON
    return generate
