"""The sequence loss every Transformer here trains with: teacher-forced cross-entropy over the real tokens."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def token_loss(
    logits: jax.Array, labels: jax.Array, label_smoothing: float = 0.0, pad_id: int = 0
) -> tuple[jax.Array, dict]:
    """L = -(1 / N) sum_{b, t : y_bt != pad} sum_v q_btv log p(v | y_b,<t, x_b),  N = number of real tokens,

    q = (1 - eps) one-hot(y_bt) + eps / V (label smoothing; eps = 0 is plain cross-entropy).
    ``logits [B, T, V]``, ``labels [B, T]``; ``pad_id``: the padding token, 0 in mmjax's vocabularies.
    """
    real = labels != pad_id  # [B, T]
    targets = optax.smooth_labels(jax.nn.one_hot(labels, logits.shape[-1]), label_smoothing)  # [B, T, V]
    loss = jnp.sum(optax.softmax_cross_entropy(logits, targets) * real) / jnp.sum(real)
    correct = (jnp.argmax(logits, -1) == labels) | ~real
    metrics = {
        "loss": loss,
        "token_accuracy": jnp.sum(correct & real) / jnp.sum(real),
        "sequence_accuracy": jnp.mean(jnp.all(correct, axis=1)),  # teacher-forced, so an upper bound
    }
    return loss, metrics
