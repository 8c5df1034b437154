"""``mmjax train captioner``: an image-to-text Transformer describes Shapes images in words.

A ViT-style encoder reads the image as a sequence of patches (of its brightness: each patch's colour joins
its token after the encoder, so shapes are read the same in every colour); a Transformer decoder with
cross-attention writes the caption one word at a time. The files every trainable model in mmjax has:

* ``config.py``: the frozen dataclasses of hyper-parameters (patch size, widths, depths, data, optimiser);
* ``model.py``: the image encoder-decoder, built from the pieces of :mod:`mmjax.nn`, and greedy / beam
  decoding through :func:`mmjax.nn.transformer.generate`;
* ``step.py``: the optimiser, ``init``, the teacher-forced train step, ``caption_images`` and ``evaluate``
  (captions read back into attributes on ``test`` and ``test_heldout``), and ``sample``;
* ``task.py``: the :class:`~mmjax.train.task.Task` that ``mmjax train captioner`` runs.

The data are :class:`mmjax.data.shapes.ShapesSource` examples (image, caption tokens): no ``data.py`` is needed.
"""
