"""The encoder's (image, caption) pairs: Shapes examples of its own seed, rendered on demand."""

from __future__ import annotations

from mmjax.data.shapes import ShapesSource
from mmjax.metrics.contrastive.config import ContrastiveConfig


def pairs(config: ContrastiveConfig, split: str = "train") -> ShapesSource:
    """``num_train_examples`` pairs of ``train`` (``num_eval_examples`` of another split), seed ``data_seed``."""
    num_examples = config.num_train_examples if split == "train" else config.num_eval_examples
    return ShapesSource(split, num_examples, ("image", "caption"), seed=config.data_seed, image_size=config.image_size)
