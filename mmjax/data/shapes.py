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
from mmjax.data.captions import describe
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
) -> dict[str, Any]:
    """Example ``index`` of ``split`` as a dict of numpy arrays (labels always included)."""
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
        out["caption"] = describe(scene, np.random.default_rng([seed, A.split_id(split), index, 1]))
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


class ShapesSource:
    """A random-access data source over one split of the Shapes world.

    Args:
      split: ``"train"``, ``"test"`` or ``"test_heldout"``.
      num_examples: length of the source (default: ``DEFAULT_SIZES[split]``).
      modalities: which of ``image``, ``caption``, ``video``, ``audio`` to render.
      seed: world seed; the same seed gives the same examples everywhere.
      image_size: canvas side in pixels (>= 16).
      num_frames: frames per video (>= 2).
    """

    def __init__(
        self,
        split: str = "train",
        num_examples: int | None = None,
        modalities: Sequence[str] = ("image", "caption"),
        seed: int = 0,
        image_size: int = 32,
        num_frames: int = 8,
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
        self.tokenizer = Tokenizer.default()

    def __len__(self) -> int:
        return self.num_examples

    def __getitem__(self, index: int) -> dict[str, Any]:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"index must be an integer, got {type(index).__name__}")
        if not 0 <= index < self.num_examples:
            raise IndexError(f"index {index} out of range for a source of {self.num_examples} examples")
        return example(
            self.seed, self.split, int(index), self.modalities, self.image_size, self.num_frames, self.tokenizer
        )

    def __repr__(self) -> str:
        return (
            f"ShapesSource(split={self.split!r}, num_examples={self.num_examples}, "
            f"modalities={self.modalities}, seed={self.seed}, image_size={self.image_size})"
        )
