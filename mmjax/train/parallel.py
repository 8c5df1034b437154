"""Data parallelism with ``jax.sharding``: the batch is split over a ``data`` mesh axis, the state
is replicated, and the compiler inserts the gradient all-reduce.

With a batch sharded as ``P("data")`` and parameters as ``P()``, ``jax.jit`` compiles the ordinary
single-device train step into an SPMD program: each device computes the loss on its slice of the
batch, and the mean over the batch becomes a cross-device sum (an all-reduce) followed by a division.
Nothing in a task's ``train_step`` changes between 1 CPU, 8 fake CPU devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=8``), a GPU or a TPU pod slice.

Multi-host (a TPU pod slice, a SLURM GPU cluster): start the *same* command on every host with
``mmjax train ... --distributed``, which calls ``jax.distributed.initialize()`` before anything else.
JAX's cluster detection fills in the coordinator address, the number of processes and this process's
index from the environment (TPU VM metadata, ``SLURM_*``, Open MPI's ``OMPI_*``, Kubernetes with the
``kubernetes`` package);
elsewhere set ``JAX_COORDINATOR_ADDRESS``, ``JAX_NUM_PROCESSES`` and ``JAX_PROCESS_ID``. On CPU the
cross-process all-reduce goes through gloo. ``jax.devices()`` then lists the devices of all hosts,
each process's :class:`~mmjax.data.loader.Loader` reads only its share of every batch
(``process_index``, ``process_count``), and :func:`shard_batch` assembles the global array from the
per-process pieces with ``jax.make_array_from_process_local_data``. Every process runs every jitted
program (train step, evaluation, sampling) in the same order, because each is one program over all
devices; only process 0 writes logs, ``config.json`` and samples, while orbax has each process write
its own part of a checkpoint into the shared run folder.
"""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

DATA_AXIS = "data"


def make_mesh(num_devices: int = 0) -> Mesh:
    """A 1-D mesh over the first ``num_devices`` devices (0 = all), axis name ``data``."""
    devices = jax.devices()
    if num_devices < 0 or num_devices > len(devices):
        raise ValueError(
            f"num_devices must be between 0 (all) and {len(devices)} (the devices JAX sees: "
            f"{jax.default_backend()}), got {num_devices}"
        )
    if num_devices and jax.process_count() > 1 and num_devices != len(devices):
        raise ValueError("num_devices must be 0 (all devices) in a multi-process run")
    return Mesh(np.array(devices[: num_devices or len(devices)]), (DATA_AXIS,))


def replicated(mesh: Mesh) -> NamedSharding:
    """Every device holds the whole array (parameters, optimiser state, PRNG key)."""
    return NamedSharding(mesh, P())


def batch_sharded(mesh: Mesh) -> NamedSharding:
    """The leading (batch) axis is split over the ``data`` axis."""
    return NamedSharding(mesh, P(DATA_AXIS))


def check_batch_size(global_batch: int, mesh: Mesh) -> None:
    """The batch must split evenly over devices and processes."""
    devices, processes = mesh.devices.size, jax.process_count()
    if global_batch % devices or global_batch % processes:
        raise ValueError(
            f"batch size {global_batch} must be divisible by the number of devices ({devices}) "
            f"and of processes ({processes}); change the task's batch size or --num-devices"
        )


def device_batch(batch: dict) -> dict:
    """Keep the arrays a jitted step can take (numbers and booleans); drop strings such as captions."""
    return {
        k: v
        for k, v in batch.items()
        if isinstance(v, np.ndarray | jax.Array) and (np.issubdtype(v.dtype, np.number) or v.dtype == bool)
    }


def shard_batch(batch: dict, mesh: Mesh) -> dict:
    """This process's batch slice -> global arrays sharded on ``data`` (works for 1 process too)."""
    sharding = batch_sharded(mesh)
    return {k: jax.make_array_from_process_local_data(sharding, np.asarray(v)) for k, v in device_batch(batch).items()}


def initialize_distributed() -> str:
    """``jax.distributed.initialize()`` once, before any other JAX call, for multi-host runs.

    Returns a line saying which process this is and how many devices it sees, for the job's log.
    """
    jax.distributed.initialize()
    return (
        f"jax.distributed: process {jax.process_index()} of {jax.process_count()}, "
        f"{jax.local_device_count()} local of {jax.device_count()} devices ({jax.default_backend()})"
    )
