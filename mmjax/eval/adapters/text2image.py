"""``mmjax eval text2image [--checkpoint RUN_DIR | FILE.npz]``: the text-to-image GAN as an image generator.

The model reads the prompt's caption tokens and nothing else: what the caption leaves free (the shared
line of two objects, the jitter) is the model's to choose from its latent, as a text-to-image model
must. Without ``--checkpoint`` the shipped ``shapes/text2image.npz`` is scored.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np

from mmjax.eval.adapters.checkpoints import load_model
from mmjax.text2image import export
from mmjax.text2image.step import EVAL_BATCH
from mmjax.text2image.step import generate as draw

KIND = "image"


def load(checkpoint: str | None = None) -> Callable[[dict, jax.Array], np.ndarray]:
    """``generate(prompts, key) -> uint8 [N, H, W, 3]`` drawn by G's moving average for ``prompts["tokens"]``."""
    config, model, step, where = load_model(checkpoint, "text2image", export)
    if config.dataset != "shapes":
        raise ValueError(f"{where} draws {config.dataset} classes; mmjax eval scores Shapes prompts only")

    def generate(prompts: dict, key: jax.Array) -> np.ndarray:
        # EVAL_BATCH prompts per call, the last call padded: one compiled shape whatever the count
        return draw(config, model, np.asarray(prompts["tokens"]), key, EVAL_BATCH)  # [N, H, W, 3] uint8

    generate.step, generate.checkpoint = step, where  # reported in the evaluation JSON
    return generate
