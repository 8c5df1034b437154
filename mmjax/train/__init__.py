"""Training that people can trust: one small loop shared by every model in mmjax.

* ``task``: the :class:`Task` contract a model implements (optimiser factory, init, train_step, data, hooks).
* ``state``: the train state every model uses and ``apply_gradients``, the one place gradients are applied.
* ``schedules``: learning-rate schedules that span the run (the loop hands each task the run's length).
* ``registry``: task names -> modules, so ``mmjax train NAME`` finds them.
* ``config``: dataclass configs and dotted command-line overrides (``--model.width 64``).
* ``loop``: the loop itself: jit-compiled donated step, hooks, checkpoints, logs, progress.
* ``checkpoint``: orbax ``CheckpointManager`` wrapper; exact resume, partial saves ignored.
* ``restore``: a run folder read back for evaluation or export (task, config, state).
* ``guards``: stop on a non-finite loss or parameter, naming the step and the tree path.
* ``metrics_log`` / ``plot``: JSONL metrics and their curves.
* ``parallel``: data parallelism over a ``jax.sharding`` mesh (batch on ``data``, state replicated).
* ``compile_cache``: the persistent XLA compilation cache.
* ``cli`` / ``export_cli``: ``mmjax train``, ``mmjax plot`` and ``mmjax export``.
* ``toy/``: a tiny regression model, the smallest complete model package, so all of the above is
  testable without a real model.
"""
