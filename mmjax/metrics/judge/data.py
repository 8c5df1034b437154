"""Labelled frames for training and checking the judge.

A frame is a still image (progress 0) or a frame of a video (the scene slid a fraction ``p`` of one cell
along its motion). Its labels are the canonical scene's; at ``p = 1`` the objects sit exactly on the
next cell, so row/col are the moved cells, and for 0 < p < 1 the position is between cells, so row/col
are not trained (``position_known`` is False) while shape, colour, size and count still are.

Training frames are drawn with the judge's own seed, so they are different renders from the datasets'
``test`` and ``test_heldout`` examples (seed 0) on which the judge is checked. With
``heldout_pairs_in_training`` (the default) the held-out colour x shape pairs are mixed in too: the
judge is a measuring instrument, not a model under test, so it should know every composition that it
will be asked to recognise in generated images; generative models never see those pairs.
"""

from __future__ import annotations

import numpy as np

from mmjax.data import attributes as A
from mmjax.data.render import render_frame
from mmjax.data.scene import Scene, ShapeObject, sample_scene

VIDEO_FRAMES = 8  # default frames per video: mid-motion frames are drawn at progress k / 7


def moved(scene: Scene) -> Scene:
    """The scene after its whole one-cell move (what the last video frame shows)."""
    d_row, d_col = A.MOTION_STEP[A.MOTIONS[scene.motion]]
    objects = tuple(ShapeObject(o.shape, o.colour, o.size, o.row + d_row, o.col + d_col, o.jitter) for o in scene.objects)
    return Scene(objects, scene.relation, scene.motion)


def labelled_frame(scene: Scene, progress: float, image_size: int) -> dict[str, np.ndarray]:
    """One frame of ``scene`` at ``progress`` with canonical labels and loss masks."""
    labels = (moved(scene) if progress == 1.0 else scene).canonical().labels()
    return {
        "image": render_frame(scene, image_size, progress),
        **{k: labels[k] for k in ("num_objects", "shape", "colour", "size", "row", "col", "relation")},
        "position_known": np.bool_(progress in (0.0, 1.0)),
    }


def labelled_frames(split: str, num: int, seed: int, video_fraction: float, image_size: int = 32, heldout_share: float = 0.0) -> dict[str, np.ndarray]:
    """``num`` labelled frames, stacked: ``image [N, H, W, 3]`` uint8 plus label arrays and masks."""
    rng = np.random.default_rng([seed, A.split_id(split), 7])
    frames = []
    for index in range(num):
        source = "test_heldout" if rng.random() < heldout_share else split
        scene = sample_scene(seed, source, index)
        progress = float(rng.integers(1, VIDEO_FRAMES)) / (VIDEO_FRAMES - 1) if rng.random() < video_fraction else 0.0
        frames.append(labelled_frame(scene, progress, image_size))
    return {k: np.stack([f[k] for f in frames]) for k in frames[0]}
