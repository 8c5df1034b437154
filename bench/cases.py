"""What ``python -m bench`` measures: every model's train step, and generation with the shipped models.

A case is a function returning a :class:`Case`: a jitted function, the arguments of one call, and how
many items (images, sequences, tokens) one call produces, so the report can print a throughput beside
the step time. Train steps are built through the ``Task`` contract, exactly as ``mmjax train`` builds
them (same config, same optimiser, same batch from the task's own source), so what is timed here is
what trains; every registered task has one (:mod:`mmjax.train.registry`), reported under the kind its task
declares (``Task.bench``: image, transformer or MLP). Sizes are the tasks' defaults, which are the shipped
models' sizes (``text2image``, ``text2video``, ``audio2image``, ``captioner``, ``judge``) and the small
defaults of the others.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from mmjax.data.loader import Loader
from mmjax.train import parallel
from mmjax.train.registry import available_tasks, get_task

TRAIN_TASKS = tuple(available_tasks())  # every registered task's train step


@dataclasses.dataclass(frozen=True)
class Case:
    name: str  # what the report calls it
    kind: str  # "image train step", "transformer train step", "MLP train step" or "generation"
    fn: Callable  # a jitted function
    args: tuple  # the arguments of one call
    items: int  # items one call produces (a batch's examples, images or tokens)
    unit: str  # what an item is, for the throughput column
    config: dict  # the sizes, for the JSON
    flops_counted: bool = True  # False for a lax.while_loop program: XLA's cost analysis counts its body once
    body_repeats: int = 1  # a lax.scan of this many train steps: its cost analysis counts the body once
    devices: int = 1  # devices the call is split over; XLA's cost analysis is of one device's program


def train_step_case(task_name: str, overrides: dict | None = None, num_steps: int = 1000) -> Case:
    """The task's train step at its default config (with ``overrides``) on one batch of its training data.

    ``num_steps`` only sets the optimiser's schedule; the work per step does not depend on it. The step
    is jitted without donation so that the same state can be timed again and again.
    """
    task = get_task(task_name)
    config = dataclasses.replace(task.default_config(), **(overrides or {}))
    batch_size = int(task.batch_size(config))
    # As the loop runs it: the batch split over every device JAX sees, the state replicated (data parallelism;
    # on CPU, XLA_FLAGS=--xla_force_host_platform_device_count=N makes the cores N devices).
    mesh = parallel.make_mesh()
    parallel.check_batch_size(batch_size, mesh)
    batch = parallel.shard_batch(next(Loader(task.make_source(config, "train"), batch_size)), mesh)
    state = jax.device_put(task.init_state(config, jax.random.key(0), num_steps), parallel.replicated(mesh))
    step = jax.jit(task.bound_train_step(config, num_steps))
    kind = f"{task.bench} train step"  # what the task says its step is made of
    sizes = {k: v for k, v in dataclasses.asdict(config).items() if isinstance(v, (int, float, str, tuple, dict))}
    key = jax.device_put(jax.random.key(1), parallel.replicated(mesh))
    name = f"{task_name} train step" + (f" on {mesh.devices.size} devices" if mesh.devices.size > 1 else "")
    return Case(name, kind, step, (state, batch, key), batch_size, "examples", sizes, devices=mesh.devices.size)


def gan2d_paper_case(scan_steps: int = 1) -> Case:
    """The PacGAN table's 2-D GAN step at the paper's nets (G 4 x 400 + BN, D 3 x 200 maxout-5) on the grid.

    ``scan_steps`` > 1 times ``train_steps``: that many steps in one ``lax.scan`` per call, batches drawn
    inside the program, as the table trains; ``scan_steps`` = 1 is one step per call, as ``mmjax train``.
    """
    from mmjax.gan.gan2d import data as mixtures
    from mmjax.gan.gan2d import step as gan2d
    from mmjax.gan.gan2d.config import PAPER_NETS, Gan2dConfig

    config = Gan2dConfig(mixture="grid", **PAPER_NETS)
    optimizer = gan2d.make_optimizer(config, 400_000)
    state = gan2d.init(config, jax.random.key(0), optimizer)
    points = jnp.asarray(mixtures.make_source(config).points)  # [num_train_examples, 2]
    sizes = {"scan_steps": scan_steps, **PAPER_NETS}
    name = "gan2d paper-nets train step" + (f", {scan_steps} scanned per call" if scan_steps > 1 else "")
    if scan_steps == 1:
        step = jax.jit(lambda s, b, k: gan2d.train_step(s, b, k, config, optimizer))
        batch = {"x": points[: config.batch_size]}
        return Case(name, "2-D GAN train step", step, (state, batch, jax.random.key(1)), config.batch_size,
                    "examples", sizes)  # fmt: skip
    scanned = jax.jit(lambda s, k, first: gan2d.train_steps(config, optimizer, points, s, k, first, scan_steps))
    args = (state, jax.random.key(1), 0)
    return Case(name, "2-D GAN train step", scanned, args, config.batch_size * scan_steps, "examples", sizes,
                body_repeats=scan_steps)  # fmt: skip


def generate_images_case(num_images: int = 256) -> Case:
    """The shipped text-to-image G drawing ``num_images`` captions in one call (EMA weights, no D)."""
    from mmjax.eval.prompts import prompt_batch
    from mmjax.gan.sampler import compiled
    from mmjax.text2image import export
    from mmjax.text2image.model import build_players

    config, variables = export.load()
    tokens = jnp.asarray(prompt_batch("test", 0, num_images)["tokens"])  # [N, T]
    run = compiled(build_players, config)
    return Case(
        f"generate_image x{num_images} (shipped G)",
        "generation",
        run,
        (variables, tokens, jax.random.key(0)),
        num_images,
        "images",
        {"num_images": num_images, "width": config.width, "latent_dim": config.latent_dim},
    )


def generate_text_case(use_cache: bool, batch: int = 1) -> Case:
    """The shipped captioner decoding every one of its tokens greedily (no early stop: fixed work)."""
    from mmjax.captioner import export
    from mmjax.captioner import model as M
    from mmjax.data.shapes import ShapesSource
    from mmjax.nn.transformer import generate

    config, variables = export.load()
    options = dataclasses.replace(M.decode_options(config), eos_id=None)
    source = ShapesSource("test", batch, ("image",), seed=config.data_seed)
    images = jnp.asarray(np.stack([source[i]["image"] for i in range(batch)]))
    variables = {"params": variables["params"], "state": variables["state"]}
    run = jax.jit(
        functools.partial(generate, M.graphdef(config), options=options, use_cache=use_cache),
    )
    label = "with" if use_cache else "without"
    return Case(
        f"generate_text {label} KV cache ({options.max_length} tokens, batch {batch})",
        "generation",
        run,
        (variables, images),
        batch * options.max_length,
        "tokens",
        {"tokens": options.max_length, "batch": batch, "use_cache": use_cache},
        flops_counted=False,
    )


def language_model_case(use_cache: bool, tokens: int = 32, batch: int = 1) -> Case:
    """A decoder-only Transformer the captioner's size (D 64, 2 layers, 4 heads) continuing ``tokens`` tokens.

    The captioner's own captions stop at 22 tokens; this is the same decoder stack decoding 32, the length at
    which the cache's worth is judged. Untrained weights: the work per token does not depend on them.
    """
    from flax import nnx

    from mmjax.data.tokenizer import Tokenizer
    from mmjax.nn import functional as F
    from mmjax.nn.decoding import DecodeOptions
    from mmjax.nn.transformer import DecoderOnly, TransformerConfig, generate_lm

    tokenizer = Tokenizer.default()
    config = TransformerConfig(
        tokenizer.vocab_size, d_model=64, num_heads=4, num_layers=2, d_hidden=128, max_length=tokens
    )
    graphdef, variables = F.split(DecoderOnly(config, rngs=nnx.Rngs(0)))
    options = DecodeOptions("greedy", max_length=tokens, bos_id=tokenizer.bos_id, eos_id=None, pad_id=tokenizer.pad_id)
    start = jnp.full((batch,), tokenizer.bos_id, jnp.int32)
    run = jax.jit(functools.partial(generate_lm, graphdef, options=options, use_cache=use_cache))
    label = "with" if use_cache else "without"
    return Case(
        f"language model {label} KV cache ({tokens} tokens, batch {batch})",
        "generation",
        run,
        (variables, start),
        batch * tokens,
        "tokens",
        {"tokens": tokens, "batch": batch, "use_cache": use_cache, "d_model": 64, "layers": 2},
        flops_counted=False,
    )


def all_cases() -> dict[str, Callable[[], Case]]:
    """Every case by a short name, built only when asked for (building one compiles nothing yet)."""
    cases: dict[str, Callable[[], Case]] = {name: functools.partial(train_step_case, name) for name in TRAIN_TASKS}
    cases["gan2d_paper"] = gan2d_paper_case
    cases["gan2d_paper_scan50"] = functools.partial(gan2d_paper_case, 50)
    cases["generate_image"] = generate_images_case
    cases["generate_text_cached"] = functools.partial(generate_text_case, True)
    cases["generate_text_uncached"] = functools.partial(generate_text_case, False)
    cases["lm_32_cached"] = functools.partial(language_model_case, True)
    cases["lm_32_uncached"] = functools.partial(language_model_case, False)
    return cases


def describe(case: Case) -> dict[str, Any]:
    return {"name": case.name, "kind": case.kind, "items_per_call": case.items, "unit": case.unit}
