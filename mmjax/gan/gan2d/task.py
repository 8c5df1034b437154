"""``mmjax train gan2d``: GAN / PacGAN on a 2-D Gaussian mixture as a task of the shared loop."""

from __future__ import annotations

from mmjax.gan.gan2d import step
from mmjax.gan.gan2d.config import Gan2dConfig
from mmjax.gan.gan2d.data import make_source
from mmjax.train.task import Task

TASK = Task.of(
    step,
    name="gan2d",
    config_cls=Gan2dConfig,
    make_source=make_source,
    batch_size=lambda config: config.batch_size * config.pack,
    tiny={
        "g_width": 8,
        "g_depth": 1,
        "d_width": 8,
        "d_depth": 1,
        "d_pieces": 2,
        "batch_size": 8,
        "num_train_examples": 64,
    },
    eval_keys=("modes", "high_quality"),
    best_metric="modes",
    best_mode="max",
    description="GAN / PacGAN on the 2-D ring or grid of Gaussians (PacGAN Table 1)",
)
