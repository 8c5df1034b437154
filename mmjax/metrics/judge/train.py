"""Training the judge: masked cross-entropy over every attribute head, one jitted pure step.

    L = CE(num_objects) + sum_a  sum_{k present} m_{a,k} CE(a_k) / sum m_{a,k}

with ``m`` masking the absent second object and, for row/col, frames caught mid-motion. Reproduce the
shipped checkpoint (a few minutes on a laptop CPU) with

    python -m mmjax.metrics.judge.train --out data/judge/judge.npz
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from mmjax.data import attributes as A
from mmjax.metrics.judge.checkpoint import DEFAULT_CHECKPOINT, save_judge
from mmjax.metrics.judge.config import JudgeConfig
from mmjax.metrics.judge.data import labelled_frames
from mmjax.metrics.judge.evaluate import judge_report
from mmjax.metrics.judge.model import OBJECT_HEADS, Judge, feature_rms
from mmjax.metrics.training import split_train_state, warmup_cosine_adamw


def masked_cross_entropy(logits: jax.Array, labels: jax.Array, mask: jax.Array) -> jax.Array:
    """``sum m * CE(logits, labels) / max(sum m, 1)``; labels under a zero mask may be ABSENT (-1)."""
    losses = optax.softmax_cross_entropy_with_integer_labels(logits, jnp.maximum(labels, 0))
    return jnp.sum(losses * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def judge_loss(model: Judge, batch: dict) -> tuple[jax.Array, dict]:
    images = batch["image"].astype(jnp.float32) / 127.5 - 1.0  # [B, H, W, 3]
    logits = model(images)
    present = (batch["shape"] != A.ABSENT).astype(jnp.float32)  # [B, 2]
    losses = {"num_objects": masked_cross_entropy(logits["num_objects"], batch["num_objects"] - 1, jnp.ones_like(batch["num_objects"], jnp.float32))}
    for name in OBJECT_HEADS:
        mask = present * batch["position_known"][:, None] if name in ("row", "col") else present
        losses[name] = masked_cross_entropy(logits[name], batch[name], mask)
    return sum(losses.values()), losses


def make_optimizer(config: JudgeConfig) -> optax.GradientTransformation:
    return warmup_cosine_adamw(config.learning_rate, config.steps, config.weight_decay)


def init_state(config: JudgeConfig, key: jax.Array) -> tuple[nnx.GraphDef, dict]:
    """Graph definition and the pure training state ``{"params", "opt_state", "step"}``."""
    return split_train_state(Judge(config, nnx.Rngs(key)), make_optimizer(config))


def make_train_step(graphdef: nnx.GraphDef, config: JudgeConfig):
    """``(state, batch) -> (state, metrics)``, pure and jitted with the state donated."""
    optimizer = make_optimizer(config)

    def loss_of_params(params, batch):
        return judge_loss(nnx.merge(graphdef, params), batch)

    def train_step(state, batch):
        (loss, parts), grads = jax.value_and_grad(loss_of_params, has_aux=True)(state["params"], batch)
        updates, opt_state = optimizer.update(grads, state["opt_state"], state["params"])
        params = optax.apply_updates(state["params"], updates)
        return {"params": params, "opt_state": opt_state, "step": state["step"] + 1}, {"loss": loss, **parts}

    return jax.jit(train_step, donate_argnums=0)


def train_judge(config: JudgeConfig, log_every: int = 250) -> Judge:
    """Render the training frames, run ``config.steps`` steps, return the trained judge."""
    frames = labelled_frames(
        "train", config.num_train, config.seed, config.video_fraction, config.image_size,
        heldout_share=0.15 if config.heldout_pairs_in_training else 0.0,
    )
    graphdef, state = init_state(config, jax.random.key(config.seed))
    train_step = make_train_step(graphdef, config)
    rng = np.random.default_rng(config.seed)
    order, cursor = rng.permutation(config.num_train), 0
    start = time.perf_counter()
    for step in range(config.steps):
        if cursor + config.batch_size > config.num_train:  # new epoch, new permutation
            order, cursor = rng.permutation(config.num_train), 0
        rows = order[cursor : cursor + config.batch_size]
        cursor += config.batch_size
        state, metrics = train_step(state, {k: v[rows] for k, v in frames.items()})
        if (step + 1) % log_every == 0 or step + 1 == config.steps:
            parts = " ".join(f"{k}={float(v):.4f}" for k, v in metrics.items())
            print(f"step {step + 1}/{config.steps} ({time.perf_counter() - start:.0f}s) {parts}", flush=True)
    return nnx.merge(graphdef, state["params"])


def with_feature_scale(model: Judge, config: JudgeConfig, num_frames: int = 4096) -> tuple[Judge, JudgeConfig]:
    """Set ``feature_scale`` to the feature RMS on the first ``num_frames`` training frames."""
    frames = labelled_frames("train", num_frames, config.seed, config.video_fraction, config.image_size)
    config = dataclasses.replace(config, feature_scale=feature_rms(model, frames["image"]))
    model.feature_scale = config.feature_scale
    return model, config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the Shapes judge network and write its checkpoint.")
    parser.add_argument("--out", default=str(DEFAULT_CHECKPOINT), help="checkpoint path (.npz)")
    parser.add_argument("--steps", type=int, default=JudgeConfig.steps)
    parser.add_argument("--num-train", type=int, default=JudgeConfig.num_train)
    parser.add_argument("--no-heldout-pairs", action="store_true", help="train on the train split's pairs only")
    parser.add_argument("--eval-examples", type=int, default=2000, help="test / test_heldout examples to check")
    args = parser.parse_args(argv)
    config = dataclasses.replace(
        JudgeConfig(), steps=args.steps, num_train=args.num_train, heldout_pairs_in_training=not args.no_heldout_pairs
    )
    model = train_judge(config)
    model, config = with_feature_scale(model, config)
    report = judge_report(model, args.eval_examples)
    print(json.dumps(report, indent=1))
    save_judge(model, config, args.out, extra={"accuracy": report})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
