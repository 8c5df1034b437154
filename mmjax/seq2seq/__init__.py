"""A small learnable sequence-to-sequence task for the encoder-decoder Transformer.

``config`` (what to learn and how big a model), ``data`` (a random-access source of symbol sequences
and their reversal / copy / sort), ``model`` (the Transformer from ``mmjax.nn`` used functionally),
``train_step`` (teacher-forced cross-entropy, AdamW) and ``task`` (the ``Task`` the training loop runs).
"""
