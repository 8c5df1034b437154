"""``mmjax eval captioner [--checkpoint RUN_DIR | FILE.npz]``: the image captioner, decoding greedily.

Its captions are read back into facts (attribute accuracy of the parsed caption) and compared with five
reference paraphrases per image (BLEU-4, CIDEr-D) by ``evaluate_captions``. Without ``--checkpoint``
the shipped ``shapes/captioner.npz`` is scored.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np

from mmjax.captioner import export
from mmjax.captioner.step import caption_images
from mmjax.eval.adapters.checkpoints import load_model
from mmjax.utils.batching import padded_chunks

KIND = "caption"
CHUNK = 64  # images captioned per call, the last call padded: one compiled shape whatever the count


def load(checkpoint: str | None = None) -> Callable[[dict, jax.Array], list[str]]:
    """``caption(batch, key) -> N strings`` for the images ``batch["image"]`` uint8 ``[N, H, W, 3]``."""
    config, model, step, where = load_model(checkpoint, "captioner", export)

    def caption(batch: dict, key: jax.Array) -> list[str]:
        del key  # greedy decoding draws nothing
        images = np.asarray(batch["image"])
        captions = []
        for _, padded, count in padded_chunks(images, CHUNK):
            captions += caption_images(config, model, padded)[:count]
        return captions

    caption.step, caption.checkpoint = step, where  # reported in the evaluation JSON
    return caption
