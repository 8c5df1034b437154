"""The judge: a small conv net that reads every attribute of a Shapes scene off an image.

It is the measuring instrument of mmjax's evaluation: coherence compares its predictions with prompt
labels, and Shapes-FID/KID/precision/recall use its penultimate features. Its files are those of every
trainable model in mmjax, plus the two an instrument needs:

* ``config.py``: hyper-parameters of the network and of its training frames;
* ``data.py``: ``JudgeFrames``, labelled training frames (stills and mid-motion video frames);
* ``model.py``: the network and the decoding of its logits into labels;
* ``step.py``: the optimiser, ``init``, the masked cross-entropy ``train_step``, ``evaluate``;
* ``task.py``: the task ``mmjax train judge`` runs;
* ``inference.py``: judging images with a trained judge (labels, features, videos);
* ``export.py``: the shipped ``judge.npz`` (``mmjax export RUN_DIR --out PATH`` writes it; ``load_judge``).
"""

from mmjax.metrics.judge.config import JudgeConfig
from mmjax.metrics.judge.export import load_judge, read_metadata
from mmjax.metrics.judge.inference import (
    TrainedJudge,
    judge_features,
    judge_labels,
    judge_labels_and_features,
    judge_videos,
)

__all__ = [
    "JudgeConfig",
    "TrainedJudge",
    "judge_features",
    "judge_labels",
    "judge_labels_and_features",
    "judge_videos",
    "load_judge",
    "read_metadata",
]
