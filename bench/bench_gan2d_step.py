"""The 2-D mixture GAN's train step, timed the way bench_mode_coverage.py runs it, at the default and the paper sizes.

Run: python bench/bench_gan2d_step.py [--scan-steps 50] [--out bench/results/gan2d_step.json]

For each size (default nets; the paper's G 4 x 400 + BN and D 3 x 200 maxout-5) and pack (GAN, PacGAN2),
on the grid, it prints XLA's FLOPs per step, then two timings from ``mmjax.utils.flops.profile_step``:

* ``single``: one jitted ``train_step`` per call, as ``mmjax train gan2d`` dispatches it;
* ``scanned``: ``train_steps``, ``--scan-steps`` steps in one ``lax.scan`` per call, as the table trains
  (its FLOPs are the single step's times the steps: XLA's cost analysis counts a loop's body once);

and the achieved FLOP/s as a fraction of ``stable_peak()`` measured in the same run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import jax
import jax.numpy as jnp

from mmjax.gan.gan2d import data
from mmjax.gan.gan2d import step as gan2d
from mmjax.gan.gan2d.config import PAPER_NETS, Gan2dConfig
from mmjax.utils.flops import profile_step, stable_peak

SIZES = {
    "default": Gan2dConfig(mixture="grid"),
    "paper": Gan2dConfig(mixture="grid", **PAPER_NETS),
}


def profile(config: Gan2dConfig, scan_steps: int) -> dict:
    """FLOPs and median seconds per step of one seed, single-step and scanned."""
    optimizer = gan2d.make_optimizer(config, 400_000)
    state = gan2d.init(config, jax.random.key(0), optimizer)
    points = jnp.asarray(data.make_source(config).points)  # [num_train_examples, 2]
    batch = {"x": points[: config.batch_size * config.pack]}
    single = jax.jit(lambda s, b, k: gan2d.train_step(s, b, k, config, optimizer)[0])
    one = profile_step(single, state, batch, jax.random.key(1))
    scanned = jax.jit(lambda s, k, first: gan2d.train_steps(config, optimizer, points, s, k, first, scan_steps))
    many = profile_step(scanned, state, jax.random.key(1), 0, repeats=5, warmup=1)
    return {
        "flops_per_step": one["flops"],
        "single_seconds": one["seconds"],
        "single_compile_seconds": one["compile_seconds"],
        "scanned_seconds_per_step": many["seconds"] / scan_steps,
        "scanned_compile_seconds": many["compile_seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scan-steps", type=int, default=50, help="steps per scanned call")
    parser.add_argument("--out", default="bench/results/gan2d_step.json")
    args = parser.parse_args()

    peak = stable_peak()
    print(f"stable peak {peak['flops_per_second'] / 1e9:.1f} GFLOP/s (spread {peak['spread']:.2f})", flush=True)
    rows = []
    for size, base in SIZES.items():
        for pack in (1, 2):
            row = {"size": size, "pack": pack, **profile(dataclasses.replace(base, pack=pack), args.scan_steps)}
            for mode in ("single", "scanned"):
                seconds = row["single_seconds" if mode == "single" else "scanned_seconds_per_step"]
                row[f"{mode}_fraction_of_peak"] = row["flops_per_step"] / seconds / peak["flops_per_second"]
            rows.append(row)
            print(
                f"{size:7s} pack {pack}: {row['flops_per_step'] / 1e6:6.0f} MFLOP/step   "
                f"single {1e3 * row['single_seconds']:6.2f} ms ({row['single_fraction_of_peak']:.2f} of peak)   "
                f"scanned {1e3 * row['scanned_seconds_per_step']:6.2f} ms/step "
                f"({row['scanned_fraction_of_peak']:.2f} of peak)   compile {row['single_compile_seconds']:.1f} s",
                flush=True,
            )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"stable_peak": peak, "backend": jax.default_backend(), "rows": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
