"""The model card of the shipped Shapes models, written from the runs that made them (no number typed in).

    python -m mmjax.pretrained.model_card --text2image-run runs/text2image --captioner-run runs/captioner \
        --text2image-report reports/text2image.json --captioner-report reports/captioner.json \
        --cycle-report reports/cycle.json --out mmjax/artifacts/shapes

reads each run's ``config.json`` (the recorded command's config) and ``metrics.jsonl`` (steps, wall time,
the loop's evaluations), and the ``mmjax eval ... --out`` reports of the shipped files; it writes
``README.md`` (the card) and ``eval_curves.png`` (each model's evaluation against wall time) beside the
weights, and copies each run's config next to its weights (``text2image.config.json``, ...).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mmjax.train.metrics_log import read_metrics

CURVES = {  # model -> (metric names in its metrics.jsonl, what they are)
    "text2image": (("test_all_correct", "test_heldout_all_correct"), "judge: every stated attribute right"),
    "captioner": (("test_all_correct", "test_heldout_all_correct"), "parsed caption: every fact right"),
}


def run_facts(run_dir: str | Path) -> dict:
    """Command, steps, wall time and the evaluations over time of one ``mmjax train`` run folder."""
    run_dir = Path(run_dir)
    info = json.loads((run_dir / "config.json").read_text())
    records = read_metrics(run_dir / "metrics.jsonl")
    evals = [r for r in records if r.get("split") == "eval"]
    last = max(records, key=lambda r: r["step"])
    return {
        "task": info["task"],
        "config": info["config"],
        "steps": last["step"],
        "wall_s": last["time"],
        "evals": evals,
    }


def command_of(run: dict) -> str:
    """The ``mmjax train`` command that reproduces ``run``: its steps, seed and every non-default config field."""
    from mmjax.train import registry
    from mmjax.train.config import to_dict

    defaults = to_dict(registry.get_task(run["task"]).default_config())
    flat_defaults, flat = _flatten(defaults), _flatten(run["config"])
    options = [f"--{key} {_cli(value)}" for key, value in flat.items() if flat_defaults.get(key) != value]
    return " ".join([f"mmjax train {run['task']} --steps {run['steps']} --seed {run['seed']}", *options])


def _cli(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _flatten(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        out.update(_flatten(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key: value})
    return out


def plot_curves(facts: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mmjax.utils import figures

    fig, axes = plt.subplots(1, len(facts), figsize=(5 * len(facts), 3.6))
    for ax, (name, run) in zip(list(axes) if len(facts) > 1 else [axes], facts.items()):
        metrics, meaning = CURVES[name]
        for metric in metrics:
            points = [(r["time"] / 60, r[metric]) for r in run["evals"] if metric in r]
            if points:
                ax.plot(*zip(*points), marker="o", label=metric.replace("_all_correct", ""))
        ax.set_ylim(0, 1)
        figures.label(ax, f"{name}: {meaning}", "wall time (minutes, 2 CPU cores)", "fraction of prompts", "higher")
    figures.save(fig, path)


def _row(report: dict, keys: list[str]) -> str:
    scores = report.get("scores", report)
    return " | ".join(f"{scores[k]:.3f}" if isinstance(scores.get(k), float) else str(scores.get(k, "-")) for k in keys)


def write_card(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    facts = {"text2image": run_facts(args.text2image_run), "captioner": run_facts(args.captioner_run)}
    for name, run in facts.items():
        (out / f"{name}.config.json").write_text(json.dumps({"task": run["task"], "config": run["config"]}, indent=2))
    plot_curves(facts, out / "eval_curves.png")
    reports = {
        name: json.loads(Path(p).read_text())
        for name, p in (
            ("text2image", args.text2image_report),
            ("captioner", args.captioner_report),
            ("cycle", args.cycle_report),
        )
        if p
    }
    lines = ['# Model card: the shipped Shapes models (`mmjax.load_pretrained("shapes")`)', ""]
    lines += [
        "Two models trained from scratch on the procedural Shapes world (32x32 images of one or two coloured shapes "
        "on a 3x3 grid, captions with paraphrases); nothing else. They know only the Shapes vocabulary.",
        "",
        "| model | file | made by | steps | wall time |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, run in facts.items():
        lines.append(
            f"| {name} | `{name}.npz` (config: `{name}.config.json`) | `{command_of(run)} && mmjax export ...` | "
            f"{run['steps']} | {run['wall_s'] / 60:.1f} min |"
        )
    lines += ["", "![evaluation against wall time](eval_curves.png)", ""]
    for name, report in reports.items():
        lines += [
            f"## {name}: `mmjax eval` of the shipped file",
            "",
            "```json",
            json.dumps(report, indent=2),
            "```",
            "",
        ]
    card = out / "README.md"
    card.write_text("\n".join(lines))
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text2image-run", required=True)
    parser.add_argument("--captioner-run", required=True)
    parser.add_argument("--text2image-report", default=None)
    parser.add_argument("--captioner-report", default=None)
    parser.add_argument("--cycle-report", default=None)
    parser.add_argument("--out", required=True)
    print(f"wrote {write_card(parser.parse_args(argv))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
