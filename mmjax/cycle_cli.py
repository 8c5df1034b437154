"""``mmjax cycle``: the cycle of section 3.3 on the shipped models, scored per round, written as JSON.

    mmjax cycle --split test --num-samples 1000 --rounds 3 --out reports/cycle.json

Prompts are the first N captions of the split. Round 1's ``caption_agreement`` is the text -> image ->
text round trip; later rounds show whether the loop drifts. ``--text2image`` takes another exported
``.npz`` (e.g. a tuned generator) to compare with the shipped one.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    from mmjax.utils.arguments import check_seed
    from mmjax.utils.safe_files import output_file

    # Before JAX loads and the rounds run, not when the report is written.
    check_seed(args.seed)
    check_seed(args.seed + max(args.rounds, 0), "--seed + --rounds")  # round k = 1 .. rounds draws with seed + k
    if args.out:
        output_file(args.out, "--out")
    from mmjax.captioner import export as captioner_export
    from mmjax.cycle import run_cycle
    from mmjax.eval.prompts import prompt_batch
    from mmjax.metrics.judge.export import load_judge
    from mmjax.pretrained.model import ShapesModel
    from mmjax.text2image import export as text2image_export

    if args.num_samples < 1 or args.rounds < 1:
        raise ValueError(f"--num-samples and --rounds must be >= 1, got {args.num_samples} and {args.rounds}")
    start = time.perf_counter()
    model = ShapesModel(text2image_export.load(args.text2image), captioner_export.load(args.captioner))
    prompts = prompt_batch(args.split, 0, args.num_samples)["caption"]  # the split's first N captions

    def generate(texts, k):  # round k draws with seed + k
        return model.generate_images(texts, seed=args.seed + k)

    history = run_cycle(generate, model.generate_texts, load_judge()[0], prompts, args.rounds)
    rounds = [{k: v for k, v in entry.items() if k not in ("images", "captions")} for entry in history]
    report = {
        "split": args.split,
        "num_samples": args.num_samples,
        "text2image": str(args.text2image or text2image_export.default_path()),
        "captioner": str(args.captioner or captioner_export.default_path()),
        "rounds": rounds,
        "examples": [
            {"prompt": p, "captions": [entry["captions"][i] for entry in history]} for i, p in enumerate(prompts[:5])
        ],
        "seconds": round(time.perf_counter() - start, 1),
    }
    for entry in rounds:
        print(
            f"round {entry['round']}: image agreement {entry['image_agreement']:.3f}, "
            f"caption agreement {entry['caption_agreement']:.3f}"
        )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.out}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "cycle",
        help="text -> image -> text -> image ... with the shipped models, agreement per round",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--split", default="test", choices=("train", "test", "test_heldout"))
    parser.add_argument("--num-samples", type=int, default=1000, help="prompts (the split's first N captions)")
    parser.add_argument("--rounds", type=int, default=3, help="K: how many times the loop goes round")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--text2image", default=None, help="an exported text2image .npz (default: the shipped one)")
    parser.add_argument("--captioner", default=None, help="an exported captioner .npz (default: the shipped one)")
    parser.add_argument("--out", default=None, help="JSON report path")
    parser.set_defaults(func=run)
