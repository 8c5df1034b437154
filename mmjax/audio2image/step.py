"""Training the audio-to-image GAN: optimisers, init, the two-player step with its auxiliary losses, drawing.

result = loop.train(TASK, config, TrainConfig(steps=...))        # TASK of mmjax.audio2image.task
images = generate_images(config, result.state, audio, key)       # [B, 32, 32, 3] uint8 for clips [B, 4608]
image = generate_image_from_audio("sound.wav")                   # [32, 32, 3] uint8, the shipped model

Each round: one D update, then one G update against the updated D, then G's moving average.

    L_D = E[sp(-D(x, a))] + 1/2 (E[sp(D(x, a'))] + E[sp(D(G(z, a), a))])
          + lambda NCE(u(x), v(a)) + mu CE_cells(x, y)
    L_G = E[sp(-D(G(z, a), a))] + lambda NCE(u(G(z, a)), v(a)) + mu CE_cells(G(z, a), y) + nu CE_slots(a, y)
    NCE(u, v)     = 1/2 [CE(u v^T / tau, I) + CE(v u^T / tau, I)]          (rows: the batch's images / clips)
    CE_cells(x, y) = sum_{cells c} sum_{k in shape, colour, size} -log p_k(y_ck | x, c)
    CE_slots(a, y) = the same sum with G's ear q_k(y_ck | s_c(a)) = softmax(V s_c): a linear read-out of slot c

sp = softplus; a' is another example's clip (a real image with the wrong sound counts as fake); y are the
scene's labels laid out per cell (:func:`mmjax.audio2image.data.cell_targets`), "empty" where no object is.
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
import optax

from mmjax.audio2image import export
from mmjax.audio2image.config import AudioToImageConfig
from mmjax.audio2image.data import CELL_ATTRIBUTES, clip_from, model_batch
from mmjax.audio2image.model import build_players
from mmjax.gan import losses, two_player
from mmjax.nn import functional as F
from mmjax.text2image.step import info_nce, judge_size, moving_average
from mmjax.train import schedules
from mmjax.train.state import apply_gradients
from mmjax.utils.batching import padded_chunks

_init_players = two_player.make_init(build_players)


@functools.cache
def graphs(config: AudioToImageConfig) -> tuple:
    """(G's graph, D's graph) for ``config``, built abstractly."""
    return two_player.player_graphs(build_players, config)


def make_optimizer(config: AudioToImageConfig, num_steps: int) -> dict[str, optax.GradientTransformation]:
    """Adam per player, at a constant step size (text2image's recipe) or, with ``cosine_decay``, falling as a
    cosine to 0 at the last update, so the last updates are small and G's moving average settles."""

    def adam(rate: float) -> optax.GradientTransformation:
        rate = schedules.constant_or_cosine(rate, num_steps, config.cosine_decay)
        return optax.inject_hyperparams(optax.adam)(learning_rate=rate, b1=config.beta1, b2=config.beta2)

    return {"generator": adam(config.g_learning_rate), "discriminator": adam(config.d_learning_rate)}


def init(config: AudioToImageConfig, key: jax.Array, optimizers: dict) -> dict:
    """G and D with their optimiser states; G's train state also holds its moving average ``ema``."""
    state = _init_players(config, key, optimizers)
    return {**state, "generator": {**state["generator"], "ema": state["generator"]["params"]}}


def cell_loss(cell_logits: dict, targets: dict) -> tuple[jax.Array, jax.Array]:
    """CE_cells averaged over the batch, and how often an object's cell is read right (all three attributes).

    The accuracy counts occupied cells only: 7 or 8 of the 9 cells are empty, and "empty" is easy to read.
    """
    total, right = 0.0, True
    for name, _ in CELL_ATTRIBUTES:
        logits, wanted = cell_logits[name], targets[name]  # [B, 9, K], [B, 9]
        total = total + jnp.sum(optax.softmax_cross_entropy_with_integer_labels(logits, wanted), axis=1)  # [B]
        right = right & (jnp.argmax(logits, axis=-1) == wanted)  # [B, 9]
    occupied = targets[CELL_ATTRIBUTES[0][0]] != CELL_ATTRIBUTES[0][1]  # [B, 9]
    return jnp.mean(total), jnp.sum(right & occupied) / jnp.maximum(jnp.sum(occupied), 1)


def _generate(config: AudioToImageConfig, g_vars: dict, audio: jax.Array, key: jax.Array, heard: bool = False):
    """G's images ``[B, H, W, 3]`` in [-1, 1] for ``audio``; with ``heard``, also its slots' logits."""
    z = jax.random.normal(key, (audio.shape[0], config.latent_dim))  # [B, latent]
    images, slots = F.call(graphs(config)[0], g_vars, z, audio, method="draw")[0]
    return (images, slots) if heard else images


def discriminator_loss(config, d_params, state, batch, key) -> tuple[jax.Array, dict]:
    """L_D above, and what the metrics report; D's spectral-norm state advances once per update."""
    g = state["generator"]
    real, audio = batch["x"], batch["audio"]
    fake = jax.lax.stop_gradient(_generate(config, {"params": g["params"], "state": g["state"]}, audio, key))
    d_vars = {"params": d_params, "state": state["discriminator"]["state"]}
    out, new_vars = F.call(graphs(config)[1], d_vars, real, fake, audio, method="game")
    real_logits, fake_logits, wrong_logits = out["real"]["logits"], out["fake"]["logits"], out["wrong"]["logits"]
    if config.matching_aware:
        loss = losses.matching_aware_discriminator_loss(real_logits, wrong_logits, fake_logits)
    else:
        loss = losses.minimax_discriminator_loss(real_logits, fake_logits)
    nce, nce_accuracy = info_nce(out["real"]["u"], out["real"]["v"], config.temperature)
    cells, cell_accuracy = cell_loss(out["real"]["cells"], batch["cells"])
    loss = loss + config.contrastive_weight * nce + config.cell_weight * cells
    aux = {"state": new_vars["state"], "real": real_logits, "fake": fake_logits, "wrong": wrong_logits}
    return loss, {**aux, "nce": nce, "nce_accuracy": nce_accuracy, "cell_loss": cells, "cell_accuracy": cell_accuracy}


def generator_loss(config, g_params, state, batch, key) -> tuple[jax.Array, dict]:
    """L_G above, against the current D held fixed."""
    g = state["generator"]
    fake, heard = _generate(config, {"params": g_params, "state": g["state"]}, batch["audio"], key, heard=True)
    out = F.call(graphs(config)[1], state["discriminator"], fake, batch["audio"], method="judge")[0]
    nce, nce_accuracy = info_nce(out["u"], out["v"], config.temperature)
    cells, cell_accuracy = cell_loss(out["cells"], batch["cells"])
    slots, slot_accuracy = cell_loss(heard, batch["cells"])
    loss = losses.non_saturating_generator_loss(out["logits"]) + config.contrastive_weight * nce
    loss = loss + config.cell_weight * cells + config.slot_weight * slots
    return loss, {
        **{"g_nce": nce, "g_nce_accuracy": nce_accuracy, "g_cell_loss": cells, "g_cell_accuracy": cell_accuracy},
        **{"slot_loss": slots, "slot_accuracy": slot_accuracy},
    }


def train_step(
    state: dict, batch: dict, key: jax.Array, config: AudioToImageConfig, optimizer: dict
) -> tuple[dict, dict]:
    """One D update, one G update, one step of G's moving average, on a raw Shapes batch."""
    batch = model_batch(batch)
    key_d, key_g = jax.random.split(key)

    d_fn = functools.partial(discriminator_loss, config, state=state, batch=batch, key=key_d)
    (d_loss, d_aux), d_grads = jax.value_and_grad(d_fn, has_aux=True)(state["discriminator"]["params"])
    d_state = apply_gradients(state["discriminator"], d_grads, optimizer["discriminator"], state=d_aux["state"])
    state = {**state, "discriminator": d_state}

    g_fn = functools.partial(generator_loss, config, state=state, batch=batch, key=key_g)
    (g_loss, g_aux), g_grads = jax.value_and_grad(g_fn, has_aux=True)(state["generator"]["params"])
    g_state = apply_gradients(state["generator"], g_grads, optimizer["generator"])
    state = {**state, "generator": moving_average(g_state, config.ema_decay)}

    d_norm, g_norm = optax.tree.norm(d_grads), optax.tree.norm(g_grads)
    metrics = {
        "d_loss": d_loss,
        "g_loss": g_loss,
        "d_real": jnp.mean(jax.nn.sigmoid(d_aux["real"])),
        "d_fake": jnp.mean(jax.nn.sigmoid(d_aux["fake"])),
        "d_wrong": jnp.mean(jax.nn.sigmoid(d_aux["wrong"])),
        **{k: d_aux[k] for k in ("nce", "nce_accuracy", "cell_loss", "cell_accuracy")},
        **g_aux,
        "d_grad_norm": d_norm,
        "g_grad_norm": g_norm,
        "grad_norm": jnp.sqrt(d_norm**2 + g_norm**2),
    }
    return state, metrics


@functools.cache
def jitted_generate(config: AudioToImageConfig):
    """``(g_vars, audio [B, 4608], key) -> uint8 [B, H, W, 3]``, compiled once per config and batch shape."""

    @jax.jit
    def run(g_vars, audio, key):
        images = _generate(config, g_vars, audio, key)
        return jnp.clip(jnp.round((images + 1.0) * 127.5), 0, 255).astype(jnp.uint8)

    return run


def generate_images(config: AudioToImageConfig, state_or_variables: dict, audio, key: jax.Array) -> np.ndarray:
    """uint8 ``[B, H, W, 3]`` images for Shapes clips ``audio`` ``[B, 4608]``, one latent per row from ``key``.

    Takes a train state (its G's moving average is used) or G's sampling variables ``{"params", "state"}``.
    """
    g_vars = (
        export.sampling_variables(config, state_or_variables)
        if "generator" in state_or_variables
        else state_or_variables
    )
    return np.asarray(jitted_generate(config)(g_vars, jnp.asarray(audio), key))


EVAL_BATCH = 128  # clips per generator call: one compiled shape whatever the number of clips


def images_for_audio(config: AudioToImageConfig, state: dict, audio: np.ndarray, key: jax.Array) -> np.ndarray:
    """Images for any number of clips ``[N, 4608]``, generated EVAL_BATCH at a time (the last batch padded)."""
    out = []
    for start, padded, count in padded_chunks(np.asarray(audio, np.float32), EVAL_BATCH):
        out.append(generate_images(config, state, padded, jax.random.fold_in(key, start))[:count])
    return np.concatenate(out)


def generate_image_from_audio(wav_path_or_array, seed: int = 0, rate: int = 8000, model=None) -> np.ndarray:
    """The picture a sound describes: uint8 ``[H, W, 3]``, drawn by the shipped model (or ``model``).

    ``wav_path_or_array``: a WAV file's path, or a mono float clip sampled at ``rate`` Hz; see
    :func:`mmjax.audio2image.data.clip_from` for what is converted (bit depth, channels, rate, length) and
    what is refused. ``seed`` draws the latent (only the objects' sub-cell jitter depends on it).
    ``model``: ``(config, G's variables)`` as :func:`mmjax.audio2image.export.load` returns them.
    """
    config, g_vars = export.load() if model is None else model
    clip = clip_from(wav_path_or_array, rate)  # [4608]
    return generate_images(config, g_vars, clip[None], jax.random.key(seed))[0]


EVAL_SPLITS = ("test", "test_heldout")
EVAL_SCORES = ("all_correct", "shape", "colour", "size", "row", "col")
EVAL_KEYS = tuple(f"{split}_{score}" for split in EVAL_SPLITS for score in EVAL_SCORES)
LABEL_KEYS = ("num_objects", "shape", "colour", "size", "row", "col", "relation")


@functools.cache
def _shipped_judge():
    from mmjax.metrics.judge.export import load_judge

    return load_judge()[0]


@functools.cache
def prompts(seed: int, split: str, count: int) -> tuple[dict, np.ndarray]:
    """The labels (batched) and clips ``[count, 4608]`` of examples 0..count-1 of ``split``."""
    from mmjax.data.shapes import example

    items = [example(seed, split, i, modalities=("audio",)) for i in range(count)]
    labels = {k: np.stack([item[k] for item in items]) for k in LABEL_KEYS}
    return labels, np.stack([item["audio"] for item in items])


def evaluate(state: dict, config: AudioToImageConfig) -> dict[str, float]:
    """The shipped judge reads the images drawn for ``num_eval_examples`` clips of test and test_heldout.

    A clip states every attribute, cells included, so each image is scored against the scene's full labels:
    ``SPLIT_all_correct``, every attribute of every object (and the number of objects, their relation) is
    what the judge sees; ``SPLIT_shape`` etc.: per-attribute accuracy over the objects (G's moving average).
    """
    from mmjax.metrics.coherence import attribute_accuracy
    from mmjax.metrics.judge.inference import judge_labels

    metrics = {}
    for index, split in enumerate(EVAL_SPLITS):
        labels, audio = prompts(config.data_seed, split, config.num_eval_examples)
        images = images_for_audio(config, state, audio, jax.random.key(index))
        scores = attribute_accuracy(judge_labels(_shipped_judge(), judge_size(images)), labels)
        metrics.update({f"{split}_{name}": scores[name] for name in EVAL_SCORES})
    return metrics


def heard(labels: dict, i: int) -> str:
    """What clip ``i`` of batched ``labels`` states, e.g. "large red circle, top left + small blue cross, ..."."""
    from mmjax.data import attributes as A

    objects = []
    for k in range(int(labels["num_objects"][i])):
        shape, colour, size = (int(labels[name][i, k]) for name in ("shape", "colour", "size"))
        row, col = int(labels["row"][i, k]), int(labels["col"][i, k])
        objects.append(f"{A.SIZES[size]} {A.COLOURS[colour]} {A.SHAPES[shape]}, {A.ROWS[row]} {A.COLS[col]}")
    return " + ".join(objects)


def save_sample_sheet(config: AudioToImageConfig, state: dict, key: jax.Array, path, split: str = "test_heldout"):
    """A figure: eight clips of ``split``, each row its log-mel spectrogram then four images drawn with four
    latents, titled with what the clip states."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mmjax.audio.mel import log_mel_spectrogram

    rows = 8
    labels, audio = prompts(config.data_seed, split, rows)
    images = images_for_audio(config, state, np.repeat(audio, 4, axis=0), key)  # [4 rows, H, W, 3]
    spectrograms = np.asarray(log_mel_spectrogram(jnp.asarray(audio)))  # [rows, T, 40]
    fig, axes = plt.subplots(rows, 5, figsize=(7.5, 1.6 * rows + 0.3), gridspec_kw={"width_ratios": [2, 1, 1, 1, 1]})
    for r in range(rows):
        axes[r, 0].imshow(spectrograms[r].T, origin="lower", aspect="auto", cmap="magma")
        axes[r, 0].set_ylabel("mel band", fontsize=6)
        axes[r, 0].set_title(heard(labels, r), fontsize=7, loc="left")
        for c in range(4):
            axes[r, c + 1].imshow(images[4 * r + c], interpolation="nearest")  # 32 px: show the pixels
            axes[r, c + 1].set_xticks([]), axes[r, c + 1].set_yticks([])
        axes[r, 0].set_xticks([]), axes[r, 0].set_yticks([])
    axes[-1, 0].set_xlabel("frame (16 ms apart; 4 per grid cell)", fontsize=6)
    fig.suptitle(f"{split} clips: log-mel spectrogram, four samples each (G's moving average)", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def sample(state: dict, config: AudioToImageConfig, key: jax.Array, out_dir) -> None:
    """The loop's sample hook: the sample sheet of test_heldout clips."""
    save_sample_sheet(config, state, key, Path(out_dir) / "audio2image_samples.png")
