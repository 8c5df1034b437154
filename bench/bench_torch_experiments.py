"""Cheap candidate fixes for the JAX/PyTorch gap, each measured as ``bench/bench_torch.py`` measures: one
process per setting, JAX and PyTorch interleaved inside it, so each setting's JAX/PyTorch ratio is measured
back to back whatever the machine's load did between settings.

    python bench/bench_torch_experiments.py                     # every setting, dcgan, 10 pairs each
    python bench/bench_torch_experiments.py --only text2image --settings baseline ynn_off

Settings change only the environment (XLA_FLAGS) or PyTorch's options, never the library. The JSON
(bench/results/torch_experiments.json) keeps every setting's full bench_torch report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name -> (extra XLA_FLAGS, other environment variables, extra bench_torch arguments, what it tries)
SETTINGS = {
    "baseline": ("", {}, [], "defaults: XLA as shipped, PyTorch on torch.get_num_threads() threads"),
    "torch_1_thread": ("", {}, ["--torch-threads", "1"], "PyTorch on one thread (is it using both cores?)"),
    "torch_omp_passive": (
        "",
        {"OMP_WAIT_POLICY": "PASSIVE"},
        [],
        "PyTorch's OpenMP threads sleep, not spin, at barriers",
    ),
    "eigen_single_thread": ("--xla_cpu_multi_thread_eigen=false", {}, [], "XLA's Eigen ops on one thread"),
    "two_devices": ("--xla_force_host_platform_device_count=2", {}, [], "JAX data parallel over 2 CPU devices"),
    "ynn_off": ("--xla_cpu_experimental_ynn_fusion_type=", {}, [], "XLA's own convolutions instead of YNNPACK's"),
    "ynn_conv_dot_eltwise": (
        "--xla_cpu_experimental_ynn_fusion_type=LIBRARY_FUSION_TYPE_INDIVIDUAL_CONVOLUTION,"
        "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT,LIBRARY_FUSION_TYPE_ELTWISE",
        {},
        [],
        "YNNPACK for matmuls and elementwise too",
    ),
    "both_one_thread": (
        "--xla_cpu_multi_thread_eigen=false",
        {},
        ["--torch-threads", "1"],
        "one core each: XLA's Eigen ops and PyTorch on one thread",
    ),
    "torch_channels_last": ("", {}, ["--channels-last"], "PyTorch convolutions in NHWC memory, as XLA's"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", default=["dcgan"], choices=["dcgan", "text2image"])
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--out", default="bench/results/torch_experiments.json")
    args = parser.parse_args(argv)
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    for name in args.settings:
        flags, variables, extra, what = SETTINGS[name]
        env = {**os.environ, **variables}
        env["XLA_FLAGS"] = " ".join(filter(None, [os.environ.get("XLA_FLAGS", ""), flags]))
        with tempfile.TemporaryDirectory() as tmp:
            report_path = Path(tmp) / "report.json"
            command = [sys.executable, "-m", "bench.bench_torch", "--only", *args.only,
                       "--repeats", str(args.repeats), "--out", str(report_path), *extra]  # fmt: skip
            done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
            if done.returncode:
                print(f"{name}: failed\n{done.stderr[-2000:]}")
                continue
            report = json.loads(report_path.read_text())
        report["what"], report["environment"] = what, variables
        for case, row in report["cases"].items():
            results.setdefault(case, {})[name] = report
            print(
                f"{case:<11} {name:<22} JAX {row['jax_ms']:7.1f} ms  torch {row['torch_ms']:7.1f} ms"
                f"  JAX/torch {row['ratio_of_medians']:5.2f} (pairwise {row['median_pair_ratio']:5.2f})"
                f"  load {row['load_average'][0]}",
                flush=True,
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
