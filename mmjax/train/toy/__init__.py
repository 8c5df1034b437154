"""``mmjax train toy``: an MLP fits noisy ``y = sin(x . w) + 0.5 tanh(x . v)``.

Small enough to train in a second on one CPU core, yet it has everything a real model has, in the
files every trainable model in mmjax has:

* ``config.py``: the frozen dataclass of hyper-parameters, one comment per field;
* ``data.py``: a random-access source of examples, fixed by its seed;
* ``model.py``: the Flax NNX module;
* ``step.py``: the optimiser, ``init``, the pure ``train_step``, ``evaluate`` and ``sample``;
* ``task.py``: the :class:`~mmjax.train.task.Task` that ``mmjax train toy`` runs.

The loop's tests (exact resume, NaN guard, multi-device) and chapter 7 run on it.
"""
