"""Prompt batches drawn from the Shapes datasets, and the labels each prompt asks for.

A prompt batch is a dict: every label array of ``Scene.labels()`` stacked (``num_objects [N]``,
``shape [N, 2]``, ..., ``motion [N]``), ``caption``/``video_caption`` (lists of str) and their
``tokens``/``video_tokens`` (int32 ``[N, MAX_TOKENS]``), ``scenes`` (the ``Scene`` objects) and, when
asked for, ``audio`` (float32 ``[N, NUM_SAMPLES]``). A label-conditioned generator reads the labels, a
text-conditioned one the tokens, an audio-conditioned one the clips.

The *target* of a prompt is what its caption states (``parse_caption``): a lone object's cell is
stated, two objects' cells are not (only their relation), so those are ``ABSENT`` and not scored.
"""

from __future__ import annotations

import numpy as np

from mmjax.data import attributes as A
from mmjax.data.audio import sonify
from mmjax.data.captions import describe
from mmjax.data.scene import sample_scene
from mmjax.data.shapes import example
from mmjax.data.tokenizer import Tokenizer
from mmjax.metrics.coherence import caption_targets  # noqa: F401  (re-exported: prompts and their targets)

LABEL_KEYS = ("num_objects", "shape", "colour", "size", "row", "col", "relation", "motion")


def prompt_batch(split: str, start: int, count: int, seed: int = 0, video: bool = False, audio: bool = False) -> dict:
    """Examples ``start .. start + count - 1`` of ``split`` as a prompt batch (no pixels rendered)."""
    indices = range(start, start + count)
    items = [example(seed, split, i, modalities=("caption",)) for i in indices]
    batch = {k: np.stack([item[k] for item in items]) for k in LABEL_KEYS}
    batch["caption"] = [item["caption"] for item in items]
    batch["tokens"] = np.stack([item["tokens"] for item in items])
    batch["scenes"] = [sample_scene(seed, split, i) for i in indices]
    if video:  # the same paraphrase stream as ShapesSource's "video_caption", without rendering the video
        rngs = [np.random.default_rng([seed, A.split_id(split), i, 2]) for i in indices]
        batch["video_caption"] = [describe(scene, rng, video=True) for scene, rng in zip(batch["scenes"], rngs)]
        batch["video_tokens"] = Tokenizer.default().encode_batch(batch["video_caption"])
    if audio:
        batch["audio"] = np.stack([sonify(scene) for scene in batch["scenes"]])  # [N, NUM_SAMPLES]
    return batch
