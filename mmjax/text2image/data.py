"""The text-to-image GAN's data: Shapes images with their captions (paraphrases drawn per example), or the
images of a TFDS classification data set with "a <class>" as captions (``mmjax.data.class_captions``)."""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from mmjax.data.cells import cell_targets, picture_order
from mmjax.data.class_captions import ClassCaptionSource, class_captions
from mmjax.data.shapes import ShapesSource
from mmjax.gan.sampler import Prompts, caption_prompts, from_uint8
from mmjax.text2image.config import TextToImageConfig


def make_source(config: TextToImageConfig, split: str = "train") -> ShapesSource | ClassCaptionSource:
    """(image, caption tokens) pairs: ``num_train_examples`` of train, ``num_eval_examples`` of another split.

    A TFDS data set gives its first examples of the split, as many as it has up to that number.
    """
    num_examples = config.num_train_examples if split == "train" else config.num_eval_examples
    if config.dataset != "shapes":
        return ClassCaptionSource(config.dataset, split, num_examples, config.tfds_data_dir)
    partial = config.partial_captions if split == "train" else 0.0  # evaluation prompts state every attribute
    return ShapesSource(
        split, num_examples, ("image", "caption"), seed=config.data_seed, image_size=config.image_size, partial=partial
    )


def model_batch(batch: dict) -> dict:
    """A Loader batch -> {"x": images in [-1, 1] ``[B, H, W, 3]``, "tokens": caption ids ``[B, T]``, ...}.

    A Shapes batch also gives its scenes: ``scene`` (the objects in the picture's order and their layout,
    :func:`mmjax.data.cells.picture_order`) and ``cells`` (:func:`mmjax.data.cells.cell_targets`). Only a
    model with ``slots`` reads them (G's reading, D's per-cell heads); the pooled model sees pixels and ids alone.
    """
    out = {"x": from_uint8(batch["image"]), "tokens": jnp.asarray(batch["tokens"], jnp.int32)}
    if "row" in batch:  # a Shapes batch carries its scenes' labels; a TFDS one does not
        out["scene"], out["cells"] = picture_order(batch), cell_targets(batch)
    return out


@functools.cache
def prompts(config: TextToImageConfig, split: str, count: int) -> Prompts:
    """The captions of examples 0..count-1 of ``split``, their token ids ``[count, MAX_TOKENS]`` and what they
    state (``caption_targets``, what the judge must read).

    For a TFDS data set, prompt i is the caption of class i mod K (the split does not matter), its target i mod K.
    """
    if config.dataset != "shapes":
        classes = class_captions(config.dataset)
        captions = [classes[i % len(classes)] for i in range(count)]
        return Prompts(captions, config.tokenizer().encode_batch(captions), np.arange(count) % len(classes))
    return caption_prompts(config.data_seed, split, count)
