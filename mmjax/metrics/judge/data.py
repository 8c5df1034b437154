"""Labelled frames for training the judge: a random-access source, frame ``i`` fixed by (data_seed, split, i).

A frame is a still image (progress 0) or a frame of a video (the scene slid a fraction ``p`` of one cell
along its motion). Its labels are the canonical scene's; at ``p = 1`` the objects sit exactly on the
next cell, so row/col are the moved cells, and for 0 < p < 1 the position is between cells, so row/col
are not trained (``position_known`` is False) while shape, colour, size and count still are.

Training frames are drawn with the judge's own seed, so they are different renders from the datasets'
``test`` and ``test_heldout`` examples (seed 0) on which the judge is checked. With
``heldout_pairs_in_training`` (the default) the held-out colour x shape pairs are mixed into ``train``:
the judge is a measuring instrument, not a model under test, so it should know every composition that
it will be asked to recognise in generated images; generative models never see those pairs.
"""

from __future__ import annotations

import numpy as np

from mmjax.data import attributes as A
from mmjax.data.render import render_frame
from mmjax.data.scene import Scene, ShapeObject, sample_scene
from mmjax.metrics.judge.config import JudgeConfig

VIDEO_FRAMES = 8  # frames per video: mid-motion frames are drawn at progress k / 7
HELDOUT_SHARE = 0.15  # share of training frames drawn from test_heldout's pairs (with heldout_pairs_in_training)
LABELS = ("num_objects", "shape", "colour", "size", "row", "col", "relation")


def moved(scene: Scene) -> Scene:
    """The scene after its whole one-cell move (what the last video frame shows)."""
    d_row, d_col = A.MOTION_STEP[A.MOTIONS[scene.motion]]
    objects = tuple(
        ShapeObject(o.shape, o.colour, o.size, o.row + d_row, o.col + d_col, o.jitter) for o in scene.objects
    )
    return Scene(objects, scene.relation, scene.motion)


def labelled_frame(scene: Scene, progress: float, image_size: int) -> dict[str, np.ndarray]:
    """One frame of ``scene`` at ``progress`` with canonical labels and the row/col loss mask."""
    labels = (moved(scene) if progress == 1.0 else scene).canonical().labels()
    return {
        "image": render_frame(scene, image_size, progress),
        **{k: labels[k] for k in LABELS},
        "position_known": np.bool_(progress in (0.0, 1.0)),
    }


class JudgeFrames:
    """``len(src)`` labelled frames of ``split``: ``image [H, W, 3]`` uint8, label arrays, ``position_known``."""

    def __init__(self, config: JudgeConfig, split: str = "train", num_examples: int | None = None):
        A.split_id(split)  # validates the split name
        self.config, self.split = config, split
        self.num_examples = config.num_train_examples if num_examples is None else int(num_examples)
        if self.num_examples < 1:
            raise ValueError(f"a JudgeFrames source needs >= 1 example, got {self.num_examples}")
        self.heldout_share = HELDOUT_SHARE if split == "train" and config.heldout_pairs_in_training else 0.0

    def __len__(self) -> int:
        return self.num_examples

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        if not 0 <= index < self.num_examples:
            raise IndexError(f"index {index} out of range for {self.num_examples} frames")
        config = self.config
        rng = np.random.default_rng([config.data_seed, A.split_id(self.split), int(index), 7])
        source = "test_heldout" if rng.random() < self.heldout_share else self.split
        mid_motion = rng.random() < config.video_fraction
        progress = float(rng.integers(1, VIDEO_FRAMES)) / (VIDEO_FRAMES - 1) if mid_motion else 0.0
        return labelled_frame(sample_scene(config.data_seed, source, int(index)), progress, config.image_size)
