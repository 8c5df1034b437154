"""Is XLA's convolution the gap? Each convolution of the DCGAN / text2image players, forward + both backward
passes (input and weight gradients), timed three ways in one process, interleaved:

* ``lax``: ``jax.lax.conv_general_dilated``, as the models call it (NHWC, HWIO, 'SAME');
* ``patches``: the same convolution as im2col + one matmul in JAX (the kh * kw shifted strided slices of the
  padded input concatenated on channels, times the kernel as a [kh * kw * C_in, C_out] matrix);
* ``torch``: ``torch.nn.functional.conv2d`` forward + backward (NCHW, oneDNN).

    python bench/conv_experiment.py            # writes bench/results/conv_experiment.json
    TORCH_THREADS=1 REPEATS=20 python bench/conv_experiment.py /tmp/one_thread.json

A bench-only experiment: nothing in the library changes.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: not bench/ first on the path (its profile.py shadows the stdlib's)
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

# (name, batch, H, W, C_in, C_out, kernel, stride): D reads 2B (DCGAN) or 3B (text2image) images per update
LAYERS = [
    ("D stem 3x3 3->16 @32 (2B)", 64, 32, 32, 3, 16, 3, 1),
    ("D down 4x4/2 16->32 @32 (2B)", 64, 32, 32, 16, 32, 4, 2),
    ("D down 4x4/2 32->64 @16 (2B)", 64, 16, 16, 32, 64, 4, 2),
    ("D down 4x4/2 64->64 @8 (2B)", 64, 8, 8, 64, 64, 4, 2),
    ("G up 3x3 64->256 @4", 32, 4, 4, 64, 256, 3, 1),
    ("G up 3x3 64->128 @8", 32, 8, 8, 64, 128, 3, 1),
    ("G up 3x3 32->64 @16", 32, 16, 16, 32, 64, 3, 1),
    ("G rgb 3x3 16->3 @32", 32, 32, 32, 16, 3, 3, 1),
]


def same_padding(size: int, k: int, s: int) -> tuple[int, int]:
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def conv_lax(x, k, stride):
    return jax.lax.conv_general_dilated(x, k, (stride, stride), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))


def conv_patches(x, k, stride):
    kh, kw, c_in, c_out = k.shape
    b, h, w, _ = x.shape
    (pt, pb), (pl, pr) = same_padding(h, kh, stride), same_padding(w, kw, stride)
    xp = jnp.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    ho, wo = -(-h // stride), -(-w // stride)
    cols = [xp[:, i : i + stride * ho : stride, j : j + stride * wo : stride, :] for i in range(kh) for j in range(kw)]
    patches = jnp.concatenate(cols, axis=-1)  # [B, Ho, Wo, kh * kw * C_in], (i, j, c) order as HWIO
    return (patches.reshape(-1, kh * kw * c_in) @ k.reshape(-1, c_out)).reshape(b, ho, wo, c_out)


def measure_layer(rng, repeats, b, h, w, c_in, c_out, kk, s) -> dict:
    """Median ms of forward + backward of one convolution: lax, patches, torch (interleaved)."""
    import torch

    x = jnp.asarray(rng.standard_normal((b, h, w, c_in), np.float32))
    k = jnp.asarray(rng.standard_normal((kk, kk, c_in, c_out), np.float32) * 0.1)
    ct = jnp.asarray(rng.standard_normal((b, -(-h // s), -(-w // s), c_out), np.float32))
    fns = {}
    for label, conv in (("lax", conv_lax), ("patches", conv_patches)):
        fns[label] = jax.jit(jax.grad(lambda x, k, conv=conv: jnp.sum(conv(x, k, s) * ct), argnums=(0, 1)))
    ref = fns["lax"](x, k)
    got = fns["patches"](x, k)
    np.testing.assert_allclose(np.asarray(got[1]), np.asarray(ref[1]), rtol=2e-3, atol=2e-3)
    tx = torch.from_numpy(np.array(x)).permute(0, 3, 1, 2).contiguous().requires_grad_()
    tk = torch.from_numpy(np.array(k)).permute(3, 2, 0, 1).contiguous().requires_grad_()
    tct = torch.from_numpy(np.array(ct)).permute(0, 3, 1, 2).contiguous()
    pad = (kk - 1) // 2 if s == 1 else 1

    def run_torch():
        y = torch.nn.functional.conv2d(tx, tk, stride=s, padding=pad)
        return torch.autograd.grad((y * tct).sum(), (tx, tk))

    runs = {
        "lax": lambda: jax.block_until_ready(fns["lax"](x, k)),
        "patches": lambda: jax.block_until_ready(fns["patches"](x, k)),
        "torch": run_torch,
    }
    times = {label: [] for label in runs}
    order = list(runs)
    for i in range(repeats + 3):
        for label in order if i % 2 == 0 else order[::-1]:
            t = time.perf_counter()
            runs[label]()
            if i >= 3:
                times[label].append(time.perf_counter() - t)
    return {label: statistics.median(v) * 1e3 for label, v in times.items()}


def main() -> int:
    import torch

    repeats = int(os.environ.get("REPEATS", "30"))
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", torch.get_num_threads())))
    rng = np.random.default_rng(0)
    rows = []
    print(f"load average {os.getloadavg()}, torch threads {torch.get_num_threads()}, XLA_FLAGS "
          f"{os.environ.get('XLA_FLAGS', '')!r}")  # fmt: skip
    print(f"{'layer':<32} {'lax ms':>8} {'patches':>8} {'torch':>8} {'lax/torch':>9} {'patch/torch':>11}")
    for name, b, h, w, c_in, c_out, kk, s in LAYERS:
        ms = measure_layer(rng, repeats, b, h, w, c_in, c_out, kk, s)
        row = {"layer": name, **{f"{k}_ms": v for k, v in ms.items()}}
        row["lax_over_torch"], row["patches_over_torch"] = ms["lax"] / ms["torch"], ms["patches"] / ms["torch"]
        rows.append(row)
        print(
            f"{name:<32} {ms['lax']:8.2f} {ms['patches']:8.2f} {ms['torch']:8.2f}"
            f" {row['lax_over_torch']:9.2f} {row['patches_over_torch']:11.2f}",
            flush=True,
        )
    total = {label: sum(r[f"{label}_ms"] for r in rows) for label in ("lax", "patches", "torch")}
    print(f"{'sum':<32} {total['lax']:8.2f} {total['patches']:8.2f} {total['torch']:8.2f}")
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/conv_experiment.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"load_average_after": os.getloadavg(), "xla_flags": os.environ.get("XLA_FLAGS", ""), "rows": rows}
    out.write_text(json.dumps({**report, "total_ms": total}, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
