"""Training the contrastive encoder with the symmetric InfoNCE (CLIP) loss.

For a batch of B matching (image, caption) pairs with unit embeddings ``u_i``, ``v_j``:

    S_ij = exp(t) <u_i, v_j>
    L = ( CE(S, diag) + CE(S^T, diag) ) / 2        (each image must pick its caption, and vice versa)

Reproduce the shipped checkpoint (a few minutes on a CPU) with

    python -m mmjax.metrics.contrastive.train --out data/judge/contrastive.npz
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from mmjax.data.shapes import example
from mmjax.metrics import npz_checkpoint
from mmjax.metrics.contrastive.config import ContrastiveConfig
from mmjax.metrics.contrastive.model import ContrastiveEncoder
from mmjax.metrics.training import split_train_state, warmup_cosine_adamw

DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[3] / "data" / "judge" / "contrastive.npz"
TRAIN_COMMAND = "python -m mmjax.metrics.contrastive.train"


def clip_loss(model: ContrastiveEncoder, batch: dict) -> jax.Array:
    images = batch["image"].astype(jnp.float32) / 127.5 - 1.0  # [B, H, W, 3]
    scores = jnp.exp(model.log_temperature.get_value()) * model.encode_images(images) @ model.encode_texts(batch["tokens"]).T  # [B, B]
    targets = jnp.arange(scores.shape[0])
    per_image = optax.softmax_cross_entropy_with_integer_labels(scores, targets)
    per_caption = optax.softmax_cross_entropy_with_integer_labels(scores.T, targets)
    return (per_image.mean() + per_caption.mean()) / 2


def make_optimizer(config: ContrastiveConfig) -> optax.GradientTransformation:
    return warmup_cosine_adamw(config.learning_rate, config.steps, config.weight_decay)


def init_state(config: ContrastiveConfig, key: jax.Array) -> tuple[nnx.GraphDef, dict]:
    """Graph definition and the pure training state ``{"params", "opt_state", "step"}``."""
    return split_train_state(ContrastiveEncoder(config, nnx.Rngs(key)), make_optimizer(config))


def make_train_step(graphdef: nnx.GraphDef, config: ContrastiveConfig):
    """``(state, batch) -> (state, metrics)``, pure and jitted with the state donated."""
    optimizer = make_optimizer(config)

    def train_step(state, batch):
        loss, grads = jax.value_and_grad(lambda p: clip_loss(nnx.merge(graphdef, p), batch))(state["params"])
        updates, opt_state = optimizer.update(grads, state["opt_state"], state["params"])
        return {"params": optax.apply_updates(state["params"], updates), "opt_state": opt_state, "step": state["step"] + 1}, {"loss": loss}

    return jax.jit(train_step, donate_argnums=0)


def training_pairs(config: ContrastiveConfig) -> dict[str, np.ndarray]:
    items = [example(config.seed, "train", i, modalities=("image", "caption"), image_size=config.image_size) for i in range(config.num_train)]
    return {"image": np.stack([x["image"] for x in items]), "tokens": np.stack([x["tokens"] for x in items])}


def train_encoder(config: ContrastiveConfig, log_every: int = 250) -> ContrastiveEncoder:
    pairs = training_pairs(config)
    graphdef, state = init_state(config, jax.random.key(config.seed))
    train_step = make_train_step(graphdef, config)
    rng = np.random.default_rng(config.seed)
    order, cursor, start = rng.permutation(config.num_train), 0, time.perf_counter()
    for step in range(config.steps):
        if cursor + config.batch_size > config.num_train:
            order, cursor = rng.permutation(config.num_train), 0
        rows = order[cursor : cursor + config.batch_size]
        cursor += config.batch_size
        state, metrics = train_step(state, {k: v[rows] for k, v in pairs.items()})
        if (step + 1) % log_every == 0 or step + 1 == config.steps:
            print(f"step {step + 1}/{config.steps} ({time.perf_counter() - start:.0f}s) loss={float(metrics['loss']):.4f}", flush=True)
    return nnx.merge(graphdef, state["params"])


def load_encoder(path: str | Path = DEFAULT_CHECKPOINT) -> tuple[ContrastiveEncoder, ContrastiveConfig]:
    return npz_checkpoint.load_module(ContrastiveEncoder, ContrastiveConfig, path, TRAIN_COMMAND)


def main(argv: list[str] | None = None) -> int:
    from mmjax.metrics.r_precision import r_precision_of_images

    parser = argparse.ArgumentParser(description="Train the contrastive text-image encoder used for R-precision.")
    parser.add_argument("--out", default=str(DEFAULT_CHECKPOINT), help="checkpoint path (.npz)")
    parser.add_argument("--steps", type=int, default=ContrastiveConfig.steps)
    parser.add_argument("--num-train", type=int, default=ContrastiveConfig.num_train)
    args = parser.parse_args(argv)
    config = dataclasses.replace(ContrastiveConfig(), steps=args.steps, num_train=args.num_train)
    model = train_encoder(config)
    report = {}
    for split in ("test", "test_heldout"):
        items = [example(0, split, i, modalities=("image", "caption")) for i in range(1000)]
        report[split] = r_precision_of_images(
            model, np.stack([x["image"] for x in items]), np.stack([x["tokens"] for x in items]), [x["caption"] for x in items]
        )
    print(json.dumps(report))
    npz_checkpoint.save_module(model, config, args.out, extra={"r_precision_real": report})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
