"""PacGAN Table 1 on our code: GAN vs PacGAN2 on the 2D-ring and 2D-grid, mean +- standard error over seeds.

Run: python bench/bench_mode_coverage.py [--seeds 10] [--steps 20000] [--paper-scale] [--mixtures grid]
                                         [--eval-every 2000] [--out bench/results/mode_coverage.json]
Prints our figures beside the paper's (and, with --eval-every, the learning curve as it goes) and writes
the JSON after every cell, so a long run leaves partial results.

Definitions (mmjax.gan.gan2d.data, verified against the PacGAN code github.com/fjxmlzn/PacGAN):
ring = 8 Gaussians on the unit circle, std 0.01; grid = 25 Gaussians at {-4,-2,0,2,4}^2, std 0.05;
2,500 generated samples scored; high quality = within 3 std of the nearest mode; a mode is captured
when it has at least one high-quality sample.

Each (mixture, pack) cell trains its seeds with ``gan2d.train_and_evaluate_seeds``: compiled programs of
``--eval-every`` steps (a ``lax.scan``), the seeds one after another on a CPU (vmapped on an accelerator).
The default budget is scaled to a CPU: smaller nets, 20,000 steps at lr 1e-3 with cosine decay. The
paper trains G (4 x 400 ReLU + BN) and D (3 x 200 maxout-5) for 400 epochs of 100,000 samples at batch
100 (400,000 steps) at lr 1e-4, Adam beta1 0.8; ``--paper-scale`` uses those nets, step size and steps.

Cost, measured as CPU time of one core per step per seed in this loop (grid; ring costs the same):
default nets 1.0 ms (GAN) and 1.4 ms (PacGAN2); paper nets 13.6 ms and 16.3 ms. So the default table
(10 seeds x 20,000 steps x 4 cells) is ~16 CPU-minutes, and the paper's schedule (10 seeds x 400,000
steps x 4 cells) is ~240,000 CPU-seconds, about 66 hours of one core: it has not been run.

Run at the paper's scale (bench/results/mode_coverage_paper_nets_grid.json): the paper's nets, lr and
beta1, on the grid only, 3 seeds x 10,000 steps (2.5% of its schedule), scored every 1,000 steps:
``--paper-scale --mixtures grid --seeds 3 --steps 10000 --eval-every 1000``, 50 minutes on one shared
core (900 CPU-seconds). GAN: 18.7 +- 1.7 modes, 10.5 +- 0.4 % high quality (paper 17.3, 94.8 %);
PacGAN2: 19.3 +- 1.9 modes, 6.1 +- 0.3 % (paper 23.8, 91.3 %). GAN's high-quality share rose from 4 %
to 10 % over the first 3,000 steps and then stayed at 9-11 % to step 10,000; PacGAN2's stayed at 1-3 %
to step 7,000 and reached 6 % at 10,000. So 2.5% of the schedule reproduces neither column; whether
the remaining 97.5% would, this run cannot say.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np

from mmjax.cli_parser import Parser
from mmjax.gan.gan2d import step as gan2d
from mmjax.gan.gan2d.config import PAPER_NETS, Gan2dConfig

# Lin et al. 2018, Table 1: (modes captured, % high-quality samples)
PAPER = {
    ("ring", 1): (6.3, 98.2),
    ("ring", 2): (7.9, 95.6),
    ("grid", 1): (17.3, 94.8),
    ("grid", 2): (23.8, 91.3),
}


def mean_and_standard_error(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, np.float64)
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0


def main() -> None:
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10, help="independent trainings per cell")
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="training steps per seed (default 20,000; 400,000 with --paper-scale); the cosine schedule spans them",
    )
    parser.add_argument("--paper-scale", action="store_true", help="the paper's nets, lr and 400k steps")
    parser.add_argument("--mixtures", nargs="+", default=["ring", "grid"], choices=["ring", "grid"])
    parser.add_argument("--eval-every", type=int, default=None, help="score every N steps (default: at the end)")
    parser.add_argument("--out", default="bench/results/mode_coverage.json")
    args = parser.parse_args()

    if args.paper_scale:
        base = Gan2dConfig(**PAPER_NETS)
        steps = args.steps or 400_000
    else:
        base, steps = Gan2dConfig(), args.steps or 20_000
    seeds = list(range(args.seeds))
    rows = []
    for mixture in args.mixtures:
        for pack in (1, 2):
            config = dataclasses.replace(base, mixture=mixture, pack=pack)
            method = "GAN" if pack == 1 else f"PacGAN{pack}"
            start, start_cpu = time.perf_counter(), time.process_time()

            def report(step, metrics, mixture=mixture, method=method, start=start):
                quality = 100 * np.asarray(metrics["high_quality"])
                print(
                    f"  {mixture} {method} step {step}: modes {np.mean(metrics['modes']):5.2f}  "
                    f"high quality {quality.mean():5.1f} %  [{time.perf_counter() - start:.0f} s]",
                    flush=True,
                )

            result = gan2d.train_and_evaluate_seeds(
                config, seeds, steps, eval_every=args.eval_every, on_eval=report if args.eval_every else None
            )
            modes = np.asarray(result["modes"])
            quality = 100 * np.asarray(result["high_quality"])
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
            curve = result["curve"]
            rows.append(
                {
                    "mixture": mixture,
                    "method": method,
                    "pack": pack,
                    "modes_mean_se": mean_and_standard_error(modes),
                    "high_quality_pct_mean_se": mean_and_standard_error(quality),
                    "modes_per_seed": modes.tolist(),
                    "high_quality_pct_per_seed": quality.astype(np.float64).round(2).tolist(),
                    "paper_modes": PAPER[(mixture, pack)][0],
                    "paper_high_quality_pct": PAPER[(mixture, pack)][1],
                    "seconds": seconds,
                    "cpu_seconds": cpu_seconds,  # all threads of this process; includes compiling
                    "cpu_ms_per_step_per_seed": 1e3 * cpu_seconds / (steps * len(seeds)),
                    "curve": {
                        "step": curve["step"].tolist(),
                        "modes_per_seed": curve["modes"].tolist(),
                        "high_quality_pct_per_seed": (100 * curve["high_quality"].astype(np.float64)).round(2).tolist(),
                    },
                }
            )
            r = rows[-1]
            print(
                f"{mixture:5s} {r['method']:8s} modes {r['modes_mean_se'][0]:5.2f} +- {r['modes_mean_se'][1]:4.2f} "
                f"(paper {r['paper_modes']:4.1f})   high quality {r['high_quality_pct_mean_se'][0]:5.1f} +- "
                f"{r['high_quality_pct_mean_se'][1]:4.1f} % (paper {r['paper_high_quality_pct']:4.1f} %)   "
                f"[{seconds:.0f} s; {r['cpu_ms_per_step_per_seed']:.2f} CPU ms per step per seed]",
                flush=True,
            )
            out = Path(args.out)  # rewritten after every cell, so a long run leaves partial results
            out.parent.mkdir(parents=True, exist_ok=True)
            record = {"config": dataclasses.asdict(base), "steps": steps, "seeds": seeds, "rows": rows}
            out.write_text(json.dumps(record, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
