"""``mmjax train judge``: the judge network as a task of the shared loop; ``mmjax export`` ships it."""

from __future__ import annotations

from mmjax.metrics.judge import export, step
from mmjax.metrics.judge.config import JudgeConfig
from mmjax.metrics.judge.data import JudgeFrames
from mmjax.train.task import Task

TASK = Task.of(
    step,
    name="judge",
    config_cls=JudgeConfig,
    make_source=JudgeFrames,
    export=export.export,
    best_metric="test_all_correct",
    best_mode="max",
    description="the judge network that reads every attribute of a Shapes image (the metrics' instrument)",
    tiny={"widths": (4, 8), "feature_dim": 8, "num_train_examples": 32, "num_eval_examples": 16, "batch_size": 8},
    bench="image",
)
