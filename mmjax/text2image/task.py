"""``mmjax train text2image``: a caption-conditioned GAN learns to draw Shapes scenes from their captions."""

from __future__ import annotations

from mmjax.gan import configs
from mmjax.text2image import export, step
from mmjax.text2image.config import TextToImageConfig
from mmjax.text2image.data import make_source
from mmjax.train.task import Task

TASK = Task.of(
    step,
    name="text2image",
    config_cls=TextToImageConfig,
    make_source=make_source,
    eval_keys_for=step.eval_keys,  # a TFDS data set is not scored by the Shapes judge
    export=export.export,
    best_metric="test_all_correct",
    best_mode="max",
    description="text-to-image GAN (Transformer caption encoders, projection + matching D) on Shapes captions "
    "or TFDS class names",
    tiny={**configs.TINY, "image_size": 16, "text_dim": 8, "text_layers": 1, "text_heads": 2, "text_hidden": 8},
    bench="image",
    eval_adapter="mmjax.eval.adapters.text2image",
    pretrained={
        "shapes": (
            "the Shapes world: text -> 32 x 32 image (a GAN) and image -> caption (a Transformer)",
            "mmjax.pretrained.model:load_shapes_model",
        ),
    },
)
