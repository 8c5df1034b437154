"""One small plotting helper for every chapter: labelled axes, saved figures, image strips, heat maps.

Every figure a reader looks at has a title, axes with units, a legend where there is more than one line,
a colour bar where colour is a value, and says which direction is better where that matters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def label(
    ax, title: str, xlabel: str | None = None, ylabel: str | None = None, better: str | None = None, legend: bool = True
) -> None:
    """Title and axis labels; ``better`` = "higher" / "lower" is added to the y label; legend if labelled."""
    if better not in (None, "higher", "lower"):
        raise ValueError(f"better must be 'higher', 'lower' or None, got {better!r}")
    ax.set_title(title, fontsize=10)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel + (f" ({better} is better)" if better else ""))
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)


def save(fig, path: str | Path, dpi: int = 100) -> Path:
    """``tight_layout``, write, show inline when a notebook runs the chapter, close: the figure's memory is
    freed even in a long notebook, and a script only writes the file."""
    import matplotlib.pyplot as plt

    from mmjax.utils.chapter import show_inline

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    show_inline(path)
    return path


def strip(frames, gap: int = 2, fill: int = 255) -> np.ndarray:
    """Frames ``[T, H, W, C]`` side by side with ``gap`` columns of ``fill`` between them: ``[H, T*(W+gap)-gap, C]``."""
    frames = np.asarray(frames)
    if frames.ndim != 4:
        raise ValueError(f"frames must be [T, H, W, C], got shape {frames.shape}")
    t, h, w, c = frames.shape
    out = np.full((h, t * (w + gap) - gap, c), fill, frames.dtype)
    for i, frame in enumerate(frames):
        out[:, i * (w + gap) : i * (w + gap) + w] = frame
    return out


def heatmap(fig, ax, values, colorbar_label: str, **imshow_kwargs):
    """``imshow`` with a labelled colour bar (a colour is a value only when the reader can read it)."""
    image = ax.imshow(np.asarray(values), **imshow_kwargs)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04).set_label(colorbar_label)
    return image


def metric_bars(ax, metric: str, results: dict, names: list[str], unit: str, better: str, colours=None) -> None:
    """One metric of several generators as labelled bars: ``results[name][metric]`` for each name.

    The axis suits the metric: Shapes-FID on a log scale; KID with its ``kid_std`` error bars around zero
    (symlog above 0.1 when a collapsed generator dwarfs the rest); fractions on 0 .. 1; anything measured
    in other units with a margin.
    """
    values = [results[name][metric] for name in names]
    errors = [results[name]["kid_std"] for name in names] if metric == "kid" else None
    bars = ax.bar(range(len(names)), values, yerr=errors, capsize=4, color=colours)
    ax.bar_label(bars, labels=[f"{v:.3g}" if abs(v) > 1e-4 else "0" for v in values], fontsize=6, padding=2)
    ax.set_xticks(range(len(names)), names, rotation=35, fontsize=7)
    if metric == "shapes_fid":
        ax.set_yscale("log")
        ax.set_ylim(1, 5 * max(values))
    elif metric == "kid":
        ax.axhline(0, color="black", linewidth=0.6)
        if max(values) > 0.2:  # a collapsed generator: log above 0.1 keeps the small bars and their errors readable
            ax.set_yscale("symlog", linthresh=0.1)
            unit += " (log above 0.1)"
    elif "units" not in unit:
        ax.set_ylim(0, 1.15)  # a fraction, with room for the value labels
    else:
        ax.margins(y=0.15)
    label(ax, metric, "generator", unit, better=better)
