"""``mmjax train contrastive``: the CLIP-style encoder as a task of the shared loop; ``mmjax export`` ships it."""

from __future__ import annotations

from mmjax.metrics.contrastive import export, step
from mmjax.metrics.contrastive.config import ContrastiveConfig
from mmjax.metrics.contrastive.data import pairs
from mmjax.train.task import Task

TASK = Task(
    name="contrastive",
    config_cls=ContrastiveConfig,
    make_optimizer=step.make_optimizer,
    init=step.init,
    train_step=step.train_step,
    make_source=pairs,
    batch_size=lambda config: config.batch_size,
    evaluate=step.evaluate,
    eval_keys=step.EVAL_KEYS,
    export=export.export,
    best_metric="test_r_precision",
    best_mode="max",
    description="the CLIP-style text-image encoder behind R-precision (an evaluation instrument)",
)
