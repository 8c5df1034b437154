"""The model card of the shipped Shapes models, written from the runs that made them (no number typed in).

    python -m mmjax.pretrained.model_card --text2image-run runs/text2image --captioner-run runs/captioner \
        --tuning-run runs/text2image_tuned --reports runs/reports --out mmjax/artifacts/shapes

reads each run's ``config.json`` (the recorded command's config) and ``metrics.jsonl`` (steps, wall time,
the loop's evaluations), and the ``mmjax eval`` / ``mmjax cycle`` JSON reports in ``--reports``; it writes
``README.md`` (the card) and ``eval_curves.png`` (each model's evaluation against wall time) beside the
weights, and each run's config next to its weights (``text2image.config.json``, ...).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mmjax.cli_parser import Parser
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
        "seed": info["train"]["seed"],
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


IMAGE_SCORES = (
    "coherence_all_correct",
    "coherence_one_object_right",
    "coherence_two_object_right",
    "coherence_shape",
    "coherence_colour",
    "coherence_size",
    "coherence_row",
    "coherence_col",
    "coherence_relation",
    "r_precision",
    "shapes_fid",
    "distinct_free_line",
    "partial_stated_right",
)
CAPTION_SCORES = ("exact_match", "f1", "parse_rate", "bleu_4", "cider_d")


def _scores_table(reports: dict[str, dict], keys: tuple[str, ...]) -> list[str]:
    """One row per (report, split), one column per score that any of them has."""
    rows = [
        (name, split, scores)
        for name, report in reports.items()
        for result in report["results"].values()
        for split, scores in result.items()
    ]
    keys = [k for k in keys if any(k in scores for _, _, scores in rows)]
    lines = [f"| model | split | {' | '.join(keys)} |", "|" + " --- |" * (len(keys) + 2)]
    for name, split, scores in rows:
        cells = [f"{scores[k]:.3f}" if k in scores else "-" for k in keys]
        lines.append(f"| {name} | {split} | {' | '.join(cells)} |")
    return lines


def _cycle_table(cycles: dict[str, dict]) -> list[str]:
    lines = ["| generator | split | round | image agreement | caption agreement |", "| --- | --- | --- | --- | --- |"]
    for name, report in cycles.items():
        for entry in report["rounds"]:
            lines.append(
                f"| {name} | {report['split']} | {entry['round']} | {entry['image_agreement']:.3f} | "
                f"{entry['caption_agreement']:.3f} |"
            )
    return lines


def _read(reports_dir: Path, prefix: str) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(reports_dir.glob(f"{prefix}*.json"))}


def write_card(args: argparse.Namespace) -> Path:
    out, reports_dir = Path(args.out), Path(args.reports)
    out.mkdir(parents=True, exist_ok=True)
    runs = {"text2image": args.text2image_run, "captioner": args.captioner_run, "tuning": args.tuning_run}
    facts = {name: run_facts(path) for name, path in runs.items() if path}
    shipped = {"text2image": facts["tuning"] if args.shipped_generator == "tuned" else facts["text2image"]}
    shipped |= {"captioner": facts["captioner"]} if "captioner" in facts else {}  # else its config file stays
    for name, run in shipped.items():
        (out / f"{name}.config.json").write_text(json.dumps({"task": run["task"], "config": run["config"]}, indent=2))
    plot_curves({k: v for k, v in facts.items() if k in CURVES}, out / "eval_curves.png")
    lines = [
        '# Model card: the shipped Shapes models (`mmjax.load_pretrained("shapes")`)',
        "",
        "Two models trained from scratch on the procedural Shapes world (32x32 images of one or two coloured "
        "shapes on a 3x3 grid; captions with paraphrases) and nothing else: they know only the Shapes vocabulary. "
        "Every figure below was measured by the commands shown (`scripts/make_pretrained.sh` runs them all) on "
        "2 CPU cores.",
        "",
        "| model | made by | steps | wall time |",
        "| --- | --- | --- | --- |",
    ]
    for name, run in facts.items():
        lines.append(f"| {name} | `{command_of(run)}` | {run['steps']} | {run['wall_s'] / 60:.1f} min |")
    lines += [
        "",
        f"Shipped: `text2image.npz` is the {args.shipped_generator} generator; configs sit beside the weights "
        "(`*.config.json`).",
        "",
        "![evaluation against wall time](eval_curves.png)",
        "",
        "## Text to image (`mmjax eval text2image`, judge + contrastive encoder)",
        "",
        *_scores_table(_read(reports_dir, "text2image") | _read(reports_dir, "real"), IMAGE_SCORES),
        "",
        "## Image to text (`mmjax eval captioner`)",
        "",
        *_scores_table(_read(reports_dir, "captioner"), CAPTION_SCORES),
        "",
        "## The cycle (`mmjax cycle`): agreement with the original prompt per round",
        "",
        *_cycle_table(_read(reports_dir, "cycle")),
        "",
    ]
    if args.note:
        lines += ["## Notes", "", *[line for note in args.note for line in (note, "")]]
    card = out / "README.md"
    card.write_text("\n".join(lines))
    return card


def main(argv: list[str] | None = None) -> int:
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text2image-run", required=True)
    parser.add_argument(
        "--captioner-run", default=None, help="the captioner's run; leave out when it was not retrained"
    )
    parser.add_argument("--tuning-run", default=None, help="the cycle's tuning run, if the shipped G was tuned")
    parser.add_argument("--reports", required=True, help="folder of the mmjax eval / mmjax cycle JSON reports")
    parser.add_argument(
        "--shipped-generator", default="base", choices=("base", "tuned"), help="which generator text2image.npz is"
    )
    parser.add_argument("--note", action="append", default=[], help="a paragraph for the card's Notes (repeatable)")
    parser.add_argument("--out", required=True)
    print(f"wrote {write_card(parser.parse_args(argv))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
