"""``ShapesSource``: random access to Shapes examples, every modality rendered on demand.

``source[i]`` draws scene ``i`` of the split (a pure function of seed, split and i), then renders only
the modalities asked for. The caption's paraphrase is drawn from the same per-example generator, so
an example is identical every time it is read, on every machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mmjax.data import attributes as A
from mmjax.data.audio import sonify
from mmjax.data.captions import LEAVE_OUT, describe
from mmjax.data.render import check_image_size, render_image, render_video
from mmjax.data.scene import sample_scene
from mmjax.data.tokenizer import Tokenizer

MODALITIES = ("image", "caption", "video", "audio")
DEFAULT_SIZES = {"train": 50_000, "test": 5_000, "test_heldout": 5_000}  # the world is infinite; these are defaults


def example(
    seed: int,
    split: str,
    index: int,
    modalities: Sequence[str] = ("image", "caption"),
    image_size: int = 32,
    num_frames: int = 8,
    tokenizer: Tokenizer | None = None,
    partial: float = 0.0,
) -> dict[str, Any]:
    """Example ``index`` of ``split`` as a dict of numpy arrays (labels always included).

    ``partial``: the probability that the still caption is a partial one (:func:`leave_out`); the labels
    stay the whole scene's, so a model that reads such captions learns what unstated attributes may be.
    """
    unknown = set(modalities) - set(MODALITIES)
    if unknown:
        raise ValueError(f"unknown modalities {sorted(unknown)}; expected a subset of {MODALITIES}")
    scene = sample_scene(seed, split, index)
    out: dict[str, Any] = dict(scene.labels())
    out["index"] = np.int64(index)
    if "image" in modalities:
        out["image"] = render_image(scene, image_size)
    if tokenizer is None:
        tokenizer = Tokenizer.default()
    # Captions draw from their own streams, so asking for them never changes the scene.
    if "caption" in modalities:
        unstated = leave_out(scene, np.random.default_rng([seed, A.split_id(split), index, 3]), partial)
        out["caption"] = describe(scene, np.random.default_rng([seed, A.split_id(split), index, 1]), leave_out=unstated)
        out["tokens"] = tokenizer.encode(out["caption"])
    if "video" in modalities:
        rng = np.random.default_rng([seed, A.split_id(split), index, 2])
        out["video_caption"] = describe(scene, rng, video=True)
        out["video_tokens"] = tokenizer.encode(out["video_caption"])
    if "video" in modalities:
        out["video"] = render_video(scene, image_size, num_frames)
    if "audio" in modalities:
        out["audio"] = sonify(scene)
    return out


def leave_out(scene, rng: np.random.Generator, partial: float) -> tuple[str, ...]:
    """With probability ``partial``, a non-empty random set of the kinds a caption of ``scene`` may leave out
    (size, colour, and the cell of a single object); otherwise none."""
    if partial <= 0 or rng.random() >= partial:
        return ()
    kinds = [k for k in LEAVE_OUT if k != "cell" or len(scene.objects) == 1]
    while True:  # each kind with probability 1/2, until at least one is left out
        chosen = tuple(k for k in kinds if rng.random() < 0.5)
        if chosen:
            return chosen


class ShapesSource:
    """A random-access data source over one split of the Shapes world.

    Args:
      split: ``"train"``, ``"test"`` or ``"test_heldout"``.
      num_examples: length of the source (default: ``DEFAULT_SIZES[split]``).
      modalities: which of ``image``, ``caption``, ``video``, ``audio`` to render.
      seed: world seed; the same seed gives the same examples everywhere.
      image_size: canvas side in pixels (>= 16).
      num_frames: frames per video (>= 2).
      partial: the probability that an example's still caption is partial (:func:`leave_out`).
    """

    def __init__(
        self,
        split: str = "train",
        num_examples: int | None = None,
        modalities: Sequence[str] = ("image", "caption"),
        seed: int = 0,
        image_size: int = 32,
        num_frames: int = 8,
        partial: float = 0.0,
    ):
        A.split_id(split)  # validates the split name
        if isinstance(modalities, str):
            modalities = (modalities,)
        example(seed, split, 0, modalities, image_size, num_frames)  # validate every argument once, up front
        self.split, self.modalities, self.seed = split, tuple(modalities), seed
        self.image_size, self.num_frames = check_image_size(image_size), num_frames
        self.num_examples = DEFAULT_SIZES[split] if num_examples is None else int(num_examples)
        if self.num_examples < 1:
            raise ValueError(f"num_examples must be >= 1, got {num_examples}")
        if not 0.0 <= partial <= 1.0:
            raise ValueError(f"partial must be a probability in [0, 1], got {partial}")
        self.tokenizer, self.partial = Tokenizer.default(), float(partial)

    def __len__(self) -> int:
        return self.num_examples

    def __getitem__(self, index: int) -> dict[str, Any]:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"index must be an integer, got {type(index).__name__}")
        if not 0 <= index < self.num_examples:
            raise IndexError(f"index {index} out of range for a source of {self.num_examples} examples")
        return example(
            self.seed,
            self.split,
            int(index),
            self.modalities,
            self.image_size,
            self.num_frames,
            self.tokenizer,
            self.partial,
        )

    def __repr__(self) -> str:
        return (
            f"ShapesSource(split={self.split!r}, num_examples={self.num_examples}, "
            f"modalities={self.modalities}, seed={self.seed}, image_size={self.image_size})"
        )
