"""``mmjax train text2image``: a GAN that draws 32x32 Shapes images from their captions.

* ``config.py``: :class:`TextToImageConfig`, the frozen dataclass of hyper-parameters;
* ``data.py``: the Shapes (image, caption) source and the batch the step reads (pixels and token ids only);
* ``model.py``: the caption encoder, the sub-pixel generator, the projection + matching discriminator;
* ``step.py``: the optimisers, ``init``, the two-player step, generation, evaluation with the judge, samples;
* ``task.py``: the :class:`~mmjax.train.task.Task` that ``mmjax train text2image`` runs.
"""
