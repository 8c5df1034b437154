"""Rendering throughput of the Shapes world: examples per second per modality, on one core.

Run: python bench/bench_render.py [--seconds 2]. Prints a table and writes bench/results/render.json.
Each figure is the median of 3 timed rounds (the machine is shared: medians, not means).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from mmjax.cli_parser import Parser
from mmjax.data.shapes import example

CASES = {
    "scene only": (),
    "image 32x32": ("image",),
    "caption + tokens": ("caption",),
    "video 8x32x32": ("video",),
    "audio 0.58 s": ("audio",),
    "all four": ("image", "caption", "video", "audio"),
}


def examples_per_second(modalities: tuple[str, ...], seconds: float) -> float:
    rates = []
    for round_index in range(3):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            example(0, "train", round_index * 1_000_000 + count, modalities)
            count += 1
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = Parser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="timed seconds per modality")
    parser.add_argument("--out", default="bench/results/render.json")
    args = parser.parse_args()
    results = {name: examples_per_second(modalities, args.seconds) for name, modalities in CASES.items()}
    print(f"{'modality':20s} {'examples/s (1 core)':>20s}")
    for name, rate in results.items():
        print(f"{name:20s} {rate:20,.0f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"examples_per_second": results}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
