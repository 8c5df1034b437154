"""The judge as mmjax ships it: ``judge/judge.npz`` among the package's artifacts (see ``mmjax.utils.artifacts``).

``export`` turns a trained run into that file: it measures the feature scale on training frames and the
judge's accuracy on real renders, and stores both with the weights (a safe .npz, no pickle).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import numpy as np
from flax import nnx

from mmjax.metrics.judge.config import JudgeConfig
from mmjax.metrics.judge.data import JudgeFrames
from mmjax.metrics.judge.inference import TrainedJudge, feature_rms
from mmjax.metrics.judge.model import Judge
from mmjax.metrics.judge.step import judge_report
from mmjax.nn import functional as F
from mmjax.utils import artifacts, npz_checkpoint

ARTIFACT = "judge/judge.npz"
MAKE_COMMAND = "mmjax train judge --steps 3000 --run-dir runs/judge && mmjax export runs/judge"  # --out PATH
FEATURE_SCALE_FRAMES = 4096  # training frames whose feature RMS becomes feature_scale
REPORT_EXAMPLES = 2000  # images of test and test_heldout behind the stored accuracy (and a quarter as videos)


def with_feature_scale(judge: TrainedJudge, num_frames: int = FEATURE_SCALE_FRAMES) -> TrainedJudge:
    """The judge with ``feature_scale`` set to its feature RMS on the first ``num_frames`` training frames."""
    frames = JudgeFrames(judge.config, "train", num_frames)
    images = np.stack([frames[i]["image"] for i in range(len(frames))])
    return TrainedJudge(dataclasses.replace(judge.config, feature_scale=feature_rms(judge, images)), judge.variables)


def export(state: dict, config: JudgeConfig, path: str | Path, report_examples: int = REPORT_EXAMPLES) -> None:
    """Write the trained judge of train state ``state`` to ``path`` with its feature scale and accuracy."""
    judge = with_feature_scale(TrainedJudge(config, {"params": state["params"], "state": state["state"]}))
    report = judge_report(judge, report_examples)
    npz_checkpoint.save(path, judge.config, judge.variables, extra={"accuracy": report})


def _variables_of(config: JudgeConfig) -> dict:
    return jax.eval_shape(lambda: F.split(Judge(config, rngs=nnx.Rngs(0)))[1])


def default_path() -> Path:
    """The shipped judge's path (a FileNotFoundError saying how to make it if it is missing)."""
    return artifacts.artifact_path(ARTIFACT, MAKE_COMMAND)


def read_metadata(path: str | Path | None = None) -> dict:
    """The config and the figures (``extra["accuracy"]``) stored with a judge checkpoint."""
    return npz_checkpoint.read_metadata(default_path() if path is None else path)


def load_judge(path: str | Path | None = None) -> tuple[TrainedJudge, JudgeConfig]:
    """The judge stored at ``path`` (default: the shipped one) and its config."""
    config, variables = npz_checkpoint.load(default_path() if path is None else path, JudgeConfig, _variables_of)
    return TrainedJudge(config, variables), config
