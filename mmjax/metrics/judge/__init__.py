"""The judge: a small conv net that reads every attribute of a Shapes scene off an image.

It is the measuring instrument of mmjax's evaluation: coherence compares its predictions with prompt
labels, and Shapes-FID/KID/precision/recall use its penultimate features. Files follow the shape of
every trainable model: ``config.py`` (hyper-parameters), ``model.py`` (network and label decoding),
``data.py`` (labelled training frames), ``train.py`` (loss, jitted step, training run), ``checkpoint.py``
(safe .npz save/load of the shipped weights in ``data/judge/``).
"""

from mmjax.metrics.judge.checkpoint import DEFAULT_CHECKPOINT, load_judge, save_judge
from mmjax.metrics.judge.config import JudgeConfig
from mmjax.metrics.judge.model import Judge, judge_features, judge_labels

__all__ = ["DEFAULT_CHECKPOINT", "Judge", "JudgeConfig", "judge_features", "judge_labels", "load_judge", "save_judge"]
