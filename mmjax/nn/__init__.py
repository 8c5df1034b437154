"""Transformers from scratch: attention, position encodings, encoder/decoder blocks, models, decoding.

Each file holds one idea, with its equation right above the few lines of ``jax.numpy`` that implement it:

* ``attention``: scaled dot-product attention, masks and multi-head attention (with a key/value cache).
* ``position``: sinusoidal and learned position encodings.
* ``layers``: layer normalisation, dropout and the position-wise MLP.
* ``encoder`` / ``decoder``: pre-LayerNorm blocks and their stacks.
* ``transformer``: the encoder-decoder and the decoder-only models.
* ``patch_embed``: an image as a sequence of patch tokens (ViT).
* ``decoding``: greedy, beam search and sampling (temperature, top-k, top-p) under ``lax.while_loop``.
* ``attention_maps``: the attention weights of every layer in one forward pass, and their heat maps.
* ``functional``: the one way modules are used as pure functions, ``split`` / ``merge`` / ``call``
  (a static graph plus string-keyed variables); ``generate`` and ``attention_maps`` take those variables.

``mmjax.seq2seq`` trains the encoder-decoder on a small task; chapters 3 and 4 walk through it all.
"""
