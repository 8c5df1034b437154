"""The optimiser and pure train state shared by the instruments trained here (judge, contrastive encoder)."""

from __future__ import annotations

import jax.numpy as jnp
import optax
from flax import nnx


def warmup_cosine_adamw(learning_rate: float, steps: int, weight_decay: float) -> optax.GradientTransformation:
    """AdamW whose step size warms up linearly over min(200, steps / 10) steps, then decays as a cosine."""
    schedule = optax.warmup_cosine_decay_schedule(0.0, learning_rate, min(200, steps // 10), steps)
    return optax.adamw(schedule, weight_decay=weight_decay)


def split_train_state(model: nnx.Module, optimizer: optax.GradientTransformation) -> tuple[nnx.GraphDef, dict]:
    """Graph definition and the pure training state ``{"params", "opt_state", "step"}`` of ``model``."""
    graphdef, params = nnx.split(model, nnx.Param)
    return graphdef, {"params": params, "opt_state": optimizer.init(params), "step": jnp.zeros((), jnp.int32)}
