"""``mmjax train text2video``: a caption-conditioned video GAN learns to animate Shapes scenes from captions."""

from __future__ import annotations

from mmjax.gan import configs
from mmjax.text2video import export, step
from mmjax.text2video.config import TextToVideoConfig
from mmjax.text2video.data import make_source
from mmjax.train.task import Task

TASK = Task.of(
    step,
    name="text2video",
    config_cls=TextToVideoConfig,
    make_source=make_source,
    export=export.export,
    best_metric="test_all_correct",
    best_mode="max",
    description="text-to-video GAN (MoCoGAN-style content + motion codes, frame and clip discriminators) on "
    "Shapes video captions",
    tiny={
        **configs.TINY,
        "image_size": 16,
        "num_frames": 4,
        "text_dim": 8,
        "text_layers": 1,
        "text_heads": 2,
        "text_hidden": 8,
        "motion_hidden": 8,
        "clip_hidden": 8,
        "frames_from": "",  # the shipped text-to-image GAN has other sizes
    },
    bench="image",
    eval_adapter="mmjax.eval.adapters.text2video",
    pretrained={
        "shapes-video": (
            "the Shapes world in motion: text -> a clip of 32 x 32 frames (a video GAN; video.py)",
            "mmjax.pretrained.video:load_video_model",
        ),
    },
)
