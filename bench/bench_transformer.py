"""Encoder-decoder Transformer: train-step time, XLA FLOPs, achieved FLOP/s vs the matmul peak; decoding speed.

Run: python bench/bench_transformer.py [--batch-size 64] [--d-model 64] [--layers 2] [--repeats 10]
Prints the figures and writes bench/results/transformer.json. The model is the seq2seq task's
(sequences of up to --length symbols); FLOPs come from XLA's cost analysis of the compiled step and the
peak is a large matmul timed in the same process (mmjax.utils.flops), so the ratio is machine-independent.
Times are medians (the machine may be shared). The step is jitted without donation so that the same
state can be timed repeatedly; donation changes memory use, not FLOPs.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
from pathlib import Path

import jax
import jax.numpy as jnp

from mmjax.seq2seq import model as M
from mmjax.seq2seq.config import Seq2SeqConfig, Seq2SeqModelConfig
from mmjax.seq2seq.data import SequenceSource
from mmjax.seq2seq.task import TASK
from mmjax.utils.flops import compiled_flops, matmul_peak_flops, median_seconds, throughput_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2, help="blocks in the encoder and in the decoder")
    parser.add_argument("--length", type=int, default=10, help="longest source sequence")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--peak-size", type=int, default=1024, help="side of the square matmul for the peak")
    parser.add_argument("--out", default="bench/results/transformer.json")
    args = parser.parse_args()

    model = Seq2SeqModelConfig(d_model=args.d_model, num_heads=4, num_layers=args.layers, d_hidden=2 * args.d_model)
    config = Seq2SeqConfig(model=model, max_length=args.length, min_length=args.length, batch_size=args.batch_size)
    num_steps = 1000  # the run the optimiser's schedule is built for; it changes values, not the work per step
    state = TASK.init_state(config, jax.random.key(0), num_steps)
    batch = jax.tree.map(jnp.asarray, SequenceSource(config, "train").batch(range(config.batch_size)))
    key = jax.random.key(1)

    step = jax.jit(TASK.bound_train_step(config, num_steps))
    step_seconds = median_seconds(step, state, batch, key, repeats=args.repeats)
    step_flops = compiled_flops(step, state, batch, key)
    peak = matmul_peak_flops(args.peak_size)
    report = throughput_report("seq2seq encoder-decoder train step", step_flops, step_seconds, peak)
    report["sequences_per_second"] = config.batch_size / step_seconds

    # Decoding: greedy with the key/value cache, the whole batch under one lax.while_loop.
    options = dataclasses.replace(M.decode_options(config), eos_id=None)  # never stop early: fixed work
    decode = functools.partial(M.predict, config, options=options)
    decode_seconds = median_seconds(decode, state, batch["source"], repeats=args.repeats)
    report["greedy_decode_tokens_per_second"] = config.batch_size * options.max_length / decode_seconds
    report["config"] = {
        "batch_size": args.batch_size,
        "d_model": args.d_model,
        "layers": args.layers,
        "source_length": args.length,
        "target_length": config.target_length,
        "parameters": sum(x.size for x in jax.tree.leaves(state["params"])),
        "device": str(jax.devices()[0]),
    }

    print(f"train step            {step_seconds * 1e3:9.2f} ms  ({report['sequences_per_second']:,.0f} sequences/s)")
    print(f"FLOPs per step (XLA)  {step_flops:12.4g}")
    print(f"achieved              {report['achieved_flops_per_second'] / 1e9:9.2f} GFLOP/s")
    print(f"matmul peak           {peak / 1e9:9.2f} GFLOP/s  ({args.peak_size}^2 float32, same run)")
    print(f"fraction of peak      {report['fraction_of_peak']:9.3f}")
    print(f"greedy decoding       {report['greedy_decode_tokens_per_second']:9,.0f} tokens/s (with KV cache)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
