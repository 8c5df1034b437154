"""The DCGAN's data: Shapes images with their scene labels, and the batch the two-player step reads."""

from __future__ import annotations

from mmjax.data.shapes import ShapesSource
from mmjax.gan.dcgan.config import DCGANConfig
from mmjax.gan.dcgan.model import condition_from_labels
from mmjax.gan.sampler import from_uint8


def make_source(config: DCGANConfig, split: str = "train") -> ShapesSource:
    """Images and labels of ``split`` (only the image modality is rendered)."""
    num = config.num_train_examples if split == "train" else None
    return ShapesSource(split, num, modalities=("image",), seed=config.data_seed, image_size=config.image_size)


def model_batch(batch: dict) -> dict:
    """A Loader batch (uint8 images, integer labels) -> {"x": images in [-1, 1], "condition": ids [B, 8]}.

    Written with jnp, so it runs inside the jitted train step on the raw batch.
    """
    return {"x": from_uint8(batch["image"]), "condition": condition_from_labels(batch)}  # x [B, H, W, 3]
