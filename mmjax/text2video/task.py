"""``mmjax train text2video``: a caption-conditioned video GAN learns to animate Shapes scenes from captions."""

from __future__ import annotations

from mmjax.text2video import export, step
from mmjax.text2video.config import TextToVideoConfig
from mmjax.text2video.data import make_source
from mmjax.train.task import Task

TASK = Task(
    name="text2video",
    config_cls=TextToVideoConfig,
    make_optimizer=step.make_optimizer,
    init=step.init,
    train_step=step.train_step,
    make_source=make_source,
    batch_size=lambda config: config.batch_size,
    evaluate=step.evaluate,
    eval_keys=step.EVAL_KEYS,
    sample=step.sample,
    export=export.export,
    best_metric="test_all_correct",
    best_mode="max",
    description="text-to-video GAN (MoCoGAN-style content + motion codes, frame and clip discriminators) on "
    "Shapes video captions",
)
