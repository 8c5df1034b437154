"""``mmjax train captioner``: a patch encoder and a Transformer decoder learn to caption Shapes images."""

from __future__ import annotations

from mmjax.captioner import export, step
from mmjax.captioner.config import CaptionerConfig
from mmjax.train.task import Task

TASK = Task(
    name="captioner",
    config_cls=CaptionerConfig,
    make_optimizer=step.make_optimizer,
    init=step.init,
    train_step=step.train_step,
    make_source=step.make_source,
    batch_size=lambda config: config.batch_size,
    evaluate=step.evaluate,
    eval_keys=step.EVAL_KEYS,
    sample=step.sample,
    export=export.export,
    best_metric="test_heldout_all_correct",
    best_mode="max",
    description="image-to-text Transformer (patch encoder, cross-attention decoder) captions Shapes images",
)
