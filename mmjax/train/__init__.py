"""Training that people can trust: one small loop shared by every model in mmjax.

* ``task``: the :class:`Task` contract a model implements (init, train_step, data, hooks).
* ``registry``: task names -> modules, so ``mmjax train NAME`` finds them.
* ``config``: dataclass configs and dotted command-line overrides (``--model.width 64``).
* ``loop``: the loop itself: jit-compiled donated step, hooks, checkpoints, logs, progress.
* ``checkpoint``: orbax ``CheckpointManager`` wrapper; exact resume, partial saves ignored.
* ``guards``: stop on a non-finite loss or parameter, naming the step and the tree path.
* ``metrics_log`` / ``plot``: JSONL metrics and their curves.
* ``parallel``: data parallelism over a ``jax.sharding`` mesh (batch on ``data``, state replicated).
* ``compile_cache``: the persistent XLA compilation cache.
* ``toy``: a tiny regression task so all of the above is testable without a real model.
"""
