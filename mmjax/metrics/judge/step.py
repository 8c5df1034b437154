"""Training the judge: optimiser, init, the masked cross-entropy train step, and its accuracy on real renders.

    L = CE(num_objects) + sum_a  sum_{k present} m_{a,k} CE(a_k) / sum m_{a,k}

with ``m`` masking the absent second object and, for row/col, frames caught mid-motion. The judge is
checked on the datasets' own examples (seed 0), which it never trained on.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from mmjax.data import attributes as A
from mmjax.data.render import render_image, render_video
from mmjax.data.scene import sample_scene
from mmjax.metrics.coherence import attribute_accuracy
from mmjax.metrics.judge.config import JudgeConfig
from mmjax.metrics.judge.inference import TrainedJudge, graphdef, judge_labels, judge_videos
from mmjax.metrics.judge.model import OBJECT_HEADS, Judge
from mmjax.metrics.video import video_accuracy
from mmjax.nn import functional as F
from mmjax.train.schedules import adamw_warmup_cosine
from mmjax.train.state import apply_gradients, new_train_state

DATASET_SEED = 0  # the seed of the Shapes datasets (ShapesSource default)
EVAL_SPLITS = ("test", "test_heldout")
EVAL_KEYS = tuple(f"{split}_{name}" for split in EVAL_SPLITS for name in ("all_correct", "worst_attribute"))


def make_optimizer(config: JudgeConfig, num_steps: int) -> optax.GradientTransformation:
    """AdamW; the step size warms up over a tenth of the run (at most 200 steps), then decays as a cosine to 0."""
    return adamw_warmup_cosine(config.learning_rate, num_steps, config.weight_decay)


def init(config: JudgeConfig, key: jax.Array, optimizer: optax.GradientTransformation) -> dict:
    """The train state: fresh judge variables, the optimiser's state, step 0."""
    return new_train_state(F.split(Judge(config, rngs=nnx.Rngs(params=key)))[1], optimizer)


def masked_cross_entropy(logits: jax.Array, labels: jax.Array, mask: jax.Array) -> jax.Array:
    """``sum m * CE(logits, labels) / max(sum m, 1)``; labels under a zero mask may be ABSENT (-1)."""
    losses = optax.softmax_cross_entropy_with_integer_labels(logits, jnp.maximum(labels, 0))
    return jnp.sum(losses * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def judge_loss(config: JudgeConfig, variables: dict, batch: dict) -> tuple[jax.Array, dict]:
    """L above, and its per-attribute parts."""
    images = batch["image"].astype(jnp.float32) / 127.5 - 1.0  # [B, H, W, 3]
    logits, _ = F.call(graphdef(config), variables, images)[0]
    present = (batch["shape"] != A.ABSENT).astype(jnp.float32)  # [B, 2]
    every_frame = jnp.ones(batch["num_objects"].shape, jnp.float32)  # [B]
    losses = {"num_objects": masked_cross_entropy(logits["num_objects"], batch["num_objects"] - 1, every_frame)}
    for name in OBJECT_HEADS:
        mask = present * batch["position_known"][:, None] if name in ("row", "col") else present  # [B, 2]
        losses[name] = masked_cross_entropy(logits[name], batch[name], mask)
    return sum(losses.values()), losses


def train_step(state: dict, batch: dict, key: jax.Array, config: JudgeConfig, optimizer) -> tuple[dict, dict]:
    """One AdamW step on the masked cross-entropy (deterministic: ``key`` is unused)."""
    del key
    (loss, parts), grads = jax.value_and_grad(
        lambda p: judge_loss(config, {**state, "params": p}, batch), has_aux=True
    )(state["params"])
    metrics = {"loss": loss, **{f"loss_{k}": v for k, v in parts.items()}, "grad_norm": optax.tree.norm(grads)}
    return apply_gradients(state, grads, optimizer), metrics


def stack_labels(scenes) -> dict[str, np.ndarray]:
    """The labels of ``scenes``, batched: ``num_objects [N]``, ``shape [N, 2]``, ..."""
    labels = [scene.labels() for scene in scenes]
    return {k: np.stack([item[k] for item in labels]) for k in labels[0]}


def judge_report(judge: TrainedJudge, num_examples: int = 500, num_videos: int | None = None) -> dict:
    """Per-attribute accuracy on images and videos of ``test`` and ``test_heldout`` (first examples)."""
    num_videos = num_examples // 4 if num_videos is None else num_videos
    image_size = judge.config.image_size
    report = {}
    for split in EVAL_SPLITS:
        scenes = [sample_scene(DATASET_SEED, split, i) for i in range(num_examples)]
        images = np.stack([render_image(scene, image_size) for scene in scenes])
        targets = stack_labels(scenes)
        report[f"{split}/image"] = attribute_accuracy(judge_labels(judge, images), targets)
        if num_videos:
            videos = np.stack([render_video(scene, image_size) for scene in scenes[:num_videos]])
            video_targets = {k: v[:num_videos] for k, v in targets.items()}
            report[f"{split}/video"] = video_accuracy(judge_videos(judge, videos), video_targets)
    return report


def evaluate(state: dict, config: JudgeConfig) -> dict[str, float]:
    """On the first ``num_eval_examples`` images of each split: images with every attribute right, worst attribute."""
    judge = TrainedJudge(config, {"params": state["params"], "state": state["state"]})
    report = judge_report(judge, config.num_eval_examples, num_videos=0)
    metrics = {}
    for split in EVAL_SPLITS:
        scores = report[f"{split}/image"]
        metrics[f"{split}_all_correct"] = scores["all_correct"]
        metrics[f"{split}_worst_attribute"] = min(v for k, v in scores.items() if k != "all_correct")
    return metrics
