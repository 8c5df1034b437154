"""``mmjax train gan2d``: an MLP GAN (or PacGAN) on the 2-D Gaussian mixtures of the PacGAN benchmark.

* ``config.py``: :class:`Gan2dConfig`, the frozen dataclass of hyper-parameters;
* ``data.py``: the ring and grid mixtures, their fixed training sets and the mode-coverage metric;
* ``model.py``: the MLP generator (batch norm) and the maxout discriminator;
* ``step.py``: the optimisers, ``init``, the two-player train step, evaluation, samples, and the
  scanned multi-seed trainer behind ``bench/bench_mode_coverage.py``;
* ``task.py``: the :class:`~mmjax.train.task.Task` that ``mmjax train gan2d`` runs.
"""
