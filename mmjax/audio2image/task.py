"""``mmjax train audio2image``: a sound-conditioned GAN learns to draw the Shapes scene a clip describes."""

from __future__ import annotations

from mmjax.audio2image import export, step
from mmjax.audio2image.config import AudioToImageConfig
from mmjax.audio2image.data import make_source
from mmjax.gan import configs
from mmjax.train.task import Task

TASK = Task.of(
    step,
    name="audio2image",
    config_cls=AudioToImageConfig,
    make_source=make_source,
    export=export.export,
    best_metric="test_all_correct",
    best_mode="max",
    description="audio-to-image GAN (Transformer encoders over log-mel frames, projection + matching D with a "
    "per-cell attribute classifier) on Shapes sounds",
    tiny={**configs.TINY, "audio_dim": 8, "audio_layers": 1, "audio_heads": 2, "audio_hidden": 8},
    bench="image",
    eval_adapter="mmjax.eval.adapters.audio2image",
    pretrained={
        "shapes-audio": (
            "the Shapes world's sounds: a WAV clip -> the 32 x 32 image it describes (a GAN)",
            "mmjax.pretrained.audio:load_audio_model",
        ),
    },
)
