"""``mmjax train audio2image``: a sound-conditioned GAN learns to draw the Shapes scene a clip describes."""

from __future__ import annotations

from mmjax.audio2image import export, step
from mmjax.audio2image.config import AudioToImageConfig
from mmjax.audio2image.data import make_source
from mmjax.train.task import Task

TASK = Task(
    name="audio2image",
    config_cls=AudioToImageConfig,
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
    description="audio-to-image GAN (Transformer encoders over log-mel frames, projection + matching D with a "
    "per-cell attribute classifier) on Shapes sounds",
)
