"""Training the text-to-image GAN: optimisers, init, the two-player step with matching losses, sampling.

result = loop.train(TASK, config, TrainConfig(steps=6000))          # TASK of mmjax.text2image.task
images = generate_images(config, result.state, tokens, key)         # [B, 32, 32, 3] uint8 for captions

Each round: one D update, then one G update against the updated D, then G's moving average.

    L_D = E[sp(-D(x, t))] + 1/2 (E[sp(D(x, t'))] + E[sp(D(G(z, t), t))])
          + lambda NCE(u(x), v(t)) + mu [BCE(W_w phi(x), words(t)) + BCE(W_w phi(G(z, t)), 0)]
    L_G = E[sp(-D(G(z, t), t))] + lambda NCE(u(G(z, t)), v(t)) + mu BCE(W_w phi(G(z, t)), words(t))
    NCE(u, v) = 1/2 [CE(u v^T / tau, I) + CE(v u^T / tau, I)]        (rows: the batch's images/captions)
    words(t)_w = [word w occurs in caption t]                          (a multi-hot over the vocabulary)

sp = softplus; t' is another example's caption (GAN-INT-CLS's "real image, wrong text"). The matching
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
import optax

from mmjax.data.class_captions import ClassCaptionSource, class_captions
from mmjax.data.tokenizer import SPECIALS
from mmjax.gan import losses, two_player
from mmjax.nn import functional as F
from mmjax.text2image import tuning
from mmjax.text2image.config import TextToImageConfig
from mmjax.text2image.data import model_batch
from mmjax.text2image.export import sampling_variables
from mmjax.text2image.model import build_players
from mmjax.train.state import apply_gradients
from mmjax.utils.batching import padded_chunks

_init_players = two_player.make_init(build_players)


@functools.cache
def graphs(config: TextToImageConfig) -> tuple:
    """(G's graph, D's graph) for ``config``, built abstractly."""
    return two_player.player_graphs(build_players, config)


def make_optimizer(config: TextToImageConfig, num_steps: int) -> dict[str, optax.GradientTransformation]:
    """Adam at a constant step size per player (the SNGAN recipe needs no schedule)."""
    del num_steps

    def adam(rate: float) -> optax.GradientTransformation:
        return optax.inject_hyperparams(optax.adam)(learning_rate=rate, b1=config.beta1, b2=config.beta2)

    return {"generator": adam(config.g_learning_rate), "discriminator": adam(config.d_learning_rate)}


def init(config: TextToImageConfig, key: jax.Array, optimizers: dict) -> dict:
    """G and D with their optimiser states; G's train state also holds its moving average ``ema``.

    Fresh weights, or those of the run ``config.init_from``; with ``caption_weight`` > 0 the state also
    carries the frozen captioner that the tuning loss reads with (:mod:`mmjax.text2image.tuning`).
    """
    if config.init_from:
        state = tuning.state_from(config.init_from, config, optimizers)
    else:
        state = _init_players(config, key, optimizers)
        state = {**state, "generator": {**state["generator"], "ema": state["generator"]["params"]}}
    if config.caption_weight > 0:
        state["captioner"] = tuning.frozen_captioner(config.captioner_path)
    return state


def info_nce(u: jax.Array, v: jax.Array, temperature: float) -> tuple[jax.Array, jax.Array]:
    """Symmetric InfoNCE of matched unit vectors ``u, v`` ``[B, M]``, and how often row i picks column i."""
    logits = u @ v.T / temperature  # [B, B]: image i against every caption of the batch
    labels = jnp.arange(u.shape[0])
    loss = 0.5 * (
        optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
        + optax.softmax_cross_entropy_with_integer_labels(logits.T, labels).mean()
    )
    return loss, jnp.mean(jnp.argmax(logits, axis=1) == labels)


def caption_words(tokens: jax.Array, vocab_size: int) -> jax.Array:
    """words(t): ``[B, V]`` 1 where the caption uses the word, 0 elsewhere; special tokens never count."""
    multi_hot = jnp.max(jax.nn.one_hot(tokens, vocab_size), axis=1)  # [B, V]
    return multi_hot.at[:, : len(SPECIALS)].set(0.0)


def word_loss(word_logits: jax.Array, tokens: jax.Array | None) -> jax.Array:
    """Mean over the batch of the summed binary cross-entropies of every vocabulary word (no word if None)."""
    targets = jnp.zeros_like(word_logits) if tokens is None else caption_words(tokens, word_logits.shape[-1])
    return jnp.mean(jnp.sum(optax.sigmoid_binary_cross_entropy(word_logits, targets), axis=-1))


def _generate(config: TextToImageConfig, g_vars: dict, tokens: jax.Array, key: jax.Array) -> jax.Array:
    z = jax.random.normal(key, (tokens.shape[0], config.latent_dim))  # [B, latent]
    return F.call(graphs(config)[0], g_vars, z, tokens)[0]  # [B, H, W, 3] in [-1, 1]


def discriminator_loss(config, d_params, state, real, tokens, key) -> tuple[jax.Array, dict]:
    """L_D above, and what the metrics report; D's spectral-norm state advances once per update."""
    g = state["generator"]
    fake = jax.lax.stop_gradient(_generate(config, {"params": g["params"], "state": g["state"]}, tokens, key))
    d_graph = graphs(config)[1]
    d_vars = {"params": d_params, "state": state["discriminator"]["state"]}
    # One call judges (real, its caption), (fake, its caption) and (real, another example's caption):
    # one power iteration per update, and one copy of D in the compiled program.
    images = jnp.concatenate([real, fake, real])  # [3B, H, W, 3]
    captions = jnp.concatenate([tokens, tokens, jnp.roll(tokens, 1, axis=0)])  # [3B, T]
    out, new_vars = F.call(d_graph, d_vars, images, captions, method="judge")
    real_logits, fake_logits, wrong_logits = jnp.split(out["logits"], 3)  # [B] each
    num = real.shape[0]
    if config.matching_aware:
        loss = losses.matching_aware_discriminator_loss(real_logits, wrong_logits, fake_logits)
    else:
        loss = losses.minimax_discriminator_loss(real_logits, fake_logits)
    nce, nce_accuracy = info_nce(out["u"][:num], out["v"][:num], config.temperature)
    # Reals call for their caption's words, fakes for none: a classifier trained on reals alone is fooled
    # by G with patterns no real image has (the twin-classifier fix of AC-GAN, Gong et al. 2019).
    words = word_loss(out["words"][:num], tokens) + word_loss(out["words"][num : 2 * num], None)
    loss = loss + config.contrastive_weight * nce + config.word_weight * words
    aux = {"state": new_vars["state"], "real": real_logits, "fake": fake_logits, "wrong": wrong_logits}
    return loss, {**aux, "nce": nce, "nce_accuracy": nce_accuracy, "word_loss": words}


def generator_loss(config, g_params, state, tokens, key, real=None) -> tuple[jax.Array, dict]:
    """L_G above, against the current D held fixed (plus rho |G(z, t) - x|_1 when reconstruction_weight > 0)."""
    g = state["generator"]
    fake = _generate(config, {"params": g_params, "state": g["state"]}, tokens, key)
    out = F.call(graphs(config)[1], state["discriminator"], fake, tokens, method="judge")[0]
    nce, nce_accuracy = info_nce(out["u"], out["v"], config.temperature)
    words = word_loss(out["words"], tokens)
    loss = losses.non_saturating_generator_loss(out["logits"]) + config.contrastive_weight * nce
    loss = loss + config.word_weight * words
    metrics = {"g_nce": nce, "g_nce_accuracy": nce_accuracy, "g_word_loss": words}
    if config.reconstruction_weight > 0:  # the real image drawn for the same caption, pixel by pixel
        metrics["g_l1"] = jnp.mean(jnp.abs(fake - real))
        loss = loss + config.reconstruction_weight * metrics["g_l1"]
    if config.caption_weight > 0:  # the cycle's tuning: can the captioner read the prompt back?
        metrics["caption_nll"] = tuning.caption_loss(config.captioner_path, state["captioner"], fake, tokens)
        loss = loss + config.caption_weight * metrics["caption_nll"]
    return loss, metrics


def moving_average(g_state: dict, ema_decay: float) -> dict:
    """G's train state with its moving average ``ema`` advanced by one step (after G's update).

    theta_ema <- d_t theta_ema + (1 - d_t) theta: the sampling weights average out the game's oscillation.
    d_t = min(d, (1 + t) / (10 + t)) forgets the random init within the first few hundred steps.
    """
    t = g_state["step"].astype(jnp.float32)
    decay = jnp.minimum(ema_decay, (1.0 + t) / (10.0 + t))
    return {
        **g_state,
        "ema": jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, g_state["ema"], g_state["params"]),
    }


def train_step(
    state: dict, batch: dict, key: jax.Array, config: TextToImageConfig, optimizer: dict
) -> tuple[dict, dict]:
    """One D update, one G update, one step of G's moving average, on a raw Shapes batch."""
    batch = model_batch(batch)
    real, tokens = batch["x"], batch["tokens"]
    key_d, key_g = jax.random.split(key)

    d_fn = functools.partial(discriminator_loss, config, state=state, real=real, tokens=tokens, key=key_d)
    (d_loss, d_aux), d_grads = jax.value_and_grad(d_fn, has_aux=True)(state["discriminator"]["params"])
    d_state = apply_gradients(state["discriminator"], d_grads, optimizer["discriminator"], state=d_aux["state"])
    state = {**state, "discriminator": d_state}

    g_fn = functools.partial(generator_loss, config, state=state, tokens=tokens, key=key_g, real=real)
    (g_loss, g_aux), g_grads = jax.value_and_grad(g_fn, has_aux=True)(state["generator"]["params"])
    g_state = moving_average(apply_gradients(state["generator"], g_grads, optimizer["generator"]), config.ema_decay)
    state = {**state, "generator": g_state}

    d_norm, g_norm = optax.tree.norm(d_grads), optax.tree.norm(g_grads)
    metrics = {
        "d_loss": d_loss,
        "g_loss": g_loss,
        "d_real": jnp.mean(jax.nn.sigmoid(d_aux["real"])),
        "d_fake": jnp.mean(jax.nn.sigmoid(d_aux["fake"])),
        "d_wrong": jnp.mean(jax.nn.sigmoid(d_aux["wrong"])),
        "nce": d_aux["nce"],
        "nce_accuracy": d_aux["nce_accuracy"],
        "word_loss": d_aux["word_loss"],
        **g_aux,
        "d_grad_norm": d_norm,
        "g_grad_norm": g_norm,
        "grad_norm": jnp.sqrt(d_norm**2 + g_norm**2),
    }
    return state, metrics


@functools.cache
def jitted_generate(config: TextToImageConfig):
    """``(g_vars, tokens [B, T], key) -> uint8 [B, H, W, 3]``, compiled once per config and batch shape."""

    @jax.jit
    def run(g_vars, tokens, key):
        images = _generate(config, g_vars, tokens, key)
        return jnp.clip(jnp.round((images + 1.0) * 127.5), 0, 255).astype(jnp.uint8)

    return run


def generate_images(config: TextToImageConfig, state_or_variables: dict, tokens, key: jax.Array) -> np.ndarray:
    """uint8 ``[B, H, W, 3]`` images for caption ids ``tokens`` ``[B, T]``, one latent per row from ``key``.

    Takes a train state (its G's moving average is used) or G's sampling variables ``{"params", "state"}``.
    """
    g_vars = sampling_variables(config, state_or_variables) if "generator" in state_or_variables else state_or_variables
    tokens = jnp.asarray(tokens)
    if tokens.ndim != 2 or not jnp.issubdtype(tokens.dtype, jnp.integer):
        raise ValueError(f"tokens must be integer caption ids [batch, length], got {tokens.dtype}{tokens.shape}")
    return np.asarray(jitted_generate(config)(g_vars, tokens, key))


EVAL_SPLITS = ("test", "test_heldout")
EVAL_SCORES = ("all_correct", "shape", "colour", "size")
EVAL_KEYS = tuple(f"{split}_{score}" for split in EVAL_SPLITS for score in EVAL_SCORES)
CLASS_EVAL_KEYS = ("test_class_agreement", "test_real_agreement")  # a TFDS data set has no judge: see evaluate
EVAL_BATCH = 128  # prompts per generator call: one compiled shape whatever num_eval_examples is


@functools.cache
def _shipped_judge():
    from mmjax.metrics.judge.export import load_judge

    return load_judge()[0]


def eval_keys(config: TextToImageConfig) -> tuple[str, ...]:
    """The names ``evaluate`` returns for ``config``'s data set."""
    return EVAL_KEYS if config.dataset == "shapes" else CLASS_EVAL_KEYS


def prompts(config: TextToImageConfig, split: str, count: int) -> tuple[list[str], np.ndarray]:
    """The captions of examples 0..count-1 of ``split`` and their token ids ``[count, MAX_TOKENS]``.

    For a TFDS data set, prompt i is the caption of class i mod K (the split does not matter).
    """
    if config.dataset != "shapes":
        classes = class_captions(config.dataset)
        captions = [classes[i % len(classes)] for i in range(count)]
        return captions, config.tokenizer().encode_batch(captions)
    from mmjax.data.shapes import example

    items = [example(config.data_seed, split, i, modalities=("caption",)) for i in range(count)]
    return [item["caption"] for item in items], np.stack([item["tokens"] for item in items])


def images_for_tokens(config: TextToImageConfig, state: dict, tokens: np.ndarray, key: jax.Array) -> np.ndarray:
    """Images for any number of captions, generated EVAL_BATCH at a time (the last batch padded)."""
    out = []
    for start, padded, count in padded_chunks(tokens, EVAL_BATCH):
        out.append(generate_images(config, state, padded, jax.random.fold_in(key, start))[:count])
    return np.concatenate(out)


def judge_size(images: np.ndarray, size: int = 32) -> np.ndarray:
    """The judge reads 32 x 32 pictures: smaller or larger ones are resized (bilinear) before it reads them."""
    if images.shape[1:3] == (size, size):
        return images
    resized = jax.image.resize(images.astype(np.float32), (len(images), size, size, 3), "bilinear")
    return np.asarray(jnp.clip(jnp.round(resized), 0, 255)).astype(np.uint8)


def evaluate(state: dict, config: TextToImageConfig) -> dict[str, float]:
    """The shipped judge reads the images drawn for ``num_eval_examples`` captions of test and test_heldout.

    ``SPLIT_all_correct``: every attribute the caption states is what the judge sees; ``SPLIT_shape`` etc.:
    per-attribute accuracy over the objects the captions describe (G's moving average draws them).
    A TFDS data set is scored by ``evaluate_classes`` instead: the judge only knows Shapes.
    """
    if config.dataset != "shapes":
        return evaluate_classes(state, config)
    from mmjax.metrics.coherence import attribute_accuracy, caption_targets
    from mmjax.metrics.judge.inference import judge_labels

    metrics = {}
    for index, split in enumerate(EVAL_SPLITS):
        captions, tokens = prompts(config, split, config.num_eval_examples)
        images = images_for_tokens(config, state, tokens, jax.random.key(index))
        scores = attribute_accuracy(judge_labels(_shipped_judge(), judge_size(images)), caption_targets(captions))
        metrics.update({f"{split}_{name}": scores[name] for name in EVAL_SCORES})
    return metrics


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
    _, tokens = prompts(config, "test", count)  # classes 0, 1, ..., K-1, 0, ...
    drawn = images_for_tokens(config, state, tokens, jax.random.key(0))  # [N, 32, 32, 3]
    return {
        "test_class_agreement": nearest_centroid.agreement(means, drawn, np.arange(count) % num_classes),
        "test_real_agreement": nearest_centroid.agreement(means, images[count:], labels[count:]),
    }


def save_sample_sheet(config: TextToImageConfig, state: dict, key: jax.Array, path, split: str = "test_heldout"):
    """A figure: eight captions of ``split`` (every class of a TFDS data set), each drawn with four latents
    (columns), captions as titles."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = 8 if config.dataset == "shapes" else len(class_captions(config.dataset))
    captions, tokens = prompts(config, split, rows)
    images = images_for_tokens(config, state, np.repeat(tokens, 4, axis=0), key)  # [4 rows, H, W, 3]
    fig, axes = plt.subplots(rows, 4, figsize=(6, 1.6 * rows + 0.2))
    for i, ax in enumerate(axes.flat):
        ax.imshow(images[i], interpolation="nearest")  # 32 px: show the pixels, not a blur
        ax.set_xticks([]), ax.set_yticks([])
        if i % 4 == 0:
            ax.set_title(captions[i // 4], fontsize=7, loc="left")
    source = f"{split} captions" if config.dataset == "shapes" else f"{config.dataset} classes"
    fig.suptitle(f"{source}, four samples each (G's moving average)", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def sample(state: dict, config: TextToImageConfig, key: jax.Array, out_dir) -> None:
    """The loop's sample hook: the sample sheet of test_heldout captions."""
    save_sample_sheet(config, state, key, Path(out_dir) / "text2image_samples.png")
