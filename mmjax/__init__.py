"""mmjax: multimodal generation (GANs and Transformers) from first principles in JAX/Flax.

The package is organised by idea:

* ``mmjax.data``: the procedural Shapes world (image, caption, video, audio from one scene),
  the tokenizer, TFDS integration and a deterministic, resumable loader.
"""

__version__ = "0.1.0"
