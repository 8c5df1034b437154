"""Where a step's time goes: ``python -m bench --profile CASE``.

Traces a few calls of the compiled step with ``jax.profiler``, reads the Perfetto trace back, and joins
every executed XLA operation with its line in the compiled HLO, whose metadata says which JAX primitive
it came from and whether it belongs to the forward pass (``jvp(...)``) or the backward pass
(``transpose(jvp(...))``). Operations are then grouped into a few kinds that explain most steps:

* convolution / matmul, forward or backward (for a convolution, the backward pass is two programs: the
  input gradient and the weight gradient);
* elementwise work fused by XLA (activations, normalisation, the optimiser's update);
* copies and transposes (layout changes that move memory and compute nothing).
"""

from __future__ import annotations

import collections
import gzip
import json
import re
import tempfile
from pathlib import Path

import jax

_INSTRUCTION = re.compile(r"^\s*(?:ROOT )?%?([\w.\-]+) = (\S+) (\w[\w-]*)\((.*)$")


def hlo_instructions(hlo_text: str) -> dict[str, dict[str, str]]:
    """Instruction name -> its output shape, opcode and JAX op_name (from the compiled HLO's metadata)."""
    table = {}
    for line in hlo_text.splitlines():
        match = _INSTRUCTION.match(line)
        if match:
            name, shape, opcode, rest = match.groups()
            op_name = re.search(r'op_name="([^"]*)"', rest)
            kind = re.search(r'"kind":"(\w+)"', rest)
            table[name] = {
                "shape": shape,
                "opcode": opcode,
                "op_name": op_name.group(1) if op_name else "",
                "fusion_kind": kind.group(1) if kind else "",
            }
    return table


def kind_of(instruction: dict[str, str] | None) -> str:
    """One of a few kinds of work, from the instruction's opcode and the JAX primitive behind it."""
    if instruction is None:
        return "runtime (not an HLO op)"
    op_name, opcode = instruction["op_name"], instruction["opcode"]
    backward = "transpose(" in op_name
    if "conv_general_dilated" in op_name or opcode == "convolution":
        return "convolution, backward" if backward else "convolution, forward"
    if "dot_general" in op_name or opcode == "dot":
        return "matmul, backward" if backward else "matmul, forward"
    if opcode in ("copy", "transpose"):
        return "copy / transpose"
    return "elementwise and other fusions"


def profile(fn, args: tuple, calls: int = 5, top: int = 15) -> dict:
    """Trace ``calls`` calls of the compiled ``fn(*args)``; per-call milliseconds by kind and by operation."""
    compiled = fn.lower(*args).compile()
    instructions = hlo_instructions(compiled.as_text())
    for _ in range(2):
        jax.block_until_ready(compiled(*args))
    with tempfile.TemporaryDirectory() as folder:
        with jax.profiler.trace(folder, create_perfetto_trace=True):
            for _ in range(calls):
                jax.block_until_ready(compiled(*args))
        trace_file = next(Path(folder).rglob("perfetto_trace.json.gz"))
        events = json.loads(gzip.decompress(trace_file.read_bytes()))
    events = events["traceEvents"] if isinstance(events, dict) else events
    per_op = collections.Counter()
    for event in events:
        if event.get("ph") == "X" and event.get("name") in instructions:
            per_op[event["name"]] += event.get("dur", 0) / 1e3 / calls  # microseconds -> ms per call
    per_kind = collections.Counter()
    for name, ms in per_op.items():
        per_kind[kind_of(instructions[name])] += ms
    ops = [
        {"op": name, "ms": ms, "kind": kind_of(instructions[name]), "shape": instructions[name]["shape"]}
        for name, ms in per_op.most_common(top)
    ]
    return {"ms_by_kind": dict(per_kind.most_common()), "ms_in_ops": sum(per_op.values()), "top_ops": ops}


def print_profile(name: str, result: dict, step_ms: float | None = None) -> None:
    total = result["ms_in_ops"]
    print(f"\n{name}: {total:.1f} ms per call inside XLA operations" + (f" (step {step_ms:.1f} ms)" if step_ms else ""))
    for kind, ms in result["ms_by_kind"].items():
        print(f"  {kind:<32} {ms:8.2f} ms  {ms / total:6.1%}")
    print("  slowest operations:")
    for op in result["top_ops"]:
        print(f"    {op['ms']:7.2f} ms  {op['kind']:<30} {op['shape']:<28} {op['op']}")
