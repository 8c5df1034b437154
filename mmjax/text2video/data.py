"""The text-to-video GAN's data: Shapes clips with their video captions ("... moving to the right")."""

from __future__ import annotations

import functools

import jax.numpy as jnp

from mmjax.data.shapes import ShapesSource
from mmjax.gan.sampler import Prompts, caption_prompts, from_uint8
from mmjax.text2video.config import TextToVideoConfig


def make_source(config: TextToVideoConfig, split: str = "train") -> ShapesSource:
    """(clip, video caption) pairs: ``num_train_examples`` of train, ``num_eval_examples`` of another split."""
    num_examples = config.num_train_examples if split == "train" else config.num_eval_examples
    return ShapesSource(
        split,
        num_examples,
        ("video",),
        seed=config.data_seed,
        image_size=config.image_size,
        num_frames=config.num_frames,
    )


def model_batch(batch: dict) -> dict:
    """A Loader batch -> {"x": clips in [-1, 1] ``[B, T, H, W, 3]``, "tokens": video caption ids ``[B, L]``}.

    Only pixels and token ids pass: the labels that also ride in a Shapes batch never reach the model.
    """
    return {"x": from_uint8(batch["video"]), "tokens": jnp.asarray(batch["video_tokens"], jnp.int32)}


@functools.cache
def prompts(config: TextToVideoConfig, split: str, count: int) -> Prompts:
    """The video captions of examples 0..count-1 of ``split``, their token ids ``[count, MAX_TOKENS]`` and what
    they state (``caption_targets``: what every frame must show, and the motion)."""
    return caption_prompts(config.data_seed, split, count, "video")
