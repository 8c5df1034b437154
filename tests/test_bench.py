"""The measuring tools behind ``python -m bench``: FLOP counts against closed forms, the profile's joins, the CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

from bench.profile import hlo_instructions, kind_of, profile
from mmjax.utils.flops import compiled_flops, memory_bytes, profile_step, stable_peak

ROOT = Path(__file__).resolve().parents[1]


def test_matmul_flops_are_2mkn_and_the_profile_reports_them():
    m, k, n = 64, 48, 32
    a, b = jnp.ones((m, k)), jnp.ones((k, n))
    matmul = jax.jit(jnp.matmul)
    assert compiled_flops(matmul, a, b) == 2 * m * k * n
    figures = profile_step(matmul, a, b, repeats=3, warmup=1)
    assert figures["flops"] == 2 * m * k * n
    assert 0 < figures["fastest_seconds"] <= figures["seconds"] <= figures["slowest_seconds"]
    assert figures["compile_seconds"] > 0
    # XLA's plan holds at least the two inputs and the output, in float32
    assert figures["memory_bytes"] >= 4 * (m * k + k * n + m * n)


def test_memory_plan_subtracts_donated_inputs():
    x = jnp.ones((256, 256))
    plain = jax.jit(lambda x: x * 2.0).lower(x).compile()
    donated = jax.jit(lambda x: x * 2.0, donate_argnums=0).lower(x).compile()
    assert memory_bytes(donated) <= memory_bytes(plain) - x.nbytes + 1024


def test_stable_peak_keeps_the_best_trial_and_its_spread():
    peak = stable_peak(size=128, trials=3)
    assert peak["flops_per_second"] >= peak["median_flops_per_second"] > 0
    assert peak["spread"] >= 1.0 and peak["size"] == 128 and peak["trials"] == 3


def test_profile_joins_trace_events_with_forward_and_backward_hlo():
    def loss(w, x):
        y = jax.lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return jnp.sum(jnp.tanh(y @ jnp.ones((8, 4))))

    w, x = jnp.ones((3, 3, 4, 8)) * 0.1, jnp.ones((4, 16, 16, 4))
    grad = jax.jit(jax.grad(loss))
    table = hlo_instructions(grad.lower(w, x).compile().as_text())
    kinds = {kind_of(instruction) for instruction in table.values()}
    assert {"convolution, forward", "convolution, backward"} <= kinds
    assert kind_of(None) == "runtime (not an HLO op)"
    result = profile(grad, (w, x), calls=2, top=5)
    assert result["ms_in_ops"] > 0 and len(result["top_ops"]) <= 5
    assert sum(result["ms_by_kind"].values()) == pytest.approx(result["ms_in_ops"])
    assert all(op["op"] in table for op in result["top_ops"])


def run_bench(*args: str, tmp_path: Path, devices: int = 1) -> subprocess.CompletedProcess:
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    return subprocess.run(
        [sys.executable, "-m", "bench", *args, "--out", str(tmp_path / "bench.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_bench_cli_writes_every_figure_it_prints(tmp_path):
    cases = ["judge", "lm_32_cached", "lm_32_uncached"]
    done = run_bench("--only", *cases, "--repeats", "1", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "stable peak" in done.stdout and "KV cache (language model, 32 tokens):" in done.stdout
    report = json.loads((tmp_path / "bench.json").read_text())
    rows = {row["key"]: row for row in report["cases"]}
    assert list(rows) == cases
    step = rows["judge"]
    assert step["flops"] > 0 and 0 < step["fraction_of_peak"] and step["fraction_target"] == 0.40
    assert step["items_per_call"] == step["config"]["batch_size"]
    assert step["warm_compile_seconds"] > 0 and step["memory_bytes"] > 0
    # decoding runs in a while loop, whose body XLA counts once: no FLOP figure is claimed for it
    assert rows["lm_32_cached"]["flops"] is None and rows["lm_32_cached"]["fraction_of_peak"] is None
    assert report["summary"]["lm_32_kv_cache_speedup"] > 0
    assert report["peak"]["flops_per_second"] > 0

    # data parallel over two CPU devices: the same step, each device doing half; the FLOPs reported are the sum
    done = run_bench("--only", "judge", "--repeats", "1", tmp_path=tmp_path / "two", devices=2)
    assert done.returncode == 0, done.stderr
    (split,) = json.loads((tmp_path / "two" / "bench.json").read_text())["cases"]
    assert split["name"] == "judge train step on 2 devices" and split["devices"] == 2
    assert split["flops"] == pytest.approx(step["flops"], rel=0.02)


def test_bench_cli_names_the_cases_when_one_is_unknown(tmp_path):
    done = run_bench("--only", "nope", tmp_path=tmp_path)
    assert done.returncode == 2
    assert "unknown case(s) nope" in done.stderr and "text2image" in done.stderr


def test_bench_scaling_fits_the_batch_law_and_draws_its_figures(tmp_path):
    done = run_bench("--scaling", "--quick", "--repeats", "1", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "scaling.json").read_text())
    (sweep,) = report["sweeps"]
    assert [row["value"] for row in sweep["rows"]] == [8, 16]
    # a step's FLOPs are per example: doubling the batch doubles them (XLA's count, not a timing)
    assert sweep["exponents"]["flops"] == pytest.approx(1.0, abs=0.05)
    for name in ("scaling.png", "scaling_fraction_of_peak.png"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_scanned_gan2d_case_counts_every_step_of_its_scan():
    """XLA's cost analysis counts a scan's body once, so the scanned case multiplies by its steps: three
    scanned steps report three single steps' FLOPs (plus the batches drawn inside the program)."""
    from bench.cases import gan2d_paper_case

    single, scanned = gan2d_paper_case(1), gan2d_paper_case(3)
    assert scanned.body_repeats == 3 and scanned.items == 3 * single.items
    one_step = compiled_flops(single.fn, *single.args)
    assert compiled_flops(scanned.fn, *scanned.args) == pytest.approx(one_step, rel=0.05)
