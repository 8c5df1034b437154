"""``mmjax train dcgan``: the conditional DCGAN on Shapes images as a task of the shared loop."""

from __future__ import annotations

from mmjax.gan.dcgan import step
from mmjax.gan.dcgan.config import DCGANConfig
from mmjax.gan.dcgan.data import make_source
from mmjax.train.task import Task

TASK = Task(
    name="dcgan",
    config_cls=DCGANConfig,
    make_optimizer=step.make_optimizer,
    init=step.init,
    train_step=step.train_step,
    make_source=make_source,
    batch_size=lambda config: config.batch_size,
    sample=step.sample,
    description="conditional DCGAN (projection D, spectral norm) on 32x32 Shapes images",
)
