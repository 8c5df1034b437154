"""Every train step and the shipped models' generation, measured the same way: ``python -m bench``.

    python -m bench                          # all cases; prints a table, writes bench/results/bench.json
    python -m bench --only dcgan text2image  # some cases (names: --list)
    python -m bench --repeats 20             # more timed calls per case (the median is reported)
    python -m bench --profile text2image     # where one case's time goes, by kind of XLA operation
    python -m bench --scaling                # time, FLOPs, memory against size: power laws and plots
    python -m bench --torch                  # dcgan and text2image against PyTorch mirrors (bench/bench_torch.py)

Per case: the median step time after warm-up, the compile time (cold, and warm from the persistent
compilation cache that ``mmjax train`` keeps on by default), XLA's FLOPs per call, the achieved
FLOP/s, XLA's memory plan for the call (arguments + outputs + temporaries), and the fraction of a
*stable* peak: the best of five 2048^2 float32 matmuls timed in the same process (their spread is
printed, so a reader sees how much the machine itself moved while it was measured). The same script
runs on CPU, GPU and TPU; the device is in the JSON. Train steps run data-parallel over every device JAX
sees, as ``mmjax train`` does (FLOPs are then the sum over devices, memory is one device's plan); on CPU,
``XLA_FLAGS=--xla_force_host_platform_device_count=2 python -m bench`` makes two cores two devices.

Targets on 2 CPU cores: image train steps >= 0.40 of the peak, Transformer train steps >= 0.30, the KV
cache >= 3x faster than recomputing, every compile <= 10 s. The table marks each.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import jax

from bench import scaling
from bench.cases import all_cases, describe
from bench.profile import print_profile, profile
from mmjax.cli_parser import Parser
from mmjax.train.compile_cache import enable_compilation_cache
from mmjax.utils.flops import profile_step, stable_peak

FRACTION_TARGETS = {"image train step": 0.40, "transformer train step": 0.30}
COMPILE_TARGET_SECONDS = 10.0
CACHE_SPEEDUP_TARGET = 3.0


def warm_compile_seconds(case) -> float:
    """Seconds to compile ``case`` again from the persistent cache, as a restarted ``mmjax train`` does."""
    jax.clear_caches()  # forget the in-memory executable, so only the on-disk cache can help
    start = time.perf_counter()
    case.fn.lower(*case.args).compile()
    return time.perf_counter() - start


def measure(name: str, build, peak: float, repeats: int) -> dict:
    case = build()
    figures = profile_step(case.fn, *case.args, repeats=repeats)
    figures["warm_compile_seconds"] = warm_compile_seconds(case)
    figures["flops"] *= case.devices  # every device runs its share: the step's FLOPs are the sum
    figures["flops"] *= case.body_repeats  # a scan of train steps: XLA counted one step's body
    figures["devices"] = case.devices
    achieved = figures["flops"] / figures["seconds"] if case.flops_counted else None
    row = {**describe(case), **figures, "achieved_flops_per_second": achieved}
    row["fraction_of_peak"] = None if achieved is None else achieved / peak
    if not case.flops_counted:
        row["flops"] = None  # a decoding loop: XLA counts one iteration, so no FLOP figure is claimed
    row["items_per_second"] = case.items / figures["seconds"]
    row["key"], row["config"] = name, case.config
    target = FRACTION_TARGETS.get(case.kind)
    row["fraction_target"] = target
    row["meets_fraction_target"] = None if target is None else bool(row["fraction_of_peak"] >= target)
    row["meets_compile_target"] = bool(figures["compile_seconds"] <= COMPILE_TARGET_SECONDS)
    row["meets_compile_target_warm"] = bool(figures["warm_compile_seconds"] <= COMPILE_TARGET_SECONDS)
    return row


def print_row(row: dict) -> None:
    memory = "-" if row["memory_bytes"] is None else f"{row['memory_bytes'] / 2**20:.1f}"
    target = "" if row["fraction_target"] is None else f" (target {row['fraction_target']:.2f})"
    counted = row["flops"] is not None
    flops = (
        f"{row['flops'] / 1e9:8.3f} {row['achieved_flops_per_second'] / 1e9:8.1f}" if counted else f"{'-':>8} {'-':>8}"
    )
    fraction = f"{row['fraction_of_peak']:6.3f}" if counted else f"{'-':>6}"
    print(
        f"{row['name']:<52} {row['seconds'] * 1e3:9.2f}"
        f" {row['compile_seconds']:6.1f}/{row['warm_compile_seconds']:<4.1f} {flops}"
        f" {fraction}{target:<15}"
        f" {memory:>7} {row['items_per_second']:10.0f} {row['unit']}/s",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--torch" in argv:  # its own options (python -m bench --torch --help): see bench/bench_torch.py
        from bench import bench_torch

        return bench_torch.main([a for a in argv if a != "--torch"])
    parser = Parser(prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="CASE", help="cases to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--repeats", type=int, default=10, help="timed calls per case after 2 warm-up calls")
    parser.add_argument("--out", default="bench/results/bench.json", help="where the JSON report goes")
    parser.add_argument("--profile", metavar="CASE", help="trace one case and print its time by kind of operation")
    parser.add_argument("--scaling", action="store_true", help="sweep sizes instead (see bench/scaling.py)")
    parser.add_argument("--quick", action="store_true", help="with --scaling: one short sweep (for tests)")
    parser.add_argument("--torch", action="store_true", help="the JAX steps against PyTorch mirrors (--torch --help)")
    args = parser.parse_args(argv)
    cases = all_cases()
    if args.list:
        print("\n".join(cases))
        return 0
    if args.profile:
        if args.profile not in cases:
            parser.error(f"unknown case {args.profile!r}; the cases are: {', '.join(cases)}")
        case = cases[args.profile]()
        result = profile(case.fn, case.args)
        print_profile(case.name, result)
        out = Path(args.out).with_name(f"profile_{args.profile}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {out}")
        return 0
    names = args.only or list(cases)
    unknown = sorted(set(names) - set(cases))
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; the cases are: {', '.join(cases)}")
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")

    # A fresh persistent cache, so the first compile of each case is cold and the second one warm.
    cache = tempfile.TemporaryDirectory(prefix="mmjax-bench-cache-")
    enable_compilation_cache(cache.name)
    device = jax.devices()[0]
    print(
        f"device: {device.device_kind} ({jax.default_backend()}, {jax.device_count()} device(s)), JAX {jax.__version__}"
    )
    peak = stable_peak()
    print(
        f"stable peak: {peak['flops_per_second'] / 1e9:.1f} GFLOP/s (best of {peak['trials']} {peak['size']}^2 float32"
        f" matmuls; median {peak['median_flops_per_second'] / 1e9:.1f}, spread max/min {peak['spread']:.2f})\n"
    )
    if args.scaling:
        scaling.main(peak["flops_per_second"], Path(args.out).parent, args.repeats, quick=args.quick)
        return 0
    header = (
        f"{'case':<52} {'ms/call':>9} {'compile s':>11} {'GFLOP':>8} {'GFLOP/s':>8} {'peak':>6}{'':<15} {'MiB':>7}"
        f" {'throughput':>10}"
    )
    print(header)
    print("-" * len(header))
    started = time.perf_counter()
    rows = []
    for name in names:
        rows.append(measure(name, cases[name], peak["flops_per_second"], args.repeats))
        print_row(rows[-1])
    by_key = {row["key"]: row for row in rows}
    summary = {}
    print()
    for prefix, what in (("generate_text", "captioner, 22 tokens"), ("lm_32", "language model, 32 tokens")):
        cached, uncached = by_key.get(f"{prefix}_cached"), by_key.get(f"{prefix}_uncached")
        if cached and uncached:
            speedup = uncached["seconds"] / cached["seconds"]
            summary[f"{prefix}_kv_cache_speedup"] = speedup
            target = f"target {CACHE_SPEEDUP_TARGET:.0f}x at 32 tokens"
            print(f"KV cache ({what}): {speedup:.2f}x faster than recomputing the prefix ({target})")
            if prefix == "lm_32":
                summary["meets_kv_cache_target"] = bool(speedup >= CACHE_SPEEDUP_TARGET)
    slowest = max(rows, key=lambda row: row["compile_seconds"])
    compile_target = f"target <= {COMPILE_TARGET_SECONDS:.0f} s"
    print(
        f"slowest compile: {slowest['name']} {slowest['compile_seconds']:.1f} s cold,"
        f" {slowest['warm_compile_seconds']:.1f} s from the persistent cache ({compile_target})"
    )
    if any(row["flops"] is None for row in rows):
        print("-: a decoding loop (lax.while_loop); XLA's cost analysis counts its body once, so no FLOPs are claimed")
    missed = [row["name"] for row in rows if row["meets_fraction_target"] is False]
    print(f"below their fraction-of-peak target: {', '.join(missed) if missed else 'none'}")
    report = {
        "device": {"kind": device.device_kind, "backend": jax.default_backend(), "count": jax.device_count()},
        "jax": jax.__version__,
        "python": platform.python_version(),
        "peak": peak,
        "cases": rows,
        "summary": summary,
        "seconds": time.perf_counter() - started,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
