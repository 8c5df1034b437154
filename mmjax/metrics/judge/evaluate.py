"""Checking the judge on the datasets' own examples: still images and videos of ``test`` and ``test_heldout``."""

from __future__ import annotations

import numpy as np

from mmjax.data.render import render_image, render_video
from mmjax.data.scene import sample_scene
from mmjax.metrics.coherence import attribute_accuracy
from mmjax.metrics.judge.model import Judge, judge_labels
from mmjax.metrics.video import video_accuracy

DATASET_SEED = 0  # the seed of the Shapes datasets (ShapesSource default)


def stack_labels(scenes) -> dict[str, np.ndarray]:
    labels = [scene.labels() for scene in scenes]
    return {k: np.stack([item[k] for item in labels]) for k in labels[0]}


def judge_videos(model: Judge, videos: np.ndarray) -> dict[str, np.ndarray]:
    """Judged labels of every frame of videos ``[N, T, H, W, 3]``: arrays ``[N, T, ...]``."""
    num_videos, num_frames = videos.shape[:2]
    flat = judge_labels(model, videos.reshape(num_videos * num_frames, *videos.shape[2:]))
    return {k: v.reshape(num_videos, num_frames, *v.shape[1:]) for k, v in flat.items()}


def judge_report(model: Judge, num_examples: int = 500, num_videos: int | None = None, image_size: int = 32) -> dict:
    """Per-attribute accuracy on images and videos of ``test`` and ``test_heldout`` (first examples)."""
    num_videos = num_examples // 4 if num_videos is None else num_videos
    report = {}
    for split in ("test", "test_heldout"):
        scenes = [sample_scene(DATASET_SEED, split, i) for i in range(num_examples)]
        images = np.stack([render_image(scene, image_size) for scene in scenes])
        targets = stack_labels(scenes)
        report[f"{split}/image"] = attribute_accuracy(judge_labels(model, images), targets)
        videos = np.stack([render_video(scene, image_size) for scene in scenes[:num_videos]])
        report[f"{split}/video"] = video_accuracy(judge_videos(model, videos), {k: v[:num_videos] for k, v in targets.items()})
    return report
