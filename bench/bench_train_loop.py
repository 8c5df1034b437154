"""What the shared training loop costs per step, and how long a checkpoint save blocks it.

Run: python bench/bench_train_loop.py [--steps 300] [--megabytes 64]. Prints two tables and writes
bench/results/train_loop.json.

1. Per-step time of the toy task through the loop, from the loop's own metrics.jsonl timestamps
   (log_every=1), after a warm-up run that compiles everything. The toy step is ~0.2 ms, so this
   shows the loop's fixed overhead (loader, batch transfer, the per-step finiteness check, the
   JSONL line) and, for the checkpointing cases, orbax's per-save cost, which a tiny step cannot
   hide: a save waits for the previous background save to finish.
2. How long ``save()`` blocks for a state of a realistic size (default 64 MB), asynchronous vs
   blocking, with one second of "training" between saves: the part a real run actually feels.
The machine may be shared: read medians first.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

from mmjax.cli_parser import Parser
from mmjax.train import loop
from mmjax.train.config import TrainConfig
from mmjax.train.metrics_log import read_metrics
from mmjax.train.toy.config import ToyConfig
from mmjax.train.toy.data import RegressionSource
from mmjax.train.toy.task import TASK
from mmjax.utils.flops import median_seconds

CASES = {
    "no checkpoints (only the last step)": dict(checkpoint_every=0),
    "checkpoint every 10 steps, async": dict(checkpoint_every=10),
    "checkpoint every step, async": dict(checkpoint_every=1),
    "checkpoint every step, blocking": dict(checkpoint_every=1, async_checkpoints=False),
}


def step_times(config: ToyConfig, steps: int, **settings) -> np.ndarray:
    with tempfile.TemporaryDirectory() as run_dir:
        loop.train(
            TASK,
            config,
            TrainConfig(
                steps=steps,
                run_dir=run_dir,
                log_every=1,
                eval_every=-1,
                sample_every=-1,
                progress=False,
                keep=2,
                **settings,
            ),
            log=lambda message: None,
        )
        times = [r["time"] for r in read_metrics(Path(run_dir) / "metrics.jsonl") if r["split"] == "train"]
    return np.diff(times)[5:]  # drop the first steps (compilation, first save)


def save_blocking_ms(megabytes: int, async_save: bool, saves: int = 5) -> list[float]:
    from mmjax.train.checkpoint import Checkpointer

    rows = megabytes * 2**20 // (4 * 1024)
    state = {"w": jax.numpy.ones((rows, 1024), jax.numpy.float32)}
    blocked = []
    with tempfile.TemporaryDirectory() as directory:
        checkpointer = Checkpointer(directory, keep=2, async_save=async_save, log=lambda message: None)
        for step in range(1, saves + 1):
            start = time.perf_counter()
            checkpointer.save(step, state, {"epoch": 0, "step": step}, {"task": "bench"})
            blocked.append((time.perf_counter() - start) * 1e3)
            time.sleep(1.0)  # the training that happens between two saves
        checkpointer.close()
    return blocked


def main() -> None:
    parser = Parser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300, help="steps per case")
    parser.add_argument("--megabytes", type=int, default=64, help="state size for the save-blocking test")
    args = parser.parse_args()
    config = ToyConfig(batch_size=64, model=ToyConfig().model)
    source = RegressionSource(config)
    batch = {"x": source.x[:64], "y": source.y[:64]}
    state = TASK.init_state(config, jax.random.key(0), num_steps=args.steps)
    bare_step = jax.jit(TASK.bound_train_step(config, num_steps=args.steps))
    bare = median_seconds(bare_step, state, batch, jax.random.key(1), repeats=50)
    step_times(config, 20)  # warm-up: compile once
    results = {"bare jitted step (no loop)": {"median_ms": bare * 1e3, "mean_ms": bare * 1e3}}
    for name, settings in CASES.items():
        times = step_times(config, args.steps, **settings)
        results[name] = {
            "median_ms": float(np.median(times) * 1e3),
            "mean_ms": float(np.mean(times) * 1e3),
            "max_ms": float(np.max(times) * 1e3),
        }
    print(f"{'case':40s} {'median ms':>10s} {'mean ms':>10s}")
    for name, r in results.items():
        print(f"{name:40s} {r['median_ms']:10.3f} {r['mean_ms']:10.3f}")
    saves = {}
    print(f"\nsave() blocking time, {args.megabytes} MB state, 1 s between saves")
    for name, async_save in (("async", True), ("blocking", False)):
        blocked = save_blocking_ms(args.megabytes, async_save)
        saves[name] = {"median_ms": statistics.median(blocked), "all_ms": blocked}
        print(f"{name:10s} median {saves[name]['median_ms']:8.1f} ms   all: {[round(b, 1) for b in blocked]}")
    out = Path(__file__).parent / "results" / "train_loop.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "backend": jax.default_backend(),
                "steps": args.steps,
                "loop": results,
                "save_blocking": saves,
                "megabytes": args.megabytes,
            },
            indent=2,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
