"""How cost grows: ``python -m bench --scaling`` sweeps train steps over batch size, width, image size and
sequence length, fits power laws to time, FLOPs and memory, and plots them beside the laws the work predicts.

Every sweep is a real train step built through the ``Task`` contract (``bench.cases.train_step_case``) with one
config field changed, so what grows here is what ``mmjax train`` runs. Expected exponents, from counting:

* batch B: every layer's work is per example, so FLOPs and activations grow as B^1;
* width w (channels of every layer): a convolution costs k^2 C_in C_out per pixel, so FLOPs grow as w^2,
  while activations grow as w^1;
* image side S: a layer's work per pixel is fixed, so FLOPs grow as S^2 (the pixel count), and a little faster
  for the DCGAN, which adds one upsampling block to G and one downsampling block to D per doubling of S;
* sequence length T: projections and MLPs cost a T, attention's scores and weighted sums b T^2.

The second figure is the question the performance targets ask: the fraction of the machine's stable peak each
step reaches, against its size. Small steps are bound by fixed per-operation costs, not by arithmetic.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bench.cases import train_step_case
from mmjax.utils.scaling import fit_power_law, plot_scaling, sweep

# (task, config field, values, expected FLOPs exponent or None for a polynomial, what the axis is)
SWEEPS = (
    ("dcgan", "batch_size", (8, 16, 32, 64, 128), 1.0, "batch size (images per step)"),
    ("dcgan", "width", (8, 16, 32, 64), 2.0, "width w (base channels)"),
    ("dcgan", "image_size", (16, 32, 64), 2.0, "image side S (pixels)"),
    ("seq2seq", "max_length", (8, 16, 32, 64), None, "sequence length T (symbols)"),
)
QUICK_SWEEPS = (("judge", "batch_size", (8, 16), 1.0, "batch size (images per step)"),)


def _overrides(field: str, value: int) -> dict:
    if field == "max_length":  # every sequence exactly T long, so T is the only thing that changes
        return {"max_length": value, "min_length": value}
    return {field: value}


def run_sweep(task: str, field: str, values, repeats: int) -> list[dict]:
    def build(value):
        case = train_step_case(task, _overrides(field, value))
        return case.fn, case.args

    print(f"\n{task} train step against {field}:")
    return sweep(build, values, repeats=repeats)


def attention_law(lengths: np.ndarray, rows: list[dict]) -> np.ndarray:
    """a T + b T^2 fitted by least squares to the measured FLOPs (both terms are counted work, so exact)."""
    t = np.asarray([row["value"] for row in rows], np.float64)
    flops = np.asarray([row["flops"] for row in rows], np.float64)
    (a, b), *_ = np.linalg.lstsq(np.stack([t, t**2], axis=1), flops, rcond=None)
    return a * np.asarray(lengths, np.float64) + b * np.asarray(lengths, np.float64) ** 2


def plot(results: list[dict], peak: float, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from mmjax.utils.figures import label, save

    plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
    fig, axes = plt.subplots(len(results), 3, figsize=(15, 3.6 * len(results)), squeeze=False)
    for row_axes, result in zip(axes, results):
        rows, field = result["rows"], result["field"]
        x = [row["value"] for row in rows]
        expected = result["expected"]
        if expected is None:
            expected = lambda t, rows=rows: attention_law(t, rows)  # noqa: E731
        columns = (
            ("flops", "GFLOP per step", 1e9, expected),
            ("seconds", "ms per step", 1e-3, expected),
            ("memory_bytes", "MiB (XLA's plan)", 2**20, None),
        )
        for ax, (key, unit, scale, law) in zip(row_axes, columns):
            y = [row[key] / scale for row in rows]
            law_label = "expected: ∝ a T + b T^2" if callable(law) else None
            plot_scaling(ax, x, y, expected=law, expected_label=law_label, variable=field)
            for axis in (ax.xaxis, ax.yaxis):  # plain numbers, not 10^x, on the log axes
                axis.set_major_formatter(plain)
                axis.set_minor_formatter(plain)
            title = f"{result['task']}: {unit.split(' (')[0]} vs {field}"
            label(ax, title, result["axis"], unit, better="lower", legend=False)
            ax.legend(fontsize=7)
    paths = [save(fig, out_dir / "scaling.png")]

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for result in results:
        rows = result["rows"]
        fractions = [row["achieved_flops_per_second"] / peak for row in rows]
        sizes = [row["value"] / rows[0]["value"] for row in rows]
        ax.plot(sizes, fractions, "o-", label=f"{result['task']} vs {result['field']} (from {rows[0]['value']})")
    ax.axhline(0.40, color="grey", ls="--", lw=1, label="image-step target 0.40")
    ax.axhline(0.30, color="grey", ls=":", lw=1, label="Transformer-step target 0.30")
    ax.set_xscale("log", base=2)
    title, xlabel = "fraction of the stable matmul peak", "size relative to the smallest of its sweep"
    label(ax, title, xlabel, "fraction", "higher", legend=False)
    ax.legend(fontsize=7)
    paths.append(save(fig, out_dir / "scaling_fraction_of_peak.png"))
    return paths


def main(peak: float, out_dir: Path, repeats: int, quick: bool = False) -> dict:
    results = []
    for task, field, values, expected, axis in QUICK_SWEEPS if quick else SWEEPS:
        rows = run_sweep(task, field, values, repeats)
        x = [row["value"] for row in rows]
        fits = {key: fit_power_law(x, [row[key] for row in rows])[0] for key in ("flops", "seconds", "memory_bytes")}
        fraction = [row["achieved_flops_per_second"] / peak for row in rows]
        print(
            f"  exponents: FLOPs {fits['flops']:.2f} (expected {expected if expected else 'a T + b T^2'}),"
            f" time {fits['seconds']:.2f}, memory {fits['memory_bytes']:.2f};"
            f" fraction of peak {fraction[0]:.3f} .. {fraction[-1]:.3f}"
        )
        results.append(
            {"task": task, "field": field, "axis": axis, "expected": expected, "exponents": fits, "rows": rows}
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = plot(results, peak, out_dir)
    report = {"peak_flops_per_second": peak, "sweeps": results, "figures": [str(p) for p in figures]}
    (out_dir / "scaling.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    print(f"wrote {out_dir / 'scaling.json'} and {', '.join(str(p) for p in figures)}")
    return report
