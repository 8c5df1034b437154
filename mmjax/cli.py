"""The ``mmjax`` command line: a thin dispatcher over sub-command modules.

Each module listed in ``COMMAND_MODULES`` defines ``register(subparsers)``, which adds its own
sub-parser and sets ``func`` to a function of the parsed ``argparse.Namespace``. Modules are imported
only when the CLI starts, so the logic stays importable and testable on its own.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mmjax.cli_parser import Parser

COMMAND_MODULES = [
    "mmjax.data.cli",  # mmjax data preview | prepare | sound
    "mmjax.train.cli",  # mmjax train TASK | plot RUN_DIR
    "mmjax.train.export_cli",  # mmjax export RUN_DIR --out PATH
    "mmjax.eval.cli",  # mmjax eval GENERATOR
    "mmjax.utils.chapter_cli",  # mmjax chapters verify PATH
    "mmjax.pretrained.cli",  # mmjax demo [TEXT]
    "mmjax.cycle_cli",  # mmjax cycle: text -> image -> text rounds with the shipped models
    "mmjax.assignments.cli",  # mmjax assignment list | new NAME --dir DIR | grade DIR
]


def build_parser() -> argparse.ArgumentParser:
    # Sub-parsers are made of the same class (add_subparsers), so every command refuses abbreviated
    # options and names the closest real one for a misspelt one.
    parser = Parser(
        prog="mmjax",
        description="mmjax: multimodal generation with GANs and Transformers in JAX/Flax.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        result = args.func(args)
    except (ValueError, TypeError, FileNotFoundError) as error:
        # Bad input is reported as one clear line, never as a traceback.
        print(f"mmjax: error: {error}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
