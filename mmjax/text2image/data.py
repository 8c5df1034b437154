"""The text-to-image GAN's data: Shapes images with their captions (paraphrases drawn per example), or the
images of a TFDS classification data set with "a <class>" as captions (``mmjax.data.class_captions``)."""

from __future__ import annotations

import jax.numpy as jnp

from mmjax.data.class_captions import ClassCaptionSource
from mmjax.data.shapes import ShapesSource
from mmjax.text2image.config import TextToImageConfig


def make_source(config: TextToImageConfig, split: str = "train") -> ShapesSource | ClassCaptionSource:
    """(image, caption tokens) pairs: ``num_train_examples`` of train, ``num_eval_examples`` of another split.

    A TFDS data set gives its first examples of the split, as many as it has up to that number.
    """
    num_examples = config.num_train_examples if split == "train" else config.num_eval_examples
    if config.dataset != "shapes":
        return ClassCaptionSource(config.dataset, split, num_examples, config.tfds_data_dir)
    return ShapesSource(split, num_examples, ("image", "caption"), seed=config.data_seed, image_size=config.image_size)


def model_batch(batch: dict) -> dict:
    """A Loader batch -> {"x": images in [-1, 1] ``[B, H, W, 3]``, "tokens": caption ids ``[B, T]``}.

    Only pixels and token ids pass: the labels that also ride in a Shapes batch never reach the model.
    """
    images = jnp.asarray(batch["image"]).astype(jnp.float32) / 127.5 - 1.0
    return {"x": images, "tokens": jnp.asarray(batch["tokens"], jnp.int32)}
