"""``mmjax train dcgan``: a conditional DCGAN that draws 32x32 Shapes images for given scene labels.

* ``config.py``: :class:`DCGANConfig`, the frozen dataclass of hyper-parameters;
* ``data.py``: the Shapes source and the conversion of a raw batch to images and condition ids;
* ``model.py``: the sub-pixel generator and the spectrally normalised projection discriminator;
* ``step.py``: the optimisers, ``init``, the two-player train step, and images for given labels;
* ``task.py``: the :class:`~mmjax.train.task.Task` that ``mmjax train dcgan`` runs.

``mmjax eval dcgan --checkpoint RUN_DIR`` scores a trained run (``mmjax.eval.adapters.dcgan``).
"""
