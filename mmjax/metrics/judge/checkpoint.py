"""The judge's shipped checkpoint: ``data/judge/judge.npz`` (safe .npz, see ``mmjax.metrics.npz_checkpoint``)."""

from __future__ import annotations

from pathlib import Path

from mmjax.metrics import npz_checkpoint
from mmjax.metrics.judge.config import JudgeConfig
from mmjax.metrics.judge.model import Judge

DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[3] / "data" / "judge" / "judge.npz"
TRAIN_COMMAND = "python -m mmjax.metrics.judge.train"


def save_judge(model: Judge, config: JudgeConfig, path: str | Path, extra: dict | None = None) -> None:
    """Write weights, config and optional JSON-able ``extra`` facts (e.g. accuracies) to ``path``."""
    npz_checkpoint.save_module(model, config, path, extra)


def read_metadata(path: str | Path = DEFAULT_CHECKPOINT) -> dict:
    return npz_checkpoint.read_metadata(path)


def load_judge(path: str | Path = DEFAULT_CHECKPOINT) -> tuple[Judge, JudgeConfig]:
    """Rebuild the judge from a checkpoint written by ``save_judge``."""
    return npz_checkpoint.load_module(Judge, JudgeConfig, path, TRAIN_COMMAND)
