"""``mmjax train judge``: the judge network as a task of the shared loop; ``mmjax export`` ships it."""

from __future__ import annotations

from mmjax.metrics.judge import export, step
from mmjax.metrics.judge.config import JudgeConfig
from mmjax.metrics.judge.data import JudgeFrames
from mmjax.train.task import Task

TASK = Task(
    name="judge",
    config_cls=JudgeConfig,
    make_optimizer=step.make_optimizer,
    init=step.init,
    train_step=step.train_step,
    make_source=JudgeFrames,
    batch_size=lambda config: config.batch_size,
    evaluate=step.evaluate,
    eval_keys=step.EVAL_KEYS,
    export=export.export,
    best_metric="test_all_correct",
    best_mode="max",
    description="the judge network that reads every attribute of a Shapes image (the metrics' instrument)",
)
