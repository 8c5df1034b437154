"""``mmjax train TASK [options] [--field.path VALUE ...]`` and ``mmjax plot RUN_DIR``.

Loop options (``--steps``, ``--run-dir``, ...) are the fields of :class:`~mmjax.train.config.TrainConfig`
with dashes; every field of the task's config is an option named by its dotted path with the field's
own spelling (``--model.width 64``, ``--learning_rate 3e-4``). ``mmjax train TASK --help`` lists them
all with their defaults and comments.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys

from mmjax.cli_parser import Parser
from mmjax.train import config as config_lib
from mmjax.train.config import TrainConfig
from mmjax.train.run_lock import run_lock
from mmjax.utils.safe_files import output_file, output_folder

_EXTRA_LOOP_OPTIONS = ("compile_cache", "compile_cache_dir", "distributed")


def _help(text: str) -> str:
    """argparse formats help with %; a field comment such as "10% of steps" must not break --help."""
    return text.replace("%", "%%")


def build_task_parser(task) -> argparse.ArgumentParser:
    """The parser of ``mmjax train TASK``: loop options, then the task's config fields."""
    # Not a sub-parser of the top-level one (it is built once the task is known), so it names the shared
    # class itself: without it "--step 10" would be read as "--steps 10".
    parser = Parser(prog=f"mmjax train {task.name}", description=task.description or None)
    loop = parser.add_argument_group("loop options")
    comments = config_lib.field_comments(TrainConfig)
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        default = config_lib.progress_default() if field.name == "progress" else field.default
        if field.type in (bool, "bool"):
            loop.add_argument(
                flag,
                dest=f"loop:{field.name}",
                action=argparse.BooleanOptionalAction,
                default=default,
                help=_help(f"{comments.get(field.name)} (default: {default})"),
            )
        else:
            loop.add_argument(
                flag,
                dest=f"loop:{field.name}",
                type=int if field.type in (int, "int") else str,
                default=default,
                metavar=field.name.upper(),
                help=_help(f"{comments.get(field.name)} (default: {default!r})"),
            )
    loop.add_argument(
        "--compile-cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="persistent XLA compilation cache (a restarted run skips compiling) (default: on)",
    )
    loop.add_argument(
        "--compile-cache-dir",
        default=None,
        metavar="DIR",
        help="cache folder (default $MMJAX_CACHE_DIR or ~/.cache/mmjax/jax)",
    )
    loop.add_argument(
        "--distributed",
        action="store_true",
        help="multi-host: call jax.distributed.initialize() first (run on every host)",
    )
    group = parser.add_argument_group(f"{task.config_cls.__name__} fields")
    reserved = {a.option_strings[0] for a in loop._group_actions}
    defaults = config_lib.to_dict(task.default_config())
    for path, (tp, comment) in config_lib.leaf_fields(task.config_cls).items():
        flag = f"--{path}"
        if flag in reserved:
            raise ValueError(
                f"{task.config_cls.__name__} field {path!r} clashes with the loop option {flag}; "
                "rename the field (the loop owns steps and seed)"
            )
        default = defaults
        for part in path.split("."):
            default = default[part]
        group.add_argument(
            flag,
            dest=f"config:{path}",
            default=None,
            metavar=config_lib._type_name(tp).upper(),
            help=_help(f"{comment} (default: {default})" if comment else f"(default: {default})"),
        )
    return parser


def parse_train_args(task, argv: list[str]):
    """``(config, train_config, extras)`` from the options after ``mmjax train TASK``."""
    namespace = vars(build_task_parser(task).parse_args(argv))
    overrides = {k.split(":", 1)[1]: v for k, v in namespace.items() if k.startswith("config:") and v is not None}
    config = config_lib.apply_overrides(task.default_config(), overrides)
    train_config = TrainConfig(**{k.split(":", 1)[1]: v for k, v in namespace.items() if k.startswith("loop:")})
    extras = {k: namespace[k] for k in _EXTRA_LOOP_OPTIONS}
    return config, train_config, extras


def run_train(args: argparse.Namespace) -> int:
    from mmjax.train import registry

    if args.task is None:
        print(
            "usage: mmjax train TASK [options]\navailable tasks: "
            + ", ".join(registry.available_tasks())
            + "\n`mmjax train TASK --help` lists a task's options."
        )
        return 2
    # A run folder in use is refused before the task's module imports JAX (seconds on a busy machine).
    early = _existing_run_dir(args.task, args.options)
    with contextlib.nullcontext() if early is None else run_lock(early):
        task = registry.get_task(args.task)
        config, train_config, extras = parse_train_args(task, args.options)
        # Before the step compiles: a --run-dir that is a file, cannot be written or is in use fails now.
        # (Multi-host runs share one folder: there the loop locks on process 0 alone.)
        run_dir = output_folder(train_config.folder(task.name), "--run-dir")
        with contextlib.nullcontext() if extras["distributed"] else run_lock(run_dir):
            return _train(task, config, train_config, extras)


def _existing_run_dir(task_name: str, options: list[str]) -> str | None:
    """The run folder the options name, if that is certain without parsing them and it exists already.

    None whenever in doubt (help asked, an abbreviated --run..., --distributed, a task given by module
    address): the loop's own lock then decides, only later. A folder that does not exist yet is nobody's.
    """
    from mmjax.train import registry

    if {"-h", "--help", "--distributed"} & set(options):
        return None
    named = [(i, o) for i, o in enumerate(options) if o.startswith("--run")]
    if not named:
        folder = TrainConfig().folder(task_name) if task_name in registry.TASK_MODULES else None
    elif named[-1][1].startswith("--run-dir="):
        folder = named[-1][1].split("=", 1)[1]
    elif named[-1][1] == "--run-dir" and named[-1][0] + 1 < len(options):
        folder = options[named[-1][0] + 1]
    else:
        return None
    return folder if folder and os.path.isdir(folder) else None


def _train(task, config, train_config: TrainConfig, extras: dict) -> int:
    if extras["distributed"]:
        from mmjax.train.parallel import initialize_distributed

        print(initialize_distributed(), flush=True)
    if extras["compile_cache"]:
        from mmjax.train.compile_cache import enable_compilation_cache

        enable_compilation_cache(extras["compile_cache_dir"])

    from mmjax.train.guards import NonFiniteError
    from mmjax.train.loop import train

    try:
        result = train(task, config, train_config)
    except NonFiniteError as error:
        print(f"mmjax: stopped: {error}", file=sys.stderr)
        return 1
    print(f"trained {task.name} to step {result.step}; run folder: {result.run_dir}")
    return 0


def run_plot(args: argparse.Namespace) -> int:
    from mmjax.train.plot import plot_run

    if args.out is not None:
        output_file(args.out, "--out")
    print(plot_run(args.run_dir, args.out))
    return 0


def register(subparsers) -> None:
    train = subparsers.add_parser(
        "train",
        help="train a task (checkpoints, exact resume, logs, progress)",
        description="mmjax train TASK [options]: `mmjax train TASK --help` lists a task's options.",
    )
    from mmjax.train.registry import available_tasks  # names only: no model is imported here

    train.add_argument("task", nargs="?", help=f"task name: {', '.join(available_tasks())}")
    train.add_argument("options", nargs=argparse.REMAINDER, help="loop options and --config.field VALUE")
    train.set_defaults(func=run_train)
    plot = subparsers.add_parser("plot", help="draw loss and metric curves of a run")
    plot.add_argument("run_dir", help="a run folder written by `mmjax train`")
    plot.add_argument("--out", default=None, help="figure path (default RUN_DIR/curves.png)")
    plot.set_defaults(func=run_plot)
