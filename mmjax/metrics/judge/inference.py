"""Judging images: labels and features of a trained judge, one jitted pure forward pass.

A trained judge is plain data, :class:`TrainedJudge` = (config, variables): the config fixes the
network's graph and the feature scale, the variables hold its weights. Every function here runs

    logits, features = call(graph_of(Judge(config)), variables, images)       (jitted, batch by batch)

and turns the logits into labels (``decode_labels``) or divides the features by ``feature_scale``.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mmjax.metrics.judge.config import JudgeConfig
from mmjax.metrics.judge.model import Judge, decode_labels
from mmjax.nn import functional as F


def graphdef(config: JudgeConfig) -> nnx.GraphDef:
    """The judge network's structure, without parameters (built abstractly, once per config)."""
    return F.module_graph(Judge, config)


@dataclasses.dataclass(frozen=True, eq=False)
class TrainedJudge:
    """A trained judge: its config and its variables ``{"params": ..., "state": ...}``."""

    config: JudgeConfig
    variables: dict


@functools.partial(jax.jit, static_argnums=0)
def _logits_and_features(graph: nnx.GraphDef, variables: dict, images: jax.Array):
    return F.call(graph, variables, images)[0]


def to_model_input(images) -> jax.Array:
    """uint8 ``[B, H, W, 3]`` -> float32 in [-1, 1] (floats are taken as already in [-1, 1])."""
    images = np.asarray(images) if not isinstance(images, jax.Array) else images
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"images must have shape [B, H, W, 3], got {tuple(images.shape)}")
    if images.dtype == np.uint8:
        return jnp.asarray(images, jnp.float32) / 127.5 - 1.0
    return jnp.asarray(images, jnp.float32)


def _batched(judge: TrainedJudge, images, batch_size: int) -> tuple[dict, np.ndarray]:
    """Logits and unscaled features ``[N, F]`` of ``images``, ``batch_size`` at a time."""
    if not isinstance(judge, TrainedJudge):
        raise TypeError(f"expected a TrainedJudge (from load_judge), got {type(judge).__name__}")
    graph, variables = graphdef(judge.config), {"params": judge.variables["params"], "state": judge.variables["state"]}
    outputs = [
        _logits_and_features(graph, variables, to_model_input(images[i : i + batch_size]))
        for i in range(0, len(images), batch_size)
    ]
    logits = {k: jnp.concatenate([o[0][k] for o in outputs]) for k in outputs[0][0]}
    return logits, np.concatenate([np.asarray(o[1]) for o in outputs])


def judge_labels(judge: TrainedJudge, images, batch_size: int = 256) -> dict[str, np.ndarray]:
    """Predicted canonical labels of images ``[N, H, W, 3]`` (uint8, or float in [-1, 1])."""
    return decode_labels(_batched(judge, images, batch_size)[0])


def judge_features(judge: TrainedJudge, images, batch_size: int = 256) -> np.ndarray:
    """Penultimate features ``[N, feature_dim]`` (float64) of images, for Shapes-FID and friends.

    Divided by ``feature_scale`` (their RMS on real training frames), so each dimension is O(1) on
    real data, as Inception features are; KID's cubic kernel assumes that scale.
    """
    return _batched(judge, images, batch_size)[1].astype(np.float64) / judge.config.feature_scale


def judge_labels_and_features(judge: TrainedJudge, images, batch_size: int = 256):
    """Both of the above from one forward pass."""
    logits, features = _batched(judge, images, batch_size)
    return decode_labels(logits), features.astype(np.float64) / judge.config.feature_scale


def judge_videos(judge: TrainedJudge, videos: np.ndarray) -> dict[str, np.ndarray]:
    """Judged labels of every frame of videos ``[N, T, H, W, 3]``: arrays ``[N, T, ...]``."""
    num_videos, num_frames = videos.shape[:2]
    flat = judge_labels(judge, videos.reshape(num_videos * num_frames, *videos.shape[2:]))
    return {k: v.reshape(num_videos, num_frames, *v.shape[1:]) for k, v in flat.items()}


def feature_rms(judge: TrainedJudge, images) -> float:
    """``sqrt(mean(f^2))`` of the unscaled features of ``images``: the ``feature_scale`` to store."""
    return float(np.sqrt(np.mean(_batched(judge, images, 256)[1].astype(np.float64) ** 2)))
