"""The JAX train steps against PyTorch mirrors of the same models, timed in one run: ``python -m bench --torch``.

    python -m bench --torch                           # dcgan and text2image, 20 interleaved pairs each
    python -m bench --torch --only dcgan --repeats 40
    python -m bench --torch --profile                 # also: where each step's time goes, by kind of op
    python bench/bench_torch.py --torch-threads 1     # the same, run as a script; PyTorch on one thread

Per case: the JAX step exactly as ``python -m bench`` builds it (``bench.cases.train_step_case``: the task's
config, optimiser and batch), and the PyTorch mirror of ``bench/torch_mirrors.py`` starting from the same
weights (copied from the JAX state) on the same batch. Timings alternate A B B A ... so that a load that
drifts on a shared machine hits both alike; the report gives each side's median, the ratio of the medians
(JAX / PyTorch: above 1 means JAX is slower) and the median of the per-pair ratios. The load average is
recorded before and after. Experiments that change XLA's threading are set from the environment
(``XLA_FLAGS=...``) and recorded in the JSON; PyTorch's threads with ``--torch-threads``.

Needs torch (``pip install -e ".[bench]"``); without it, says so and exits 0.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the repository root, not bench/ (whose profile.py shadows the
    sys.path[0] = str(Path(__file__).resolve().parent.parent)  # standard library's, which torch imports)

CASES = ("dcgan", "text2image")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def build(name: str, channels_last: bool = False):
    """(JAX case, the mirror step with the JAX case's weights, a zero-argument function running one torch step)."""
    import numpy as np
    import torch

    from bench import torch_mirrors as M
    from bench.cases import train_step_case
    from mmjax.data.tokenizer import SPECIALS

    case = train_step_case(name)
    state, batch, _ = case.args
    config = _config(name)
    if name == "dcgan":
        from mmjax.gan.dcgan.data import model_batch
        from mmjax.gan.dcgan.model import CONDITION_VOCAB

        mirror = M.DCGANStep(config, CONDITION_VOCAB)
        second = torch.from_numpy(np.array(model_batch(batch)["condition"])).long()
    else:
        mirror = M.TextToImageStep(config, len(SPECIALS))
        second = torch.from_numpy(np.array(batch["tokens"])).long()
    M.load_jax_params(mirror, state)
    images = torch.from_numpy(np.array(batch["image"]))  # uint8 [B, H, W, 3]: converted inside the step, as JAX
    memory = torch.channels_last if channels_last else torch.contiguous_format
    if channels_last:
        mirror.generator.to(memory_format=memory)
        mirror.discriminator.to(memory_format=memory)

    def torch_step():
        real = (images.float() / 127.5 - 1.0).permute(0, 3, 1, 2).contiguous(memory_format=memory)
        return mirror.step(real, second)

    return case, mirror, torch_step


def _config(name: str):
    from mmjax.train.registry import get_task

    return get_task(name).default_config()


def time_pair(case, torch_step, repeats: int) -> dict:
    """Median seconds of each side over ``repeats`` interleaved calls (A B, B A, A B, ...)."""
    import jax

    start = time.perf_counter()
    compiled = case.fn.lower(*case.args).compile()
    compile_seconds = time.perf_counter() - start

    def run_jax():
        t = time.perf_counter()
        jax.block_until_ready(compiled(*case.args))
        return time.perf_counter() - t

    def run_torch():
        t = time.perf_counter()
        torch_step()
        return time.perf_counter() - t

    for _ in range(3):  # warm-up: allocators, oneDNN primitive caches, XLA's thread pool
        run_jax(), run_torch()
    jax_times, torch_times = [], []
    for i in range(repeats):
        if i % 2 == 0:
            jax_times.append(run_jax())
            torch_times.append(run_torch())
        else:
            torch_times.append(run_torch())
            jax_times.append(run_jax())
    jax_median, torch_median = statistics.median(jax_times), statistics.median(torch_times)
    return {
        "jax_ms": jax_median * 1e3,
        "torch_ms": torch_median * 1e3,
        "ratio_of_medians": jax_median / torch_median,
        "median_pair_ratio": statistics.median(j / t for j, t in zip(jax_times, torch_times)),
        "jax_ms_min": min(jax_times) * 1e3,
        "torch_ms_min": min(torch_times) * 1e3,
        "jax_ms_all": [round(t * 1e3, 2) for t in jax_times],
        "torch_ms_all": [round(t * 1e3, 2) for t in torch_times],
        "jax_compile_seconds": compile_seconds,
    }


# PyTorch ops by kind, named as bench/profile.py names XLA's (self CPU time of each aten op).
def torch_kind(op: str) -> str | None:
    if op.startswith("Optimizer.") or op.startswith("ProfilerStep"):
        return None  # record_function ranges: their ops are counted themselves
    if "convolution_backward" in op:
        return "convolution, backward"
    if "conv" in op:
        return "convolution, forward"
    if op in ("aten::mm", "aten::addmm", "aten::bmm", "aten::matmul", "aten::linear", "aten::baddbmm"):
        return "matmul (forward and backward)"
    if any(s in op for s in ("copy_", "contiguous", "clone", "permute", "transpose", "cat", "pixel_shuffle")):
        return "copy / transpose"
    if op.startswith("aten::_foreach") or "adam" in op.lower():
        return "optimiser (foreach)"
    return "elementwise and other"


def profile_torch(torch_step, calls: int = 5) -> dict:
    import torch
    from torch.profiler import ProfilerActivity, profile

    for _ in range(2):
        torch_step()
    wall = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(calls):
            torch_step()
    wall = (time.perf_counter() - wall) / calls * 1e3
    per_kind, per_op = collections.Counter(), collections.Counter()
    for event in prof.key_averages():
        kind = torch_kind(event.key)
        if kind is None:
            continue
        ms = event.self_cpu_time_total / 1e3 / calls
        per_kind[kind] += ms
        per_op[event.key] += ms
    del torch
    return {
        "ms_by_kind": dict(per_kind.most_common()),
        "ms_in_ops": sum(per_op.values()),
        "wall_ms_profiled": wall,
        "top_ops": [{"op": op, "ms": ms, "kind": torch_kind(op)} for op, ms in per_op.most_common(15)],
    }


def print_kinds(title: str, result: dict) -> None:
    total = result["ms_in_ops"]
    print(f"\n{title}: {total:.1f} ms per call inside ops")
    for kind, ms in result["ms_by_kind"].items():
        print(f"  {kind:<32} {ms:8.2f} ms  {ms / total:6.1%}")
    print("  slowest operations:")
    for op in result["top_ops"][:10]:
        print(f"    {op['ms']:7.2f} ms  {op['kind']:<30} {op.get('shape', ''):<28} {op['op']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench --torch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--only", nargs="+", choices=CASES, default=list(CASES), metavar="CASE")
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per side, interleaved")
    parser.add_argument("--torch-threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--channels-last", action="store_true", help="PyTorch convolutions in NHWC memory")
    parser.add_argument("--profile", action="store_true", help="also where each step's time goes, by kind of op")
    parser.add_argument("--out", default="bench/results/torch.json", help="where the JSON report goes")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    try:
        import torch
    except ImportError:
        print("torch is not installed: pip install -e '.[bench]' (the PyTorch comparison is skipped)")
        return 0
    import jax

    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    settings = {
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_channels_last": args.channels_last,
        "jax": jax.__version__,
        "jax_devices": jax.device_count(),
        "XLA_FLAGS": os.environ.get("XLA_FLAGS", ""),
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", ""),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(", ".join(f"{k} {v}" for k, v in settings.items()))
    report = {"settings": settings, "load_average_before": load_average(), "cases": {}}
    print(f"load average (1, 5, 15 min): {report['load_average_before']}")
    print(f"\n{'case':<12} {'JAX ms':>9} {'torch ms':>9} {'JAX/torch':>10} {'pairwise':>9} {'compile s':>10}")
    for name in args.only:
        case, mirror, torch_step = build(name, args.channels_last)
        row = time_pair(case, torch_step, args.repeats)
        row["load_average"] = load_average()
        report["cases"][name] = row
        print(
            f"{name:<12} {row['jax_ms']:9.1f} {row['torch_ms']:9.1f} {row['ratio_of_medians']:10.2f}"
            f" {row['median_pair_ratio']:9.2f} {row['jax_compile_seconds']:10.1f}   load {row['load_average']}",
            flush=True,
        )
        if args.profile:
            from bench.profile import print_profile, profile

            row["jax_profile"] = profile(case.fn, case.args)
            row["torch_profile"] = profile_torch(torch_step)
            print_profile(f"{name} (JAX)", row["jax_profile"])
            print_kinds(f"{name} (PyTorch)", row["torch_profile"])
    report["load_average_after"] = load_average()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nload average after: {report['load_average_after']}\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
