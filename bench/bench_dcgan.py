"""Conditional DCGAN train step on CPU (or any device): time, XLA FLOPs, achieved FLOP/s, fraction of matmul peak.

Run: python bench/bench_dcgan.py [--batch-size 64] [--width 32] [--repeats 5]
Prints the figures and writes bench/results/dcgan.json. The peak is a large square matmul measured in
the same process (mmjax.utils.flops.matmul_peak_flops), so the ratio is comparable across machines.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import jax

from mmjax.data.loader import Loader
from mmjax.gan.dcgan import step as dcgan
from mmjax.gan.dcgan.config import DCGANConfig
from mmjax.gan.dcgan.data import make_source
from mmjax.utils.flops import compiled_flops, matmul_peak_flops, median_seconds, throughput_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch-size", type=int, default=DCGANConfig.batch_size)
    parser.add_argument("--width", type=int, default=DCGANConfig.width)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="bench/results/dcgan.json")
    args = parser.parse_args()

    config = dataclasses.replace(DCGANConfig(), batch_size=args.batch_size, width=args.width)
    batch = next(Loader(make_source(config), config.batch_size))
    optimizer = dcgan.make_optimizer(config, num_steps=1000)  # the run's length only sets step sizes
    state = dcgan.init(config, jax.random.key(0), optimizer)
    # Not donated here: the timed call reuses the same state every repeat.
    step = jax.jit(lambda state, batch, key: dcgan.train_step(state, batch, key, config, optimizer))
    key = jax.random.key(1)
    flops = compiled_flops(step, state, batch, key)
    seconds = median_seconds(step, state, batch, key, repeats=args.repeats)
    peak = matmul_peak_flops()
    name = f"dcgan train step (batch {config.batch_size}, width {config.width})"
    report = throughput_report(name, flops, seconds, peak)
    report.update(
        {
            "device": str(jax.devices()[0]),
            "images_per_second": config.batch_size / seconds,
            "config": dataclasses.asdict(config),
        }
    )
    print(f"{report['name']} on {report['device']}")
    print(f"  step time          {seconds * 1e3:9.1f} ms   ({report['images_per_second']:.0f} images/s)")
    print(f"  XLA FLOPs / step   {flops / 1e9:9.2f} GFLOP")
    print(f"  achieved           {report['achieved_flops_per_second'] / 1e9:9.2f} GFLOP/s")
    print(f"  matmul peak        {peak / 1e9:9.2f} GFLOP/s")
    print(f"  fraction of peak   {report['fraction_of_peak']:9.3f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
