"""A small judge trained without the held-out colour x shape pairs: the short run that chapters 8.3 and 9.4's
exercises ask for (a reader writes it in the chapter; the solutions share this one copy).

The harness of tests/test_chapters.py puts this folder on PYTHONPATH when it runs a chapter with its solutions.
"""

import jax
import numpy as np

from mmjax.metrics.judge import step as judge_step
from mmjax.metrics.judge.config import JudgeConfig
from mmjax.metrics.judge.data import JudgeFrames
from mmjax.metrics.judge.inference import TrainedJudge

CONFIG = JudgeConfig(
    widths=(16, 32, 32, 64),
    feature_dim=64,
    num_train_examples=2000,
    video_fraction=0.0,
    heldout_pairs_in_training=False,
    learning_rate=6e-3,
)


def small_judge_reports(steps: int, report_at: tuple[int, ...], examples: int = 200) -> dict[int, dict]:
    """Train :data:`CONFIG` for ``steps`` (batches of 64 drawn from 2000 frames held in memory, the step size
    scheduled over ``steps``) and return ``{step: judge_report}`` for every step of ``report_at``."""
    frames = [JudgeFrames(CONFIG, "train")[i] for i in range(CONFIG.num_train_examples)]
    data = {k: np.stack([frame[k] for frame in frames]) for k in frames[0]}
    optimizer = judge_step.make_optimizer(CONFIG, steps)
    state = judge_step.init(CONFIG, jax.random.key(0), optimizer)
    train = jax.jit(lambda state, batch: judge_step.train_step(state, batch, None, CONFIG, optimizer))
    rng, reports = np.random.default_rng(0), {}
    for step in range(1, steps + 1):
        rows = rng.integers(0, CONFIG.num_train_examples, 64)
        state, _ = train(state, {k: v[rows] for k, v in data.items()})
        if step in report_at:
            reader = TrainedJudge(CONFIG, {"params": state["params"], "state": state["state"]})
            reports[step] = judge_step.judge_report(reader, examples, num_videos=0)
    return reports
