"""Training the contrastive encoder with the symmetric InfoNCE (CLIP) loss, and scoring it by R-precision.

For a batch of B matching (image, caption) pairs with unit embeddings ``u_i``, ``v_j``:

    S_ij = exp(t) <u_i, v_j>
    L = ( CE(S, diag) + CE(S^T, diag) ) / 2        (each image must pick its caption, and vice versa)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from mmjax.data.shapes import ShapesSource
from mmjax.metrics.contrastive.config import ContrastiveConfig
from mmjax.metrics.contrastive.inference import TrainedEncoder, graphdef
from mmjax.metrics.contrastive.model import ContrastiveEncoder
from mmjax.metrics.r_precision import r_precision_of_images
from mmjax.nn import functional as F
from mmjax.train.schedules import adamw_warmup_cosine
from mmjax.train.state import apply_gradients, new_train_state

DATASET_SEED = 0  # the seed of the Shapes datasets (ShapesSource default)
EVAL_SPLITS = ("test", "test_heldout")
EVAL_KEYS = tuple(f"{split}_r_precision" for split in EVAL_SPLITS)


def make_optimizer(config: ContrastiveConfig, num_steps: int) -> optax.GradientTransformation:
    """AdamW; the step size warms up over a tenth of the run (at most 200 steps), then decays as a cosine to 0."""
    return adamw_warmup_cosine(config.learning_rate, num_steps, config.weight_decay)


def init(config: ContrastiveConfig, key: jax.Array, optimizer: optax.GradientTransformation) -> dict:
    """The train state: fresh encoder variables, the optimiser's state, step 0."""
    return new_train_state(F.split(ContrastiveEncoder(config, rngs=nnx.Rngs(params=key)))[1], optimizer)


def clip_loss(config: ContrastiveConfig, variables: dict, batch: dict) -> jax.Array:
    """L above, on a batch of matching pairs ``image [B, H, W, 3]`` (uint8), ``tokens [B, L]``."""
    images = batch["image"].astype(jnp.float32) / 127.5 - 1.0  # [B, H, W, 3]
    scores = F.call(graphdef(config), variables, images, batch["tokens"], method="scores")[0]  # [B, B]
    targets = jnp.arange(scores.shape[0])
    per_image = optax.softmax_cross_entropy_with_integer_labels(scores, targets)
    per_caption = optax.softmax_cross_entropy_with_integer_labels(scores.T, targets)
    return (per_image.mean() + per_caption.mean()) / 2


def train_step(state: dict, batch: dict, key: jax.Array, config: ContrastiveConfig, optimizer) -> tuple[dict, dict]:
    """One AdamW step on the CLIP loss (deterministic: ``key`` is unused)."""
    del key
    loss, grads = jax.value_and_grad(lambda p: clip_loss(config, {**state, "params": p}, batch))(state["params"])
    return apply_gradients(state, grads, optimizer), {"loss": loss, "grad_norm": optax.tree.norm(grads)}


def r_precision_report(encoder: TrainedEncoder, num_examples: int) -> dict[str, float]:
    """R-precision of real images for their own captions, first ``num_examples`` of test and test_heldout."""
    report = {}
    for split in EVAL_SPLITS:
        source = ShapesSource(
            split, num_examples, ("image", "caption"), seed=DATASET_SEED, image_size=encoder.config.image_size
        )
        items = [source[i] for i in range(num_examples)]
        images, tokens = np.stack([x["image"] for x in items]), np.stack([x["tokens"] for x in items])
        report[split] = r_precision_of_images(encoder, images, tokens, [x["caption"] for x in items])
    return report


def evaluate(state: dict, config: ContrastiveConfig) -> dict[str, float]:
    """R-precision on the first ``num_eval_examples`` pairs of test and test_heldout."""
    encoder = TrainedEncoder(config, {"params": state["params"], "state": state["state"]})
    report = r_precision_report(encoder, config.num_eval_examples)
    return {f"{split}_r_precision": report[split] for split in EVAL_SPLITS}
