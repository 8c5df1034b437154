"""The contract between a model and the shared training loop.

Every trainable model in mmjax is a package of the same files (``config.py``, ``model.py``, ``step.py``,
``task.py``, and ``data.py`` where it needs its own data), and its ``task.py`` defines a :class:`Task`;
the loop in :mod:`mmjax.train.loop` runs any of them with the same checkpoints, logs, guards and
multi-device support. The loop owns what every run needs (the number of steps, the seed, the PRNG key
chain, the data-loader position); the task owns everything about its model.

The run's length lives only in the loop: it calls ``make_optimizer(config, num_steps)`` once with the
run's total number of steps, so learning-rate schedules always span the run (see
:mod:`mmjax.train.schedules`), and hands the optimiser to ``init`` and ``train_step``.

Rules a task must follow so that runs resume bit-exactly:

* ``init(config, key, optimizer)`` returns a pytree of ``jax.Array`` only (no Python scalars, no
  strings, no ``nnx.Module``): a train state from :mod:`mmjax.train.state` (or one per player). A task
  whose runs may start from trained weights reads them in its ``warm_start(config)`` hook, outside ``jit``
  (files are never read inside a traced function), and gets them as ``init(config, key, optimizer, warm)``.
* ``train_step(state, batch, key, config, optimizer)`` is a pure function: same inputs, same outputs.
  The loop binds ``config`` and ``optimizer`` and jits it with ``donate_argnums=0``.
* All randomness comes from ``key`` (a fresh one each step) or from the data source's seed.

Exposing a model to ``mmjax train`` (see ``mmjax/train/toy/`` for a complete example):

1. in ``<package>/task.py`` define ``TASK = Task(...)``: ``mmjax train NAME`` finds it by the package's
   folder name (:mod:`mmjax.train.registry`), and the task declares everything else mmjax derives its lists
   from: a tiny config for the tests (``tiny``), what ``python -m bench`` calls its step (``bench``), the
   adapter ``mmjax eval NAME`` scores it through (``eval_adapter``), the shipped models ``mmjax.load_pretrained``
   loads (``pretrained``);
2. keep the config a frozen dataclass (hashable: compiled steps are reused per config) whose fields
   have defaults and a ``# comment`` each (it becomes the ``--help`` text); ``steps``, ``seed``,
   ``keep``, ``progress``, ``resume`` and ``distributed`` are the loop's option names, not fields;
3. report ``grad_norm`` (``optax.tree.norm(grads)``) among the metrics, so a non-finite gradient
   is named as such by the guard and not only through the parameters it reaches.

Batches hold the numeric entries of the source's examples (strings such as captions are dropped
before the step; use token ids). ``evaluate`` returns plain floats under the names ``eval_keys``
declares; ``sample`` writes files into the ``out_dir`` it is given (``RUN_DIR/samples/step_NNNNNNN``). In a
multi-host run every process calls ``evaluate`` and ``sample`` (their jitted calls span all devices); only
process 0 logs the metrics and keeps the sample files.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

BENCH_KINDS = ("image", "transformer", "MLP")  # what a train step is made of, for the bench's targets
_STEP_FUNCTIONS = ("make_optimizer", "init", "train_step", "evaluate", "sample", "warm_start")


def config_batch_size(config) -> int:
    """The global batch size of a config with a ``batch_size`` field."""
    return config.batch_size


@dataclasses.dataclass(frozen=True)
class Task:
    name: str  # e.g. "gan2d", "dcgan", "seq2seq"; what ``mmjax train NAME`` calls it
    config_cls: type  # dataclass with defaults; the CLI applies dotted overrides to it
    make_optimizer: Callable  # (config, num_steps) -> the optimiser (an optax.GradientTransformation,
    #   or a dict of them, one per player); num_steps is the run's length, so schedules span the run
    init: Callable  # (config, key, optimizer) -> state: a pytree of jax arrays only (params,
    #   optimiser states of every player, step counters), checkpointable by orbax
    train_step: Callable  # (state, batch, key, config, optimizer) -> (state, metrics: dict[str,
    #   scalar]); pure; the loop binds config and optimizer and jits it with donate_argnums=0; batch
    #   is a dict of arrays (numeric entries of the source's examples, stacked)
    make_source: Callable  # (config, split) -> a random-access source for the Loader
    batch_size: Callable  # (config) -> int: the global batch size (all devices together)
    evaluate: Callable | None = None  # (state, config) -> dict[str, float], every eval_every steps
    eval_keys: tuple[str, ...] = ()  # the names ``evaluate`` returns, exactly (checked by the loop)
    eval_keys_for: Callable | None = None  # (config) -> the names ``evaluate`` returns for this config,
    #   for a task whose metrics depend on it (e.g. on the data set); eval_keys are the default config's
    sample: Callable | None = None  # (state, config, key, out_dir) -> None: writes sample figures
    export: Callable | None = None  # (state, config, path) -> None: writes the trained model as the
    #   safe .npz that mmjax ships and loads (``mmjax export RUN_DIR --out PATH``)
    best_metric: str | None = None  # an ``evaluate`` key; the checkpoint with its best value is
    #   kept besides the last N (optional; "best" means lowest unless best_mode is "max")
    best_mode: str = "min"  # "min" or "max": which direction of best_metric is better
    description: str = ""  # one line shown by ``mmjax train --help``
    warm_start: Callable | None = None  # (config) -> what a fresh run of config starts from (trained weights read
    #   from files: arrays, or None for a fresh start), read before anything is compiled and handed to
    #   ``init(config, key, optimizer, warm)``; None: the task's runs always start fresh
    tiny: dict = dataclasses.field(default_factory=dict, hash=False, compare=False)  # config overrides of a tiny
    #   version that compiles and runs in seconds (the tests train it, stop it and resume it)
    bench: str = "MLP"  # the kind of train step ``python -m bench`` reports it under: "image", "transformer", "MLP"
    eval_adapter: str | None = None  # the module ``mmjax eval NAME`` scores the model through (``KIND`` and
    #   ``load(checkpoint)``, see :mod:`mmjax.eval.generators`); None: mmjax eval does not know it
    pretrained: dict = dataclasses.field(default_factory=dict, hash=False, compare=False)  # the shipped models
    #   it makes: {name: (what it is, "module:function" that loads it)}, for ``mmjax.load_pretrained(name)``

    def __post_init__(self):
        if not dataclasses.is_dataclass(self.config_cls):
            raise TypeError(f"Task {self.name!r}: config_cls must be a dataclass, got {self.config_cls!r}")
        if self.evaluate is not None and not self.eval_keys:
            raise ValueError(f"Task {self.name!r}: name the metrics evaluate returns in eval_keys")
        if self.best_metric is not None and self.best_metric not in self.eval_keys:
            raise ValueError(f"Task {self.name!r}: best_metric {self.best_metric!r} is not one of eval_keys")
        if self.best_mode not in ("min", "max"):
            raise ValueError(f"Task {self.name!r}: best_mode must be 'min' or 'max', got {self.best_mode!r}")
        if self.bench not in BENCH_KINDS:
            raise ValueError(f"Task {self.name!r}: bench must be one of {BENCH_KINDS}, got {self.bench!r}")
        for field in ("make_optimizer", "init", "train_step", "make_source", "batch_size"):
            if not callable(getattr(self, field)):
                raise TypeError(f"Task {self.name!r}: {field} must be callable")

    @classmethod
    def of(cls, step, **fields) -> Task:
        """A task whose ``make_optimizer``, ``init``, ``train_step`` (and ``evaluate``, ``EVAL_KEYS``, ``sample``,
        ``warm_start`` where it defines them) are those of the module ``step``, its batch size
        ``config.batch_size``; ``fields`` name the rest (and override any of these)."""
        found = {name: getattr(step, name) for name in _STEP_FUNCTIONS if hasattr(step, name)}
        if hasattr(step, "EVAL_KEYS"):
            found["eval_keys"] = tuple(step.EVAL_KEYS)
        return cls(**{**found, "batch_size": config_batch_size, **fields})

    def bound_train_step(self, config, num_steps: int) -> Callable:
        """``(state, batch, key) -> (state, metrics)`` with ``config`` and the run's optimiser bound."""
        return functools.partial(self.train_step, config=config, optimizer=self.make_optimizer(config, num_steps))

    def start_from(self, config):
        """What a fresh run of ``config`` starts from (the ``warm_start`` hook, called outside any ``jit``)."""
        return None if self.warm_start is None else self.warm_start(config)

    def init_state(self, config, key, num_steps: int, warm=None):
        """The state before the first step of a run of ``num_steps`` steps (``warm``: :meth:`start_from`'s)."""
        optimizer = self.make_optimizer(config, num_steps)
        if self.warm_start is None:
            return self.init(config, key, optimizer)
        return self.init(config, key, optimizer, warm)

    def default_config(self) -> Any:
        """The task's config with every field at its default."""
        return self.config_cls()

    def expected_eval_keys(self, config=None) -> tuple[str, ...]:
        """The names ``evaluate`` must return for ``config`` (``eval_keys`` unless ``eval_keys_for`` says else)."""
        if config is None or self.eval_keys_for is None:
            return self.eval_keys
        return tuple(self.eval_keys_for(config))

    def check_eval_metrics(self, metrics: dict, config=None) -> dict[str, float]:
        """``evaluate``'s output as floats; a ValueError if its names differ from those expected for ``config``."""
        keys = self.expected_eval_keys(config)
        if set(metrics) != set(keys):
            raise ValueError(
                f"Task {self.name!r}: evaluate returned {sorted(metrics)}, but eval_keys declares {sorted(keys)}"
            )
        return {k: float(metrics[k]) for k in keys}
