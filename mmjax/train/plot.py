"""Loss and metric curves of a run, from its ``metrics.jsonl`` (``mmjax plot RUN_DIR``)."""

from __future__ import annotations

import math
from pathlib import Path

from mmjax.train.metrics_log import read_metrics
from mmjax.utils import figures

_NOT_METRICS = {"step", "split", "time"}
_LOWER_IS_BETTER = ("loss", "mse", "fid", "kid")
_HIGHER_IS_BETTER = ("accuracy", "exact_match", "precision", "recall", "modes", "high_quality")


def better_direction(metric: str) -> str | None:
    """ "lower" for losses and distances, "higher" for accuracies and coverage, else None (e.g. grad_norm)."""
    name = metric.split("/")[-1]
    if any(word in name for word in _LOWER_IS_BETTER):
        return "lower"
    if any(word in name for word in _HIGHER_IS_BETTER):
        return "higher"
    return None


def metric_series(records: list[dict]) -> dict[str, tuple[list[int], list[float]]]:
    """``"split/name" -> (steps, values)`` for every numeric metric in the records."""
    series: dict[str, tuple[list[int], list[float]]] = {}
    for record in records:
        for name, value in record.items():
            if name in _NOT_METRICS or isinstance(value, bool):
                continue
            try:
                value = float(value)  # "nan"/"inf" strings too
            except (TypeError, ValueError):
                continue
            steps, values = series.setdefault(f"{record.get('split', 'train')}/{name}", ([], []))
            steps.append(int(record["step"]))
            values.append(value)
    return series


def plot_run(run_dir, out=None) -> Path:
    """Draw one panel per metric (train and eval) and save it; returns the figure's path.

    The default output is ``RUN_DIR/curves.png``. Positive series spanning more than two decades
    get a log scale, so a loss falling from 10 to 0.01 stays readable.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run_dir = Path(run_dir)
    log_path = run_dir / "metrics.jsonl"
    if not log_path.exists():
        raise FileNotFoundError(f"no metrics.jsonl in {run_dir}: is it a run folder of `mmjax train`?")
    series = metric_series(read_metrics(log_path))
    if not series:
        raise ValueError(f"{log_path} has no metrics yet")
    columns = min(3, len(series))
    rows = math.ceil(len(series) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3 * rows), squeeze=False)
    for ax, (name, (steps, values)) in zip(axes.flat, sorted(series.items())):
        ax.plot(steps, values, marker="." if len(steps) < 30 else None)
        finite = [v for v in values if math.isfinite(v)]
        if finite and min(finite) > 0 and max(finite) / min(finite) > 100:
            ax.set_yscale("log")
        figures.label(ax, name, xlabel="train step", ylabel=name.split("/")[-1], better=better_direction(name))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(series) :]:
        ax.axis("off")
    fig.suptitle(f"run {run_dir.name}: train metrics every log_every steps, eval metrics every eval_every")
    return figures.save(fig, Path(out) if out else run_dir / "curves.png")
