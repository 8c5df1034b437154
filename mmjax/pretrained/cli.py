"""``mmjax demo [TEXT]``: draw a prompt with the shipped model, caption it back, and write a sheet of samples."""

from __future__ import annotations

import argparse

from mmjax.utils.arguments import check_seed
from mmjax.utils.safe_files import output_file


def _demo(args: argparse.Namespace) -> int:
    from mmjax.pretrained.demo import DEFAULT_PROMPT, run_demo, shipped_reads_partial
    from mmjax.pretrained.prompts import check_prompt

    check_seed(args.seed)
    if args.audio is not None:
        return _audio_demo(args)
    if args.video is not None:
        from mmjax.pretrained.video_prompts import check_video_prompt

        if args.text is not None:
            raise ValueError("give either TEXT (a picture) or --video TEXT (a clip), not both")
        check_video_prompt(args.video)  # a bad prompt fails before JAX loads
        _check_outputs(args, "--gif", "--out")
    else:
        check_prompt(DEFAULT_PROMPT if args.text is None else args.text, shipped_reads_partial())
        _check_outputs(args, "--out", "--sheet")
    if args.compile_cache:  # a second demo loads the compiled models instead of compiling them again
        from mmjax.train.compile_cache import enable_compilation_cache

        enable_compilation_cache(args.compile_cache_dir)
    if args.video is not None:
        from mmjax.pretrained.video import run_video_demo

        run_video_demo(args.video, args.gif, args.out, args.seed)
    else:
        run_demo(args.text, args.out, args.sheet, args.seed)
    return 0


def _check_outputs(args: argparse.Namespace, *options: str) -> None:
    """Each file the demo will write must be writable: a folder or a read-only place fails now, not after
    the models have loaded and drawn."""
    for option in options:
        output_file(getattr(args, option[2:]), option)


def _audio_demo(args: argparse.Namespace) -> int:
    from mmjax.audio.wav import read_wav

    if args.text is not None or args.video is not None:
        raise ValueError("give either TEXT, --video TEXT or --audio FILE.wav, not both")
    read_wav(args.audio)  # a missing, empty, silent or non-WAV file fails before JAX loads
    _check_outputs(args, "--out")
    if args.compile_cache:
        from mmjax.train.compile_cache import enable_compilation_cache

        enable_compilation_cache(args.compile_cache_dir)
    from mmjax.pretrained.audio import run_audio_demo

    run_audio_demo(args.audio, args.out, args.seed)
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="text -> image -> text with the shipped Shapes models (writes output.png and samples.png); "
        "--audio FILE.wav: sound -> image",
        description="Draw TEXT with the shipped text-to-image model, save it, caption it back with the shipped "
        "captioner and say whether the caption agrees with the prompt; then draw and caption a sheet of "
        "samples for several prompts and seeds. With --audio FILE.wav: draw the scene the sound describes with "
        "the shipped audio-to-image model and print what the exact decoder hears in it. Offline; a few seconds "
        "on a laptop CPU.",
    )
    parser.add_argument(
        "text", nargs="?", default=None, help='the prompt (default: "a big red circle at the upper left")'
    )
    parser.add_argument(
        "--out",
        default="output.png",
        help="PNG file for the prompt's picture (--video: its frames; --audio: the sound's picture)",
    )
    parser.add_argument(
        "--video", default=None, metavar="TEXT", help='draw TEXT as a clip instead ("... moving left"; writes --gif)'
    )
    parser.add_argument("--gif", default="output.gif", help="animated GIF of the --video clip")
    parser.add_argument(
        "--audio",
        default=None,
        metavar="FILE.wav",
        help="draw what a WAV file describes with the shipped audio-to-image model instead (writes --out only); "
        'make one with `mmjax data sound "a big red circle at the upper left" --out scene.wav`',
    )
    parser.add_argument("--sheet", default="samples.png", help="PNG file for the sheet of samples")
    parser.add_argument("--seed", type=int, default=0, help="seed of the picture (the sheet uses seed, seed+1, ...)")
    parser.add_argument(
        "--compile-cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="persistent XLA compilation cache (a second demo skips compiling) (default: on)",
    )
    parser.add_argument(
        "--compile-cache-dir", default=None, metavar="DIR", help="cache folder (default ~/.cache/mmjax/jax)"
    )
    parser.set_defaults(func=_demo)
