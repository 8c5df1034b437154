"""Training the text-to-image GAN: optimisers, init, the two-player step with matching losses, sampling.

result = loop.train(TASK, config, TrainConfig(steps=6000))          # TASK of mmjax.text2image.task
images = generate(config, result.state, tokens, key)                # [B, 32, 32, 3] uint8 for captions

Each round (:mod:`mmjax.gan.rounds`): one D update, then one G update against the updated D, then G's moving
average, with the terms of :mod:`mmjax.gan.terms` (and, for tuning, :mod:`mmjax.text2image.tuning`'s):

    L_D = E[sp(-D(x, t))] + 1/2 (E[sp(D(x, t'))] + E[sp(D(G(z, t), t))])
          + lambda NCE(u(x), v(t)) + mu [BCE(W_w phi(x), words(t)) + BCE(W_w phi(G(z, t)), 0)]
          [+ eta E[sp(D(x, t~))]]         t~ = swap_binding(t): t's words bound otherwise (hard negatives)
          [+ mu_c CE_cells(x, y)]         (slots: D names what each cell holds, :mod:`mmjax.gan.cells`)
    L_G = E[sp(-D(G(z, t), t))] + lambda NCE(u(G(z, t)), v(t)) + mu BCE(W_w phi(G(z, t)), words(t))
          [+ rho |G(z, t) - x|_1] [+ nu (-log C(t | G(z, t)))]         (reconstruction, the cycle's tuning)
          [+ r (-log p_G(y | t)) + mu_c CE_cells(G(z, y), y)]    (slots: G draws the caption's own scene y)
    NCE(u, v) = 1/2 [CE(u v^T / tau, I) + CE(v u^T / tau, I)]        (rows: the batch's images/captions)
    words(t)_w = [word w occurs in caption t]                          (a multi-hot over the vocabulary)

sp = softplus; t' is another example's caption (GAN-INT-CLS's "real image, wrong text"); t~ is the
caption's own attributes swapped between its objects (:mod:`mmjax.data.caption_swap`). The matching
loss asks D to tell *which* caption of the batch goes with an image, a richer signal than real/fake, and
asks G for images that D's matching space pairs with their own caption. The word classifier is AC-GAN
with the caption's words as its classes: D learns which words a real image calls for (and that a fake
calls for none), G must draw images that call for the words of its prompt. None of these needs labels:
only the caption's token ids.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from mmjax.data.caption_swap import swap_binding
from mmjax.data.class_captions import ClassCaptionSource, class_captions
from mmjax.gan import export as gan_export
from mmjax.gan import rounds, sampler, terms, two_player
from mmjax.gan.cells import cells
from mmjax.gan.rounds import Term
from mmjax.nn import functional as F
from mmjax.text2image import export, slots, tuning
from mmjax.text2image.config import TextToImageConfig
from mmjax.text2image.data import model_batch, prompts
from mmjax.text2image.model import build_players, caption_ids

_init_players = two_player.make_init(build_players)
make_optimizer = rounds.make_optimizer  # Adam per player at a constant step size (the SNGAN recipe)


@functools.cache
def graphs(config: TextToImageConfig) -> tuple:
    """(G's graph, D's graph) for ``config``, built abstractly."""
    return two_player.player_graphs(build_players, config)


def warm_start(config: TextToImageConfig) -> dict | None:
    """What a run of ``config`` starts from, read from files before anything is compiled (the task's hook):
    the players of ``init_from`` and the tuning's frozen captioner (:func:`mmjax.text2image.tuning.warm_start`)."""
    return tuning.warm_start(config, export.SHIPPED)


def init(config: TextToImageConfig, key: jax.Array, optimizers: dict, warm: dict | None = None) -> dict:
    """G and D with their optimiser states; G's train state also holds its moving average ``ema``.

    Fresh weights, or those of ``config.init_from``; with ``caption_weight`` > 0 the state also carries the
    frozen captioner that the tuning loss reads with. ``warm``: what :func:`warm_start` read (read now if None).
    """
    warm = warm_start(config) if warm is None else warm
    if warm and ("players" in warm or "states" in warm):
        state = gan_export.start_states(warm, optimizers)
    else:
        state = rounds.with_average(_init_players(config, key, optimizers))
    if warm and "captioner" in warm:
        state["captioner"] = warm["captioner"]
    return state


def draw_fakes(config, g_vars: dict, batch: dict, key: jax.Array) -> tuple[jax.Array, dict | None]:
    """G's pictures of the batch's captions, one latent per row from ``key``, and (with slots) G's reading of
    the captions: a G with slots draws the captions' own scenes while it learns to read them (teacher forcing)."""
    if not config.slots:
        return sampler.draw(graphs(config)[0], config, g_vars, batch["tokens"], key), None
    z = jax.random.normal(key, (batch["tokens"].shape[0], config.latent_dim))  # [B, latent]
    args = (z, batch["tokens"], batch["scene"])
    return F.call(graphs(config)[0], g_vars, *args, method="draw_and_read")[0]


def discriminator_outputs(config, d_vars: dict, state: dict, batch: dict, key: jax.Array) -> tuple[dict, dict]:
    """D's heads for the real pairs, G's fakes (drawn from ``key``, held fixed), the mismatched pairs and, with
    hard negatives, the real images with their captions' binding swapped (one call of D for all)."""
    g = state["generator"]
    fake = draw_fakes(config, {"params": g["params"], "state": g["state"]}, batch, key)[0]
    pictures, captions = terms.pairs(batch["x"], jax.lax.stop_gradient(fake), batch["tokens"])
    groups = terms.GROUPS
    if config.hard_negative_weight > 0:  # (x, t~): [3B + B] rows
        pictures = jnp.concatenate([pictures, batch["x"]])
        captions = jnp.concatenate([captions, swap_binding(batch["tokens"])])
        groups += ("swapped",)
    out, new_vars = F.call(graphs(config)[1], d_vars, pictures, captions, method="heads")
    return terms.split_pairs(out, groups), new_vars


def generator_outputs(config, g_vars: dict, state: dict, batch: dict, key: jax.Array) -> tuple[dict, None]:
    """D's heads (held fixed) for G's pictures of the batch's captions; the tuning's reading of them."""
    fake, reading = draw_fakes(config, g_vars, batch, key)
    out = {"fake": F.call(graphs(config)[1], state["discriminator"], fake, batch["tokens"], method="heads")[0]}
    if reading is not None:
        out["reading"] = reading
    if config.reconstruction_weight > 0:  # the real image drawn for the same caption, pixel by pixel
        out["g_l1"] = jnp.mean(jnp.abs(fake - batch["x"]))
    if config.caption_weight > 0:  # the cycle's tuning: can the captioner read the prompt back?
        out["caption_nll"] = tuning.caption_loss(config.captioner_path, state["captioner"], fake, batch["tokens"])
    return out, None


def _reported(name: str):
    return lambda out, batch: (out[name], {name: out[name]})


@functools.cache
def game(config: TextToImageConfig) -> rounds.Game:
    """L_D and L_G above as terms, with their weights."""
    d_terms, g_terms = terms.matching(config)
    d_terms += (Term("words", config.word_weight, terms.words_d),)
    if config.hard_negative_weight > 0:
        d_terms += (Term("hard_negative", config.hard_negative_weight, terms.hard_negative_d),)
    g_terms += (Term("words", config.word_weight, terms.words_g),)
    if config.slots:  # G's reading of the caption; D names each cell's content, of reals and of G's pictures
        d_terms += (Term("cells", config.cell_weight, cells("real", "cells", "cell")),)
        g_terms += (
            Term("reading", config.reading_weight, slots.reading_term),
            Term("cells", config.cell_weight, cells("fake", "cells", "g_cell")),
        )
    if config.reconstruction_weight > 0:
        g_terms += (Term("reconstruction", config.reconstruction_weight, _reported("g_l1")),)
    if config.caption_weight > 0:
        g_terms += (Term("caption", config.caption_weight, _reported("caption_nll")),)
    return rounds.Game.of(config, discriminator_outputs, generator_outputs, d_terms, g_terms)


train_step = rounds.task_step(game, model_batch)  # one round on a raw Shapes batch: D, G, G's moving average


def generate(config: TextToImageConfig, variables: dict, tokens, key: jax.Array, chunk: int | None = None):
    """uint8 images ``[N, H, W, 3]`` for caption ids ``tokens`` ``[N, T]``, one latent per row from ``key``
    (:func:`mmjax.gan.sampler.generate`: ``variables`` G's or a train state's, ``chunk`` captions per call)."""
    return sampler.generate(build_players, config, variables, caption_ids(tokens), key, chunk)


EVAL_SCORES = ("all_correct", "shape", "colour", "size")
EVAL_KEYS = tuple(f"{split}_{score}" for split in sampler.EVAL_SPLITS for score in EVAL_SCORES)
CLASS_EVAL_KEYS = ("test_class_agreement", "test_real_agreement")  # a TFDS data set has no judge: see evaluate
EVAL_BATCH = 128  # prompts per generator call: one compiled shape whatever num_eval_examples is


def eval_keys(config: TextToImageConfig) -> tuple[str, ...]:
    """The names ``evaluate`` returns for ``config``'s data set."""
    return EVAL_KEYS if config.dataset == "shapes" else CLASS_EVAL_KEYS


def evaluate(state: dict, config: TextToImageConfig) -> dict[str, float]:
    """The shipped judge reads the images drawn for ``num_eval_examples`` captions of test and test_heldout.

    ``SPLIT_all_correct``: every attribute the caption states is what the judge sees; ``SPLIT_shape`` etc.:
    per-attribute accuracy over the objects the captions describe (G's moving average draws them).
    A TFDS data set is scored by ``evaluate_classes`` instead: the judge only knows Shapes.
    """
    if config.dataset != "shapes":
        return evaluate_classes(state, config)
    return sampler.evaluate(generate, prompts, sampler.judge_images, EVAL_SCORES, state, config, EVAL_BATCH)


def evaluate_classes(state: dict, config: TextToImageConfig) -> dict[str, float]:
    """Do images drawn for "a <class k>" look like class k to the nearest class mean in pixel space?

    Class means come from test examples 0..N-1 (N = ``num_eval_examples``); ``test_class_agreement``: the
    fraction of N images drawn for classes 0, 1, ..., K-1, 0, ... that are nearest their own class's mean;
    ``test_real_agreement``: the same for real test examples N..2N-1, what this weak classifier reaches
    on real data (chance is 1/K). See :mod:`mmjax.metrics.nearest_centroid`.
    """
    from mmjax.metrics import nearest_centroid

    count = config.num_eval_examples
    source = ClassCaptionSource(config.dataset, "test", 2 * count, config.tfds_data_dir)
    if len(source) < 2 * count:
        raise ValueError(f"evaluation needs {2 * count} test examples of {config.dataset}, it has {len(source)}")
    examples = [source[i] for i in range(2 * count)]
    images = np.stack([e["image"] for e in examples])  # [2N, 32, 32, 3]
    labels = np.array([e["label"] for e in examples])  # [2N]
    num_classes = len(source.captions)
    means = nearest_centroid.class_means(images[:count], labels[:count], num_classes)  # [K, 3072]
    tokens = prompts(config, "test", count).condition  # classes 0, 1, ..., K-1, 0, ...
    drawn = generate(config, state, tokens, jax.random.key(0), EVAL_BATCH)  # [N, 32, 32, 3]
    return {
        "test_class_agreement": nearest_centroid.agreement(means, drawn, np.arange(count) % num_classes),
        "test_real_agreement": nearest_centroid.agreement(means, images[count:], labels[count:]),
    }


def save_sample_sheet(config: TextToImageConfig, state: dict, key: jax.Array, path, split: str = "test_heldout"):
    """A figure: eight captions of ``split`` (every class of a TFDS data set), each drawn with four latents
    (columns), captions as titles."""
    rows = 8 if config.dataset == "shapes" else len(class_captions(config.dataset))
    titles, tokens, _ = prompts(config, split, rows)
    images = generate(config, state, np.repeat(tokens, 4, axis=0), key, EVAL_BATCH)  # [4 rows, H, W, 3]
    source = f"{split} captions" if config.dataset == "shapes" else f"{config.dataset} classes"
    suptitle = f"{source}, four samples each (G's moving average)"
    return sampler.save_sheet(path, titles, images.reshape(rows, 4, *images.shape[1:]), suptitle)


def sample(state: dict, config: TextToImageConfig, key: jax.Array, out_dir) -> None:
    """The loop's sample hook: the sample sheet of test_heldout captions."""
    save_sample_sheet(config, state, key, Path(out_dir) / "text2image_samples.png")
