# %% [markdown]
# # Chapter 7.5: Data parallelism: one program, many devices
#
# With $N$ devices and a global batch of $B$ examples, data parallelism gives each device $B/N$
# examples and a full copy of the parameters. Because the loss is a mean over the batch,
#
# $$\nabla_\theta \frac{1}{B}\sum_{i=1}^{B} \ell_i = \frac{1}{N}\sum_{d=1}^{N} \underbrace{\nabla_\theta
# \frac{N}{B}\sum_{i \in \text{shard } d} \ell_i}_{\text{device } d\text{'s gradient}},$$
#
# so each device computes the gradient of its shard and an **all-reduce** averages them; every device
# then applies the same update and the copies stay equal. JAX offers two ways to write this:
#
# * **`jax.jit` + shardings** (what mmjax's loop uses): write the single-device step, say the batch
#   is split on a mesh axis `data` and the state replicated; the compiler inserts the all-reduce.
# * **`jax.shard_map`**: write the per-device program yourself, with an explicit `lax.pmean`.
#
# We run both on 8 fake CPU devices (`XLA_FLAGS=--xla_force_host_platform_device_count=8`, set before
# JAX starts) and check they agree with one device. On a GPU or TPU nothing changes but the devices.
#
# Prerequisites: chapters 7.1 and 7.4. Run time on 2 CPU cores: about 25 s in quick mode (5 loop steps), 30 s in
# full mode (200 loop steps).

# %%
import os

if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):  # keep flags already set
    os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
import shutil

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from jax.sharding import PartitionSpec as P
from matplotlib.patches import Patch

from mmjax.train import loop, parallel
from mmjax.train.config import TrainConfig
from mmjax.train.toy.config import ToyConfig
from mmjax.train.toy.data import RegressionSource
from mmjax.train.toy.step import mse
from mmjax.train.toy.task import TASK
from mmjax.utils import figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("07_tools/05_data_parallel")
N = jax.device_count()
print(f"{N} devices: {jax.devices()[:2]}...")
chapter.record("devices", N)

# %% [markdown]
# ## A mesh, a replicated state, a sharded batch

# %%
mesh = parallel.make_mesh()  # 1-D, axis "data", all devices
config = ToyConfig(batch_size=64)
state = jax.device_put(TASK.init_state(config, jax.random.key(0), num_steps=1), parallel.replicated(mesh))
source = RegressionSource(config)
batch = {"x": source.x[:64], "y": source.y[:64]}
sharded = jax.device_put(batch, parallel.batch_sharded(mesh))
rows_per_device = [s.data.shape[0] for s in sharded["x"].addressable_shards]
print("x sharding:", sharded["x"].sharding.spec, "| rows per device:", rows_per_device)
chapter.record("rows_per_device", max(rows_per_device))

# %% [markdown]
# ## Version 1: `jit` with shardings; the compiler adds the all-reduce

# %%
optimizer = optax.sgd(0.1)


def loss_of(params, batch):
    """The toy's mean squared error as a function of its trainable parameters alone."""
    return mse(config, {"params": params, "state": {}}, batch["x"], batch["y"])


def step(params, batch):
    loss, grads = jax.value_and_grad(loss_of)(params, batch)
    return optax.apply_updates(params, optimizer.update(grads, optimizer.init(params))[0]), loss


jit_step = jax.jit(step, out_shardings=(parallel.replicated(mesh), parallel.replicated(mesh)))
hlo = jit_step.lower(state["params"], sharded).compile().as_text()
print("all-reduce ops in the compiled program:", hlo.count("all-reduce("))
assert N == 1 or hlo.count("all-reduce(") > 0  # the gradient mean crosses devices
chapter.record("all_reduce_ops", hlo.count("all-reduce("))
params_jit, loss_jit = jit_step(state["params"], sharded)

# %% [markdown]
# ## Version 2: `shard_map`; the per-device program, written out
# Inside, `batch["x"]` has shape `[B/N, D]`: this device's rows. The gradient of the local mean is
# averaged across devices with `lax.pmean` over the `data` axis, which is exactly the all-reduce the
# compiler inserted above. (`check_vma=False` turns off JAX's tracking of which values vary across
# devices; with it on, the gradient of a replicated input would get its `psum` automatically, and
# the explicit `pmean` would then count every gradient N times.)


# %%
def local_step(params, batch):
    loss, grads = jax.value_and_grad(loss_of)(params, batch)  # the local mean
    grads, loss = jax.lax.pmean((grads, loss), axis_name="data")  # the all-reduce
    return optax.apply_updates(params, optimizer.update(grads, optimizer.init(params))[0]), loss


map_step = jax.jit(
    jax.shard_map(local_step, mesh=mesh, in_specs=(P(), P("data")), out_specs=(P(), P()), check_vma=False)
)
params_map, loss_map = map_step(state["params"], sharded)
params_one, loss_one = jax.jit(step)(jax.device_get(state["params"]), batch)  # one device, whole batch
for key, name, params, loss in (
    ("jit", "jit + shardings", params_jit, loss_jit),
    ("shard_map", "shard_map", params_map, loss_map),
):
    diff = max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(params_one)))
    print(
        f"{name:>16}: loss {float(loss):.6f} (one device {float(loss_one):.6f}), "
        f"max |params - one-device params| = {diff:.2e}"
    )
    assert diff < 1e-5
    chapter.record(f"{key}_vs_one_device", diff)

# %% [markdown]
# ## The training loop does version 1 for every task
# `mmjax train TASK --num-devices N` (default: all devices) shards each batch with
# `jax.make_array_from_process_local_data`, replicates the state, and jits the task's own step. Here
# the toy task on all devices against one device: equal up to the order of floating-point sums.

# %%
steps = 5 if chapter.quick else 200
runs = {}
for n in sorted({1, N}):
    settings = TrainConfig(
        steps=steps,
        run_dir=str(chapter.out / "runs" / f"dp{n}"),
        num_devices=n,
        resume=False,
        checkpoint_every=steps,
        log_every=steps,
        sample_every=-1,
        progress=False,
    )
    shutil.rmtree(settings.run_dir, ignore_errors=True)
    runs[n] = loop.train(TASK, config, settings, log=lambda message: None)
diff = max(
    float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
    for a, b in zip(jax.tree.leaves(runs[1].state), jax.tree.leaves(runs[N].state))
)
print(f"loop on 1 vs {N} devices after {steps} steps: max parameter difference {diff:.2e}")
assert diff < 1e-5
chapter.record("loop_vs_one_device", diff)

# %% [markdown]
# ## Which device holds which rows

# %%
owner = np.zeros((N, 64))
for shard in sharded["x"].addressable_shards:
    rows = shard.index[0]
    owner[shard.device.id % N, rows] = 1
fig, ax = plt.subplots(figsize=(8, 3))
ax.imshow(owner, aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
ax.set_yticks(range(N))
ax.legend(
    handles=[
        Patch(color="black", label="rows held by the device"),
        Patch(facecolor="white", edgecolor="grey", label="rows held elsewhere"),
    ],
    loc="upper right",
    fontsize=8,
    framealpha=1,
)
figures.label(
    ax,
    f'Batch of 64 sharded as P("data") over {N} devices: {64 // N} rows each',
    "example in the global batch (row)",
    "device",
    legend=False,
)
figures.save(fig, chapter.out / "sharding.png")

# %% [markdown]
# ## Many hosts
# On a TPU pod slice or a GPU cluster, start the *same* command on every host with `--distributed`:
# `jax.distributed.initialize()` connects the processes (it finds the coordinator by itself on TPU
# and under SLURM). `jax.devices()` then lists every device of every host; the loader on process
# `p` of `P` reads only rows `p*B/P ... (p+1)*B/P - 1` of each global batch, and
# `jax.make_array_from_process_local_data` stitches the pieces into one global array. Orbax saves
# from all processes cooperatively. The step itself does not change.
#
# ## Summary
# * Data parallel = batch sharded on `data`, state replicated, gradients all-reduced.
# * With `jit`, shardings in and out are enough: the compiler writes the communication.
# * With `shard_map`, you write the per-device program and the collectives (`pmean`) yourself.
# * Results match one device to float tolerance (sums in a different order), not bit for bit.
#
# ## Exercises
# 1. Place the state with `P("data")` instead of `P()`: `jax.device_put(state["params"],
#    jax.sharding.NamedSharding(mesh, P("data")))`. You should get an `IndivisibleError`: `P("data")` splits
#    axis 0 of every array 8 ways, and the hidden kernel's axis 0 has size 4. Shard only what divides, the
#    hidden kernel's 32 columns, with `P(None, "data")` (each device holds 4 columns: tensor parallelism,
#    not data parallelism), call `jit_step` with those parameters and count the collectives in its compiled
#    HLO. You should find the compiler adds 2 `all-gather(` to the 1 `all-reduce(` to collect the split
#    kernel, and the result still equals one device's (max difference about 3.5e-08):
#    `check(hlo.count("all-gather("), expected=2, tol=0)` (`from mmjax.utils.selfcheck import check`).
# 2. In `local_step`, remove the `pmean` line and rebuild `map_step`. How far do the copies of the
#    parameters drift after one step? With `out_specs=P()` JAX trusts you that the result is replicated and
#    returns device 0's copy, which moved by its own 8-row gradient: you should find a maximum difference
#    from the one-device parameters of about 0.12 instead of 3.5e-08,
#    `check(max_difference, expected=0.12, tol=0.01)`. (Returning every copy with `out_specs=P("data")` and
#    a leading axis of 1 shows them up to 0.36 apart.)
# 3. Count the bytes an all-reduce moves per step for a 100M-parameter model on 8 devices, with float32
#    gradients and the ring algorithm, in which every device sends (and receives) `2 (N - 1) / N` times the
#    gradient's size. You should find 700 MB per device per step:
#    `check(bytes_per_device, expected=7e8, rtol=0.01)`.
#
# ## Expected results
# Data-parallel results agree with one device to float32 rounding (sums in a different order), so the
# differences are checked against 1e-5, not 0.
#
# | figure | full run | quick run |
# |---|---|---|
# | `devices`: fake CPU devices | 8 ± 0 | 8 ± 0 |
# | `rows_per_device`: rows of the 64-example batch per device | 8 ± 0 | 8 ± 0 |
# | `all_reduce_ops`: all-reduces the compiler inserted | >= 1 | >= 1 |
# | `jit_vs_one_device`: max parameter difference, jit + shardings | < 1e-5 | < 1e-5 |
# | `shard_map_vs_one_device`: the same for shard_map | < 1e-5 | < 1e-5 |
# | `loop_vs_one_device`: the training loop on 8 vs 1 device | < 1e-5 | < 1e-5 |

# %%
chapter.finish()
