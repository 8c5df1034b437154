"""A small CLIP-style text-image encoder, trained from scratch, used for R-precision.

Files follow the shape of every trainable model: ``config.py``, ``model.py`` (image and text towers),
``train.py`` (symmetric InfoNCE loss, jitted step, training run and shipped checkpoint).
"""

from mmjax.metrics.contrastive.config import ContrastiveConfig
from mmjax.metrics.contrastive.model import ContrastiveEncoder, embed_images, embed_texts

__all__ = ["ContrastiveConfig", "ContrastiveEncoder", "embed_images", "embed_texts"]
