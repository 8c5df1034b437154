"""Training the encoder-decoder: optimiser, init, the teacher-forced train step, exact-match evaluation, samples."""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import numpy as np
import optax
from flax import nnx

from mmjax.nn import functional as F
from mmjax.nn.attention_maps import attention_maps, plot_attention
from mmjax.nn.losses import token_loss
from mmjax.seq2seq import model as M
from mmjax.seq2seq.config import PAD_ID, Seq2SeqConfig
from mmjax.seq2seq.data import SequenceSource, token_labels
from mmjax.train.schedules import warmup_cosine
from mmjax.train.state import gradient_step, new_train_state


def make_optimizer(config: Seq2SeqConfig, num_steps: int) -> optax.GradientTransformation:
    """Clip the global gradient norm at 1, then AdamW warmed up and cosine-decayed to 1% over the run.

    The decay matters: at a constant rate the held-out accuracy keeps jumping between 95% and 100%.
    """
    schedule = warmup_cosine(config.learning_rate, num_steps, config.warmup_steps, 0.01 * config.learning_rate)
    adamw = optax.inject_hyperparams(optax.adamw)(learning_rate=schedule, weight_decay=config.weight_decay)
    return optax.chain(optax.clip_by_global_norm(1.0), adamw)


def init(config: Seq2SeqConfig, key: jax.Array, optimizer: optax.GradientTransformation) -> dict:
    """The train state: fresh Transformer variables, the optimiser's state, step 0."""
    return new_train_state(F.split(M.make_model(config, rngs=nnx.Rngs(params=key)))[1], optimizer)


def teacher_forced_step(
    graphdef: nnx.GraphDef,
    state: dict,
    batch: dict,
    key: jax.Array | None,
    optimizer: optax.GradientTransformation,
    label_smoothing: float = 0.0,
) -> tuple[dict, dict]:
    """One optimiser step of any ``EncoderDecoder`` graph on :func:`token_loss` of ``batch`` (source, target)."""

    def loss_fn(params):
        return token_loss(
            M.logits(graphdef, {**state, "params": params}, batch, key), batch["target"][:, 1:], label_smoothing
        )

    return gradient_step(state, loss_fn, optimizer)


def train_step(
    state: dict, batch: dict, key: jax.Array, config: Seq2SeqConfig, optimizer: optax.GradientTransformation
) -> tuple[dict, dict]:
    """(state, batch, key) -> (state, metrics); the loop binds ``config`` and ``optimizer`` and jits it."""
    return teacher_forced_step(M.graphdef(config), state, batch, key, optimizer, config.label_smoothing)


def exact_match(
    config: Seq2SeqConfig,
    variables: F.Variables,
    split: str = "test",
    num_examples: int | None = None,
    method: str = "greedy",
) -> dict[str, float]:
    """exact match = mean_b [decoded_b == target_b at every position]; also the per-token accuracy.

    Every sequence of ``split`` (or the first ``num_examples``) is decoded from its source alone.
    """
    source = SequenceSource(config, split)
    count = len(source) if num_examples is None else min(num_examples, len(source))
    batch = source.batch(range(count))
    decoded = np.asarray(M.predict(config, variables, batch["source"], M.decode_options(config, method)))
    expected = batch["target"][:, 1:]  # without <bos>: symbols, <eos>, padding
    real = expected != PAD_ID
    return {
        "exact_match": float(np.mean(np.all(decoded == expected, axis=1))),
        "token_accuracy": float(np.sum((decoded == expected) & real) / np.sum(real)),
    }


def evaluate(state: dict, config: Seq2SeqConfig) -> dict[str, float]:
    """Greedy-decoded exact match and token accuracy on the held-out test sequences."""
    return exact_match(config, state)


@functools.partial(jax.jit, static_argnums=0)
def cross_attention(config: Seq2SeqConfig, variables: F.Variables, batch: dict) -> jax.Array:
    """The last decoder layer's cross-attention under teacher forcing, ``[B, H, T - 1, S]``."""
    maps = attention_maps(M.graphdef(config), variables, lambda model: model(batch["source"], batch["target"][:, :-1]))
    return maps[f"decoder/blocks/{config.model.num_layers - 1}/cross_attention"]


def sample(state: dict, config: Seq2SeqConfig, key: jax.Array, out_dir) -> None:
    """A few decoded test sequences (text) and the cross-attention of the first one (figure)."""
    source = SequenceSource(config, "test")
    index = int(jax.random.randint(key, (), 0, max(len(source) - 4, 1)))
    batch = source.batch(range(index, min(index + 4, len(source))))
    decoded = np.asarray(M.predict(config, state, batch["source"]))
    lines = [f"{s.tolist()} -> {d.tolist()}" for s, d in zip(batch["source"], decoded)]
    Path(out_dir, "decoded.txt").write_text("\n".join(lines) + "\n")
    one = {k: v[:1] for k, v in batch.items()}
    weights = cross_attention(config, {"params": state["params"], "state": state["state"]}, one)
    plot_attention(
        weights[0],
        token_labels(one["target"][0, :-1]),
        token_labels(one["source"][0]),
        Path(out_dir, "cross_attention.png"),
        query_axis="decoder input",
        key_axis="source symbol",
        title=f"{config.transform}: cross-attention of the last decoder layer",
    )
