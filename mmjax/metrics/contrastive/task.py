"""``mmjax train contrastive``: the CLIP-style encoder as a task of the shared loop; ``mmjax export`` ships it."""

from __future__ import annotations

from mmjax.metrics.contrastive import export, step
from mmjax.metrics.contrastive.config import ContrastiveConfig
from mmjax.metrics.contrastive.data import pairs
from mmjax.train.task import Task

TASK = Task.of(
    step,
    name="contrastive",
    config_cls=ContrastiveConfig,
    make_source=pairs,
    export=export.export,
    best_metric="test_r_precision",
    best_mode="max",
    description="the CLIP-style text-image encoder behind R-precision (an evaluation instrument)",
    tiny={
        "image_widths": (4, 8),
        "text_width": 8,
        "num_heads": 2,
        "embed_dim": 8,
        "num_train_examples": 32,
        "num_eval_examples": 150,
        "batch_size": 8,
    },
    bench="image",
)
