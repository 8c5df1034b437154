"""A minimal training loop for chapters and tests (the full loop with checkpoints is ``mmjax.train``)."""

from __future__ import annotations

import functools
from typing import Callable

import jax

from mmjax.data.loader import Loader
from mmjax.seq2seq.config import Seq2SeqConfig
from mmjax.seq2seq.data import SequenceSource
from mmjax.seq2seq.train_step import init, train_step


def fit(
    config: Seq2SeqConfig,
    steps: int,
    seed: int = 0,
    log_every: int = 100,
    on_log: Callable[[int, dict], None] | None = None,
) -> tuple[dict, list[dict]]:
    """Train for ``steps`` steps; returns the final state and the logged metrics (every ``log_every``)."""
    init_key, step_key = jax.random.split(jax.random.key(seed))
    state = init(config, init_key)
    loader = Loader(SequenceSource(config, "train"), config.batch_size, seed=seed)
    step_fn = jax.jit(functools.partial(train_step, config=config), donate_argnums=0)
    history = []
    for step in range(1, steps + 1):
        state, metrics = step_fn(state, next(loader), jax.random.fold_in(step_key, step))
        if step % log_every == 0 or step == steps:
            record = {"step": step, **{k: float(v) for k, v in metrics.items()}}
            history.append(record)
            if on_log is not None:
                on_log(step, record)
    return state, history
