"""``mmjax train gan2d``: GAN / PacGAN on a 2-D Gaussian mixture as a task of the shared loop."""

from __future__ import annotations

from mmjax.gan.gan2d import step
from mmjax.gan.gan2d.config import Gan2dConfig
from mmjax.gan.gan2d.data import make_source
from mmjax.train.task import Task

TASK = Task(
    name="gan2d",
    config_cls=Gan2dConfig,
    make_optimizer=step.make_optimizer,
    init=step.init,
    train_step=step.train_step,
    make_source=make_source,
    batch_size=lambda config: config.batch_size * config.pack,
    evaluate=step.evaluate,
    eval_keys=("modes", "high_quality"),
    sample=step.sample,
    best_metric="modes",
    best_mode="max",
    description="GAN / PacGAN on the 2-D ring or grid of Gaussians (PacGAN Table 1)",
)
