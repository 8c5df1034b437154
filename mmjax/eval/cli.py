"""``mmjax eval GENERATOR``: score a generator or captioner and write every figure to JSON.

mmjax eval real --num-samples 500 --out report.json          # real data against itself
mmjax eval references --kind image --out refs.json           # every built-in reference side by side
mmjax eval dcgan --checkpoint runs/dcgan/ckpt --out dcgan.json  # a trained model (registered adapter)
mmjax eval text2image --out t2i.json                          # the shipped text-to-image model
mmjax eval captioner --checkpoint runs/captioner              # a captioner run (or an exported .npz)
mmjax eval audio2image --checkpoint runs/audio2image          # sounds -> images, beside: mmjax eval audio_decoder
mmjax eval captioner --robustness --num-samples 50 --out r.json  # accuracy on pictures drawn elsewhere, per condition
"""

from __future__ import annotations

import argparse
import time

from mmjax.eval.report import format_table, write_report

SPLITS = ("test", "test_heldout")
DECODINGS = ("free", "constrained")


PARTIAL_PROMPTS, PARTIAL_SAMPLES = 200, 8  # --partial: prompts per split, pictures per prompt


def evaluate(kind: str, function, judge, split: str, num_samples: int, seed: int, encoder=None) -> dict[str, float]:
    from mmjax.eval.evaluate import evaluate_captions, evaluate_images, evaluate_videos

    if kind == "image":
        return evaluate_images(function, judge, split, num_samples, seed, encoder=encoder)
    if kind == "audio_image":
        return evaluate_images(function, judge, split, num_samples, seed, audio=True)
    if kind == "video":
        return evaluate_videos(function, judge, split, num_samples, seed)
    if kind == "caption":
        return evaluate_captions(function, split, num_samples, seed)
    raise ValueError(f"unknown generator kind {kind!r}; expected image, audio_image, video or caption")


def run_robustness(args: argparse.Namespace) -> int:
    """``--robustness``: the captioner's accuracy on pictures of the independent rasteriser, per condition."""
    from mmjax.eval.robustness.normalise import METHODS as NORMALISATIONS

    if args.generator != "captioner":
        raise ValueError(
            f"--robustness scores the captioner: run 'mmjax eval captioner --robustness', not {args.generator!r}"
        )
    if args.num_samples < 1:
        raise ValueError(f"--num-samples must be >= 1, got {args.num_samples}")
    normalisations = [n.strip() for n in args.normalise.split(",")]
    decodings = [d.strip() for d in args.decoding.split(",")]
    for name, values, allowed in (
        ("--normalise", normalisations, NORMALISATIONS),
        ("--decoding", decodings, DECODINGS),
    ):
        for value in values:
            if value not in allowed:
                raise ValueError(f"unknown {name} {value!r}; expected a comma-separated subset of {', '.join(allowed)}")
    from mmjax.captioner import export
    from mmjax.captioner.step import caption_images
    from mmjax.data.caption_grammar import caption_automaton
    from mmjax.eval.adapters.checkpoints import load_model
    from mmjax.eval.robustness.table import format_robustness, robustness_table
    from mmjax.utils.batching import padded_chunks

    config, variables, step, where = load_model(args.checkpoint, "captioner", export)
    start, table = time.perf_counter(), {}
    for decoding in decodings:
        options = {"constraint": caption_automaton()} if decoding == "constrained" else {}

        def caption(images, options=options):
            captions = []
            for _, chunk, count in padded_chunks(images, 64):
                captions += caption_images(config, variables, chunk, **options)[:count]
            return captions

        rows = robustness_table(caption, args.num_samples, args.seed, normalisations)
        table.update({f"{decoding} decoding, normalise={n}": r for n, r in rows.items()})
    print(format_robustness(table))
    report = {
        "generator": "captioner",
        "robustness": True,
        "checkpoint": where,
        "checkpoint_step": step,
        "num_samples": args.num_samples,
        "seed": args.seed,
        "seconds": time.perf_counter() - start,
        "results": table,
    }
    if args.out:
        write_report(report, args.out)
        print(f"wrote {args.out}")
    return 0


def run(args: argparse.Namespace) -> int:
    from mmjax.utils.arguments import check_seed
    from mmjax.utils.safe_files import output_file

    check_seed(args.seed)
    if args.out:  # checked before the scoring, which takes minutes, rather than when the report is written
        output_file(args.out, "--out")
    if args.robustness:
        return run_robustness(args)
    if args.num_samples < 16:
        raise ValueError(f"--num-samples must be >= 16 for the distribution metrics, got {args.num_samples}")
    splits = [s.strip() for s in args.splits.split(",")]
    for split in splits:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected a comma-separated subset of {', '.join(SPLITS)}")
    from mmjax.eval import generators as G  # imported here: jax starts only when a command runs
    from mmjax.eval.evaluate import MIN_SAMPLES_FOR_R_PRECISION

    if args.generator == "references":
        targets = [(name, *G.BUILTIN[name]) for name in G.BUILTIN if G.BUILTIN[name][0] == args.kind]
    else:
        targets = [(args.generator, *G.load_generator(args.generator, args.checkpoint))]
    from mmjax.metrics.judge import export as judge_export

    judge_path = args.judge or judge_export.default_path()
    judge, _ = judge_export.load_judge(judge_path)
    encoder, encoder_path = None, None
    wants_r_precision = (
        any(kind == "image" for _, kind, _ in targets) and args.num_samples >= MIN_SAMPLES_FOR_R_PRECISION
    )
    if args.encoder != "none" and wants_r_precision:
        from mmjax.metrics.contrastive import export as encoder_export

        encoder_path = args.encoder or encoder_export.default_path()
        encoder, _ = encoder_export.load_encoder(encoder_path)
    start = time.perf_counter()
    columns, results = {}, {}
    for name, kind, function in targets:
        for split in splits:
            scores = evaluate(kind, function, judge, split, args.num_samples, args.seed, encoder)
            if args.partial and kind == "image":
                from mmjax.eval.partial import evaluate_partial

                count = min(args.num_samples, PARTIAL_PROMPTS)
                partial = evaluate_partial(function, judge, split, count, PARTIAL_SAMPLES, args.seed)
                scores.update({f"partial_{k}": v for k, v in partial.items()})
            results.setdefault(name, {})[split] = scores
            columns[f"{name}/{split}" if len(targets) > 1 else split] = scores
    print(format_table(columns))
    report = {
        "generator": args.generator,
        "checkpoint": getattr(targets[0][2], "checkpoint", args.checkpoint),  # the file or folder scored
        "checkpoint_step": getattr(targets[0][2], "step", None),  # which step of the run was scored
        "kind": targets[0][1],
        "num_samples": args.num_samples,
        "seed": args.seed,
        "splits": splits,
        "judge": str(judge_path),
        "encoder": None if encoder_path is None else str(encoder_path),
        "seconds": time.perf_counter() - start,
        "results": results,
    }
    if args.out:
        write_report(report, args.out)
        print(f"wrote {args.out}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="score a generator or captioner (quality, diversity, coherence)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "generator",
        help="'references' (every built-in of --kind), a built-in reference generator (real, deterministic, "
        "noisy, text_ignoring, collapsed, real_video, frozen_video, oracle_captioner, ...) "
        "or a registered model adapter",
    )
    parser.add_argument(
        "--checkpoint",
        default=None,
        help="a trained model (registered adapters only): a run folder or an exported .npz; "
        "text2image, captioner and audio2image default to the shipped file",
    )
    parser.add_argument(
        "--kind",
        default="image",
        choices=("image", "audio_image", "video", "caption"),
        help="with 'references': which kind",
    )
    parser.add_argument("--splits", default="test,test_heldout", help="comma-separated splits to evaluate on")
    parser.add_argument("--num-samples", type=int, default=500, help="prompts (and real reference images) per split")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generator's random keys and of KID subsets")
    parser.add_argument("--judge", default=None, help="judge checkpoint (default: the shipped judge/judge.npz)")
    parser.add_argument(
        "--encoder",
        default=None,
        help="contrastive encoder for R-precision (default: the shipped judge/contrastive.npz; 'none' to skip)",
    )
    parser.add_argument(
        "--robustness",
        action="store_true",
        help="captioner only: accuracy and unparseable share on pictures drawn by an independent PIL rasteriser, "
        "per condition (background, blur, noise, JPEG, shift), for one and two objects; --num-samples per group",
    )
    parser.add_argument(
        "--normalise",
        default="none,denoise",
        help="with --robustness: comma-separated input normalisations to compare (none; background: to black; "
        "denoise: background and noise to black, what generate_text does)",
    )
    parser.add_argument(
        "--decoding",
        default="free,constrained",
        help="with --robustness: comma-separated decodings to compare (free, constrained to the caption grammar)",
    )
    parser.add_argument(
        "--partial",
        action="store_true",
        help=f"also draw {PARTIAL_SAMPLES} pictures of each of up to {PARTIAL_PROMPTS} partial prompts per split "
        "(size, colour or cell left out): are stated attributes right, do unstated ones vary as in real data?",
    )
    parser.add_argument("--out", default=None, help="write the JSON report here")
    parser.set_defaults(func=run)
