"""``mmjax export RUN_DIR --out PATH``: write a trained run as the safe ``.npz`` file mmjax ships.

Any task that defines ``export`` can be exported; the task, its config and the trained state are read
from the run folder alone (:func:`mmjax.train.restore.load_run`). The shipped judge, for example, is

    mmjax train judge --steps 3000 --run-dir runs/judge && mmjax export runs/judge --out data/judge/judge.npz
"""

from __future__ import annotations

import argparse


def run_export(args: argparse.Namespace) -> int:
    from mmjax.utils.safe_files import output_file

    output_file(args.out, "--out")  # a folder or a read-only place fails now, not after loading the run
    if not args.out.endswith(".npz"):  # the file written is then OUT.npz (as np.savez names it)
        output_file(args.out + ".npz", "--out")
    from mmjax.train.restore import load_run

    task, config, state, step = load_run(args.run_dir, step=args.step)
    if task.export is None:
        raise ValueError(
            f"task {task.name!r} (the task of {args.run_dir}) has no export: only tasks whose "
            "model mmjax ships as a file define one (e.g. judge, contrastive)"
        )
    task.export(state, config, args.out)
    print(f"exported {task.name} at step {step} of {args.run_dir} to {args.out}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write a trained run as the .npz file mmjax ships (judge, contrastive)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", help="a run folder written by `mmjax train`")
    parser.add_argument("--out", required=True, help="path of the .npz file to write")
    parser.add_argument("--step", type=int, default=None, help="checkpoint step to export (default: the latest)")
    parser.set_defaults(func=run_export)
