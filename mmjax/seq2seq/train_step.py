"""One training step: teacher-forced cross-entropy on the non-padding target tokens, then AdamW."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from mmjax.seq2seq import model as M
from mmjax.seq2seq.config import PAD_ID, Seq2SeqConfig


def optimizer(config: Seq2SeqConfig) -> optax.GradientTransformation:
    """Clip the global gradient norm at 1, then AdamW with linear warm-up and cosine decay.

    The decay matters: at a constant rate the held-out accuracy keeps jumping between 95% and 100%.
    """
    schedule = optax.warmup_cosine_decay_schedule(
        0.0, config.learning_rate, config.warmup_steps, max(config.decay_steps, config.warmup_steps + 1),
        end_value=0.01 * config.learning_rate,
    )
    return optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(schedule, weight_decay=config.weight_decay))


def init(config: Seq2SeqConfig, key: jax.Array) -> dict:
    """The whole training state as a pytree of arrays: parameters, optimiser state, step counter."""
    params = M.init_params(config, key)
    return {"params": params, "opt_state": optimizer(config).init(params), "step": jnp.zeros((), jnp.int32)}


def loss_and_metrics(params, batch, key, config: Seq2SeqConfig):
    """L = -(1 / N) sum_{b, t : y_bt != pad} log p(y_bt | y_b,<t, x_b),  N = number of real target tokens."""
    logits = M.logits(config, params, batch, key)  # [B, T - 1, V]
    labels = batch["target"][:, 1:]  # [B, T - 1]
    real = labels != PAD_ID
    targets = optax.smooth_labels(jax.nn.one_hot(labels, logits.shape[-1]), config.label_smoothing)
    token_loss = optax.softmax_cross_entropy(logits, targets)  # [B, T - 1]
    loss = jnp.sum(token_loss * real) / jnp.sum(real)
    correct = (jnp.argmax(logits, -1) == labels) | ~real
    metrics = {
        "loss": loss,
        "token_accuracy": jnp.sum(correct & real) / jnp.sum(real),
        "sequence_accuracy": jnp.mean(jnp.all(correct, axis=1)),  # teacher-forced, so an upper bound
    }
    return loss, metrics


def train_step(state: dict, batch: dict, key: jax.Array, config: Seq2SeqConfig):
    """(state, batch, key) -> (state, metrics); the training loop binds ``config`` and jits it."""
    grads, metrics = jax.grad(loss_and_metrics, has_aux=True)(state["params"], batch, key, config)
    updates, opt_state = optimizer(config).update(grads, state["opt_state"], state["params"])
    new_state = {
        "params": optax.apply_updates(state["params"], updates),
        "opt_state": opt_state,
        "step": state["step"] + 1,
    }
    return new_state, {**metrics, "grad_norm": optax.tree.norm(grads)}
