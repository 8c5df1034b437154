"""``mmjax data preview``, ``mmjax data prepare`` and ``mmjax data sound``."""

from __future__ import annotations

import argparse


def _preview(args: argparse.Namespace) -> int:
    from mmjax.data.preview import write_preview

    path = write_preview(args.out, args.num_images, args.num_videos, args.split, args.seed, args.image_size)
    print(f"wrote {path}")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from mmjax.data.tfds_builder import prepare_shapes

    sizes = {"train": args.train, "test": args.test, "test_heldout": args.test_heldout}
    builder = prepare_shapes(args.config, args.data_dir, sizes, args.seed)
    print(f"prepared mmjax_shapes/{args.config} {sizes} in {builder.data_dir}")
    return 0


def _sound(args: argparse.Namespace) -> int:
    from mmjax.data.caption_sound import run_sound

    return run_sound(args.caption, args.out)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "data", help="preview and prepare the Shapes data sets; write a caption's sound (WAV)"
    )
    commands = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)

    preview = commands.add_parser("preview", help="write a PNG grid of captioned samples, videos and audio")
    preview.add_argument("--out", default="out/preview.png", help="PNG file to write")
    preview.add_argument("--num-images", type=int, default=16, help="captioned images in the grid")
    preview.add_argument("--num-videos", type=int, default=2, help="video strips (with spectrograms)")
    preview.add_argument("--split", default="train", choices=["train", "test", "test_heldout"])
    preview.add_argument("--seed", type=int, default=0, help="world seed")
    preview.add_argument("--image-size", type=int, default=32, help="canvas side in pixels (>= 16)")
    preview.set_defaults(func=_preview)

    prepare = commands.add_parser("prepare", help="write mmjax_shapes as TFDS array_record files")
    prepare.add_argument("--config", default="image", choices=["image", "video", "audio"])
    prepare.add_argument("--data-dir", default=None, help="TFDS data folder (TFDS's default if omitted)")
    prepare.add_argument("--train", type=int, default=1000, help="examples in the train split")
    prepare.add_argument("--test", type=int, default=200, help="examples in the test split")
    prepare.add_argument("--test-heldout", type=int, default=200, help="examples in test_heldout")
    prepare.add_argument("--seed", type=int, default=0, help="world seed")
    prepare.set_defaults(func=_prepare)

    sound = commands.add_parser(
        "sound",
        help="write the Shapes sound of a caption as a WAV file (for `mmjax demo --audio`)",
        description="Write the sound of a Shapes caption: one note per shape (cell -> onset, colour -> pitch, "
        "shape -> timbre, size -> loudness), 0.576 s of 8 kHz mono 16-bit PCM; then read the file back and "
        "print what the exact decoder hears in it. Two shapes share the middle column (above/below) or row "
        "(left of/right of), which a caption does not state.",
    )
    sound.add_argument("caption", help='a still Shapes caption, e.g. "a big red circle at the upper left"')
    sound.add_argument("--out", default="scene.wav", help="WAV file to write (default: scene.wav)")
    sound.set_defaults(func=_sound)
