"""The contract between a model and the shared training loop.

A model issue (GAN, Transformer, ...) provides a :class:`Task`; the loop in :mod:`mmjax.train.loop`
runs any of them with the same checkpoints, logs, guards and multi-device support. The loop owns the
things every run needs (the step count, the seed, the PRNG key chain, the data-loader position); the
task owns everything about its model.

Rules a task must follow so that runs resume bit-exactly:

* ``init(config, key)`` returns a pytree of ``jax.Array`` only (no Python scalars, no strings, no
  ``nnx.Module``): params, every optimiser state, counters. Orbax checkpoints it as is.
* ``train_step(state, batch, key)`` is a pure function: same inputs, same outputs. It is jitted by
  the loop with ``donate_argnums=0``, so it must not keep references to ``state``.
* All randomness comes from ``key`` (a fresh one each step) or from the data source's seed.

A step usually depends on the config (learning rate, model structure). If ``train_step`` has a
parameter named ``config``, the loop binds it, ``functools.partial(train_step, config=config)``,
before jitting, so the config is a compile-time constant: write
``def train_step(state, batch, key, config): ...``. A step without that parameter is used as is.

Exposing a model to ``mmjax train`` (see ``mmjax/train/toy.py`` for a complete example):

1. in ``mmjax/<area>/task.py`` define ``TASK = Task(...)``, or ``TASKS = {"a": Task(...), ...}``
   when one module has several tasks;
2. add ``"name": "mmjax.<area>.task"`` to ``mmjax.train.registry.TASK_MODULES``;
3. keep the config a frozen dataclass (hashable: compiled steps are reused per config) whose fields
   have defaults and a ``# comment`` each (it becomes the ``--help`` text); ``steps``, ``seed``,
   ``keep``, ``progress``, ``resume`` and ``distributed`` are the loop's option names, not fields;
4. report ``grad_norm`` (``optax.tree.norm(grads)``) among the metrics, so a non-finite gradient
   is named as such by the guard and not only through the parameters it reaches.

Batches hold the numeric entries of the source's examples (strings such as captions are dropped
before the step; use token ids). ``evaluate`` returns plain floats; ``sample`` writes files into
the ``out_dir`` it is given (``RUN_DIR/samples/step_NNNNNNN``).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from typing import Any, Callable


@dataclasses.dataclass(frozen=True)
class Task:
    name: str  # e.g. "gan2d", "dcgan", "seq2seq"; what ``mmjax train NAME`` calls it
    config_cls: type  # dataclass with defaults; the CLI applies dotted overrides to it
    init: Callable  # (config, key) -> state: a pytree of jax arrays only (params, optimiser
    #   states of every player, step counter), checkpointable by orbax
    train_step: Callable  # (state, batch, key) -> (state, metrics: dict[str, scalar]); pure,
    #   jitted by the loop with donate_argnums=0; batch is a dict of arrays (numeric entries of
    #   the source's examples, stacked); may take a `config` keyword, bound by the loop
    make_source: Callable  # (config, split) -> a random-access source for the Loader
    batch_size: Callable  # (config) -> int: the global batch size (all devices together)
    evaluate: Callable | None = None  # (state, config) -> dict[str, float], every eval_every steps
    sample: Callable | None = None  # (state, config, key, out_dir) -> None: writes sample figures
    best_metric: str | None = None  # an ``evaluate`` key; the checkpoint with its best value is
    #   kept besides the last N (optional; "best" means lowest unless best_mode is "max")
    best_mode: str = "min"  # "min" or "max": which direction of best_metric is better
    description: str = ""  # one line shown by ``mmjax train --help``

    def __post_init__(self):
        if not dataclasses.is_dataclass(self.config_cls):
            raise TypeError(f"Task {self.name!r}: config_cls must be a dataclass, got {self.config_cls!r}")
        if self.best_mode not in ("min", "max"):
            raise ValueError(f"Task {self.name!r}: best_mode must be 'min' or 'max', got {self.best_mode!r}")
        for field in ("init", "train_step", "make_source", "batch_size"):
            if not callable(getattr(self, field)):
                raise TypeError(f"Task {self.name!r}: {field} must be callable")

    def bound_train_step(self, config) -> Callable:
        """``(state, batch, key) -> (state, metrics)`` with ``config`` bound if the step takes it."""
        return bind_config(self.train_step, config)

    def default_config(self) -> Any:
        """The task's config with every field at its default."""
        return self.config_cls()


def bind_config(train_step: Callable, config) -> Callable:
    """``functools.partial(train_step, config=config)`` if the step has a ``config`` parameter."""
    if "config" in inspect.signature(train_step).parameters:
        return functools.partial(train_step, config=config)
    return train_step
