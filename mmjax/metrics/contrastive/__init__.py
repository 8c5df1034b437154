"""A small CLIP-style text-image encoder, trained from scratch, used for R-precision.

Its files are those of every trainable model in mmjax, plus the two an instrument needs:

* ``config.py``: hyper-parameters of the two towers and of the training pairs;
* ``data.py``: the (image, caption) pairs, a ``ShapesSource`` of the encoder's own seed;
* ``model.py``: the image and text towers;
* ``step.py``: the optimiser, ``init``, the symmetric InfoNCE ``train_step``, ``evaluate`` (R-precision);
* ``task.py``: the task ``mmjax train contrastive`` runs;
* ``inference.py``: embedding images and captions with a trained encoder;
* ``export.py``: the shipped ``contrastive.npz`` (``mmjax export RUN_DIR --out PATH``; ``load_encoder``).
"""

from mmjax.metrics.contrastive.config import ContrastiveConfig
from mmjax.metrics.contrastive.export import load_encoder, read_metadata
from mmjax.metrics.contrastive.inference import TrainedEncoder, embed_images, embed_texts

__all__ = ["ContrastiveConfig", "TrainedEncoder", "embed_images", "embed_texts", "load_encoder", "read_metadata"]
