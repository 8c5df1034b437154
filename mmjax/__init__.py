"""mmjax: multimodal generation (GANs and Transformers) from first principles in JAX/Flax.

The library, one idea per folder (lower layers never import higher ones):

* ``mmjax.data``: the procedural Shapes world (image, caption, video and audio of one scene), the
  tokenizer, TFDS integration and a deterministic, resumable loader.
* ``mmjax.audio``: log-mel features from scratch (STFT, mel filterbank) and WAV files in and out.
* ``mmjax.nn``: Transformers from scratch (attention, position encodings, encoder and decoder blocks,
  decoding) and ``mmjax.nn.functional``, the one way mmjax calls a Flax NNX module as a pure function.
* ``mmjax.gan``: the GAN core (losses, spectral norm, the two-player step) and one package per GAN
  model (``gan2d``, ``dcgan``).
* ``mmjax.seq2seq``: the encoder-decoder Transformer on a small learnable sequence task.
* ``mmjax.captioner``: image-to-text, a patch-embedding image encoder and a Transformer decoder.
* ``mmjax.metrics``: quality, diversity, coherence and captioning metrics, and the two trained measuring
  instruments behind them (``judge``, ``contrastive``).
* ``mmjax.train``: the one training loop every model trains through (``mmjax train TASK``), its Task
  contract, train state and ``apply_gradients``, schedules, checkpoints, guards, logs, data parallelism.
* ``mmjax.eval``: ``mmjax eval``, scoring any generator or captioner against reference generators.
* ``mmjax.pretrained``: the shipped models behind ``mmjax.load_pretrained("shapes")`` and ``mmjax demo``.
* ``mmjax.utils``: small shared helpers (shipped artifacts, safe ``.npz`` files, FLOP counting, chapters).

Every trainable model is a package with the same files, so a reader who knows one can predict the next:

* ``config.py``: a frozen dataclass of hyper-parameters, a ``# comment`` per field (it is the
  ``--help`` text); no step counts: the run's length belongs to the loop;
* ``model.py``: the Flax NNX modules (keyword-only ``rngs``);
* ``step.py``: ``make_optimizer(config, num_steps)``, ``init``, the pure ``train_step``, ``evaluate``
  and ``sample``, written with ``mmjax.nn.functional`` and ``mmjax.train.state.apply_gradients``;
* ``task.py``: the ``Task`` that ``mmjax train NAME`` runs;
* ``data.py`` where the model needs its own data, ``export.py`` where it is shipped as a ``.npz``.

``mmjax/train/toy/`` is the smallest complete example.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # ``mmjax.load_pretrained`` is imported on first use, so ``import mmjax`` stays free of JAX.
    if name == "load_pretrained":
        from mmjax.pretrained import load_pretrained

        return load_pretrained
    raise AttributeError(f"module 'mmjax' has no attribute {name!r}")
