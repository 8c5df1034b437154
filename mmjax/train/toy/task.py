"""``mmjax train toy``: the toy regression as a task of the shared loop."""

from __future__ import annotations

from mmjax.train.task import Task
from mmjax.train.toy import step
from mmjax.train.toy.config import ToyConfig
from mmjax.train.toy.data import RegressionSource

TASK = Task.of(
    step,
    name="toy",
    config_cls=ToyConfig,
    make_source=RegressionSource,
    eval_keys=("test_mse",),
    best_metric="test_mse",
    best_mode="min",
    description="MLP regression on generated data (the loop's own test task)",
    tiny={"num_train_examples": 40, "batch_size": 8},
)
