"""``mmjax train toy``: the toy regression as a task of the shared loop."""

from __future__ import annotations

from mmjax.train.task import Task
from mmjax.train.toy import step
from mmjax.train.toy.config import ToyConfig
from mmjax.train.toy.data import RegressionSource

TASK = Task(
    name="toy",
    config_cls=ToyConfig,
    make_optimizer=step.make_optimizer,
    init=step.init,
    train_step=step.train_step,
    make_source=RegressionSource,
    batch_size=lambda config: config.batch_size,
    evaluate=step.evaluate,
    eval_keys=("test_mse",),
    sample=step.sample,
    best_metric="test_mse",
    best_mode="min",
    description="MLP regression on generated data (the loop's own test task)",
)
