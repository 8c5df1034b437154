"""``mmjax train seq2seq``: a small learnable sequence-to-sequence task for the encoder-decoder Transformer.

The files every trainable model in mmjax has:

* ``config.py``: what to learn (reverse / copy / sort, lengths, vocabulary) and how big a model;
* ``data.py``: a random-access source of symbol sequences and their transformation, with test
  sequences held out by hash;
* ``model.py``: the Transformer of :mod:`mmjax.nn` used functionally (teacher-forced logits, ``predict``);
* ``step.py``: the optimiser, ``init``, the teacher-forced cross-entropy train step, exact-match
  evaluation and sample figures;
* ``task.py``: the :class:`~mmjax.train.task.Task` that ``mmjax train seq2seq`` runs.

Chapters 3.3 and 3.4 walk through it; chapter 3.4 trains it through the shared loop.
"""
