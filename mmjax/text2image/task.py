"""``mmjax train text2image``: a caption-conditioned GAN learns to draw Shapes scenes from their captions."""

from __future__ import annotations

from mmjax.text2image import export, step
from mmjax.text2image.config import TextToImageConfig
from mmjax.text2image.data import make_source
from mmjax.train.task import Task

TASK = Task(
    name="text2image",
    config_cls=TextToImageConfig,
    make_optimizer=step.make_optimizer,
    init=step.init,
    train_step=step.train_step,
    make_source=make_source,
    batch_size=lambda config: config.batch_size,
    evaluate=step.evaluate,
    eval_keys=step.EVAL_KEYS,
    eval_keys_for=step.eval_keys,  # a TFDS data set is not scored by the Shapes judge
    sample=step.sample,
    export=export.export,
    best_metric="test_all_correct",
    best_mode="max",
    description="text-to-image GAN (Transformer caption encoders, projection + matching D) on Shapes captions "
    "or TFDS class names",
)
