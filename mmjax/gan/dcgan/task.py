"""``mmjax train dcgan``: the conditional DCGAN on Shapes images as a task of the shared loop."""

from __future__ import annotations

from mmjax.gan.dcgan import step
from mmjax.gan.dcgan.config import DCGANConfig
from mmjax.gan.dcgan.data import make_source
from mmjax.train.task import Task

TASK = Task.of(
    step,
    name="dcgan",
    config_cls=DCGANConfig,
    make_source=make_source,
    description="conditional DCGAN (projection D, spectral norm) on 32x32 Shapes images",
    tiny={"image_size": 16, "width": 2, "latent_dim": 4, "embed_dim": 4, "batch_size": 2, "num_train_examples": 8},
    bench="image",
    eval_adapter="mmjax.eval.adapters.dcgan",
)
