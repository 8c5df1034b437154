"""Video coherence: per-frame attributes and the direction of motion, read by the judge.

Every frame must show the prompt's objects (count, shape, colour, size), and the scene must move one
cell in the prompt's direction. The judge reads the cells of the first and the last frame; the motion is

    (d_row, d_col) = cell(last) - cell(first)   for every object, and must equal MOTION_STEP[motion]

(a scene that does not move, moves two cells, or tears apart has no valid motion: ``ABSENT``).

Temporal smoothness, from the pixels (:func:`temporal_smoothness`): how much a clip changes per frame and
how unevenly; a real clip's values (``mmjax eval real_video``) are the reference.
"""

from __future__ import annotations

import numpy as np

from mmjax.data import attributes as A
from mmjax.metrics.coherence import attribute_accuracy, canonical_labels

FRAME_ATTRIBUTES = ("num_objects", "shape", "colour", "size")  # what every frame, even mid-motion, shows
STEP_TO_MOTION = {step: A.MOTIONS.index(name) for name, step in A.MOTION_STEP.items()}


def motion_from_cells(first: dict, last: dict) -> np.ndarray:
    """Motion ids ``[N]`` implied by the judged cells of the first and last frames (ABSENT if none)."""
    motions = np.full(first["num_objects"].shape, A.ABSENT, np.int32)
    for i in range(motions.shape[0]):
        count = int(first["num_objects"][i])
        if count != int(last["num_objects"][i]):
            continue
        steps = {
            (int(last["row"][i, k] - first["row"][i, k]), int(last["col"][i, k] - first["col"][i, k]))
            for k in range(count)
        }
        if len(steps) == 1:
            motions[i] = STEP_TO_MOTION.get(steps.pop(), A.ABSENT)
    return motions


def video_accuracy(frame_labels: dict, target: dict, return_clips: bool = False):
    """Per-frame attribute accuracy (``frame_*``), ``motion`` accuracy and ``all_correct`` per video.

    ``frame_labels``: judged labels with a frame axis, ``num_objects [N, T]``, ``shape [N, T, 2]``...;
    ``target``: the prompts' labels ``num_objects [N]``, ..., ``motion [N]``. With ``return_clips``, also
    the verdict per clip, bool ``[N]`` each: ``frames`` (every frame right), ``motion`` and ``all_correct``
    (both), so that a score can be split, e.g. between one-object and two-object prompts.
    """
    num_videos, num_frames = frame_labels["num_objects"].shape
    canonical = canonical_labels(target)  # the judge reads objects top-to-bottom / left-to-right
    flat = {
        k: np.asarray(frame_labels[k]).reshape(num_videos * num_frames, *np.shape(frame_labels[k])[2:])
        for k in FRAME_ATTRIBUTES
    }
    repeated = {k: np.repeat(canonical[k], num_frames, axis=0) for k in FRAME_ATTRIBUTES}
    frame_scores = attribute_accuracy(flat, repeated)
    per_frame_ok = np.ones(num_videos * num_frames, bool)
    for k in FRAME_ATTRIBUTES:
        per_frame_ok &= (flat[k] == repeated[k]).reshape(num_videos * num_frames, -1).all(axis=1)
    first = {k: np.asarray(frame_labels[k])[:, 0] for k in ("num_objects", "row", "col")}
    last = {k: np.asarray(frame_labels[k])[:, -1] for k in ("num_objects", "row", "col")}
    motion_ok = motion_from_cells(first, last) == np.asarray(target["motion"])
    scores = {f"frame_{k}": v for k, v in frame_scores.items() if k != "all_correct"}
    scores["frame_all_correct"] = float(per_frame_ok.mean())
    scores["motion"] = float(motion_ok.mean())
    scores["all_correct"] = float((per_frame_ok.reshape(num_videos, num_frames).all(axis=1) & motion_ok).mean())
    if return_clips:
        frames_ok = per_frame_ok.reshape(num_videos, num_frames).all(axis=1)
        return scores, {"frames": frames_ok, "motion": motion_ok, "all_correct": frames_ok & motion_ok}
    return scores


def temporal_smoothness(videos: np.ndarray) -> dict[str, float]:
    """``change``: mean |x_{t+1} - x_t|, how much a frame differs from the one before (0 for a still clip);
    ``jerk``: mean |x_{t+1} - 2 x_t + x_{t-1}|, how unevenly it changes (0 for a steady fade, large when
    frames flicker or jump). Pixels in [0, 1], uint8 videos ``[N, T, H, W, C]`` with T >= 3.
    """
    videos = np.asarray(videos)
    if videos.ndim != 5 or videos.shape[1] < 3:
        raise ValueError(f"videos must be [N, T, H, W, C] with T >= 3 frames, got shape {videos.shape}")
    x = videos.astype(np.float32) / 255.0
    change = np.abs(x[:, 1:] - x[:, :-1]).mean()
    jerk = np.abs(x[:, 2:] - 2.0 * x[:, 1:-1] + x[:, :-2]).mean()
    return {"change": float(change), "jerk": float(jerk)}
