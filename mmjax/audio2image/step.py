"""Training the audio-to-image GAN: optimisers, init, the two-player step with its auxiliary losses, drawing.

result = loop.train(TASK, config, TrainConfig(steps=...))        # TASK of mmjax.audio2image.task
images = generate(config, result.state, audio, key)              # [B, 32, 32, 3] uint8 for clips [B, 4608]

Each round (:mod:`mmjax.gan.rounds`): one D update, then one G update against the updated D, then G's moving
average, with the shared terms of :mod:`mmjax.gan.terms` and the cells of :mod:`mmjax.gan.cells`.

    L_D = E[sp(-D(x, a))] + 1/2 (E[sp(D(x, a'))] + E[sp(D(G(z, a), a))])
          + lambda NCE(u(x), v(a)) + mu CE_cells(x, y)
    L_G = E[sp(-D(G(z, a), a))] + lambda NCE(u(G(z, a)), v(a)) + mu CE_cells(G(z, a), y) + nu CE_slots(a, y)
    NCE(u, v)     = 1/2 [CE(u v^T / tau, I) + CE(v u^T / tau, I)]          (rows: the batch's images / clips)
    CE_cells(x, y) = sum_{cells c} sum_{k in shape, colour, size} -log p_k(y_ck | x, c)
    CE_slots(a, y) = the same sum with G's ear q_k(y_ck | s_c(a)) = softmax(V s_c): a linear read-out of slot c

sp = softplus; a' is another example's clip (a real image with the wrong sound counts as fake); y are the
scene's labels laid out per cell (:func:`mmjax.data.cells.cell_targets`), "empty" where no object is.
The classifier is AC-GAN (Odena et al. 2017) on the labels every Shapes example carries: D learns from real
images what each cell holds, and G must draw images in which D reads the layout its clip describes. It is
trained on real images only, so it cannot learn to accept a fake's layout. G's images depend on the clip
alone; the labels reach G only through CE_slots, which teaches G's audio encoder what each slot holds
directly instead of through D's reading of G's images, a signal that only starts once D reads real ones.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from mmjax.audio2image.config import AudioToImageConfig
from mmjax.audio2image.data import model_batch, prompts
from mmjax.audio2image.model import build_players
from mmjax.gan import rounds, sampler, terms, two_player
from mmjax.gan.cells import cells
from mmjax.gan.rounds import Term
from mmjax.nn import functional as F

_init_players = two_player.make_init(build_players)
make_optimizer = rounds.make_optimizer  # Adam per player, constant or (cosine_decay) falling to 0 over the run


@functools.cache
def graphs(config: AudioToImageConfig) -> tuple:
    """(G's graph, D's graph) for ``config``, built abstractly."""
    return two_player.player_graphs(build_players, config)


def init(config: AudioToImageConfig, key: jax.Array, optimizers: dict) -> dict:
    """G and D with their optimiser states; G's train state also holds its moving average ``ema``."""
    return rounds.with_average(_init_players(config, key, optimizers))


def discriminator_outputs(config, d_vars: dict, state: dict, batch: dict, key: jax.Array) -> tuple[dict, dict]:
    """D's heads for the real pairs, G's fakes (drawn from ``key``, held fixed) and the mismatched pairs."""
    g = state["generator"]
    fake = sampler.draw(graphs(config)[0], config, {"params": g["params"], "state": g["state"]}, batch["audio"], key)
    return F.call(graphs(config)[1], d_vars, batch["x"], jax.lax.stop_gradient(fake), batch["audio"], method="pairs")


def generator_outputs(config, g_vars: dict, state: dict, batch: dict, key: jax.Array) -> tuple[dict, None]:
    """D's heads (held fixed) for G's pictures of the batch's clips, and what G's ear makes of each slot."""
    fake, heard = sampler.draw(graphs(config)[0], config, g_vars, batch["audio"], key, method="draw_and_hear")
    out = F.call(graphs(config)[1], state["discriminator"], fake, batch["audio"], method="heads")[0]
    return {"fake": out, "heard": {"cells": heard}}, None


@functools.cache
def game(config: AudioToImageConfig) -> rounds.Game:
    """L_D and L_G above as terms, with their weights."""
    d_terms, g_terms = terms.matching(config)
    d_terms += (Term("cells", config.cell_weight, cells("real", "cells", "cell")),)
    g_terms += (
        Term("cells", config.cell_weight, cells("fake", "cells", "g_cell")),
        Term("slots", config.slot_weight, cells("heard", "cells", "slot")),
    )
    return rounds.Game.of(config, discriminator_outputs, generator_outputs, d_terms, g_terms)


train_step = rounds.task_step(game, model_batch)  # one round on a raw Shapes batch: D, G, G's moving average


def generate(config: AudioToImageConfig, variables: dict, audio, key: jax.Array, chunk: int | None = None):
    """uint8 images ``[N, H, W, 3]`` for Shapes clips ``audio`` ``[N, 4608]``, one latent per row from ``key``
    (:func:`mmjax.gan.sampler.generate`: ``variables`` G's or a train state's, ``chunk`` clips per call)."""
    return sampler.generate(build_players, config, variables, np.asarray(audio, np.float32), key, chunk)


EVAL_SCORES = ("all_correct", "shape", "colour", "size", "row", "col")
EVAL_KEYS = tuple(f"{split}_{score}" for split in sampler.EVAL_SPLITS for score in EVAL_SCORES)
EVAL_BATCH = 128  # clips per generator call: one compiled shape whatever the number of clips


def evaluate(state: dict, config: AudioToImageConfig) -> dict[str, float]:
    """The shipped judge reads the images drawn for ``num_eval_examples`` clips of test and test_heldout.

    A clip states every attribute, cells included, so each image is scored against the scene's full labels:
    ``SPLIT_all_correct``, every attribute of every object (and the number of objects, their relation) is
    what the judge sees; ``SPLIT_shape`` etc.: per-attribute accuracy over the objects (G's moving average).
    """
    return sampler.evaluate(generate, prompts, sampler.judge_images, EVAL_SCORES, state, config, EVAL_BATCH)


def save_sample_sheet(config: AudioToImageConfig, state: dict, key: jax.Array, path, split: str = "test_heldout"):
    """A figure: eight clips of ``split``, each row its log-mel spectrogram then four images drawn with four
    latents, titled with what the clip states."""
    from mmjax.audio.mel import log_mel_spectrogram

    titles, audio, _ = prompts(config, split, 8)
    images = generate(config, state, np.repeat(audio, 4, axis=0), key, EVAL_BATCH)  # [4 rows, H, W, 3]
    spectrograms = np.asarray(log_mel_spectrogram(jnp.asarray(audio)))  # [rows, T, 40]
    suptitle = f"{split} clips: log-mel spectrogram, four samples each (G's moving average)"
    images = images.reshape(len(titles), 4, *images.shape[1:])
    return sampler.save_sheet(path, titles, images, suptitle, first=spectrograms, first_label="mel band")


def sample(state: dict, config: AudioToImageConfig, key: jax.Array, out_dir) -> None:
    """The loop's sample hook: the sample sheet of test_heldout clips."""
    save_sample_sheet(config, state, key, Path(out_dir) / "audio2image_samples.png")
