"""The loss terms the conditional GANs share, as :class:`mmjax.gan.rounds.Term` functions of D's outputs.

D's outputs for a D update come as three groups of rows, each a dict of D's heads (``logits`` [B], match
vectors ``u``, ``v`` [B, M], and whatever other heads the model has):

    "real": (x, c)      a real picture with its own condition
    "fake": (G(z, c), c) a picture G drew for the condition
    "wrong": (x, c')    a real picture with another example's condition, c' = roll(c, 1): GAN-INT-CLS's
                        "real image, wrong text" (Reed et al. 2016), which D must call fake

(:func:`pairs` builds such a batch and :func:`split_pairs` cuts D's outputs back into the groups). A model
may append a fourth, "swapped": (x, c~), the real picture with its own condition's binding broken
(:func:`mmjax.data.caption_swap.swap_binding`), read by :func:`hard_negative_d`. For a G update D reads
G's pictures alone: ``{"fake": heads}``. With sp = softplus:

    adversarial, D    E[sp(-D(x, c))] + 1/2 (E[sp(D(x, c'))] + E[sp(D(G(z, c), c))])     (matching-aware)
                      E[sp(-D(x, c))] + E[sp(D(G(z, c), c))]                              (plain)
    adversarial, G    E[sp(-D(G(z, c), c))]                                               (non-saturating)
    NCE(u, v)         1/2 [CE(u v^T / tau, I) + CE(v u^T / tau, I)]    rows: the batch's pictures / conditions
                      (the symmetric InfoNCE of XMC-GAN, Zhang et al. 2021)
    words             sum over the vocabulary of BCE(W_w phi(x), words(t))    words(t)_w = [w occurs in t]
                      (AC-GAN with a caption's words as classes; D also learns that a fake calls for none)
    hard negative, D  E[sp(D(x, c~))]                   c~ the same words as c, bound to other objects
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from mmjax.data.tokenizer import SPECIALS
from mmjax.gan import losses
from mmjax.gan.rounds import Term

GROUPS = ("real", "fake", "wrong")


def pairs(real: jax.Array, fake: jax.Array, condition: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(real, c), (fake, c), (real, roll(c, 1)) as one batch of 3B rows: D reads them in one call, so its
    spectral norms take one power-iteration step per update and the compiled program holds one copy of D."""
    pictures = jnp.concatenate([real, fake, real])
    return pictures, jnp.concatenate([condition, condition, jnp.roll(condition, 1, axis=0)])


def split_pairs(outputs: dict, groups: tuple[str, ...] = GROUPS) -> dict[str, dict]:
    """D's outputs for a :func:`pairs` batch ``{head: [3B, ...]}`` -> ``{"real"|"fake"|"wrong": {head: [B, ...]}}``
    (``groups``: the names of the batch's blocks of B rows, in order, when a model appends more)."""
    return {  # a head may be a dict of arrays (per-cell heads): each of its leaves is cut the same way
        group: jax.tree.map(lambda value, i=i: jnp.split(value, len(groups))[i], outputs)
        for i, group in enumerate(groups)
    }


def adversarial_d(matching_aware: bool = True):
    """D's adversarial term on the groups' ``logits``; reports how real D finds each group, d_real etc."""

    def term(out: dict, batch: dict):
        real, fake = out["real"]["logits"], out["fake"]["logits"]
        if matching_aware:
            value = losses.matching_aware_discriminator_loss(real, out["wrong"]["logits"], fake)
        else:
            value = losses.minimax_discriminator_loss(real, fake)
        return value, {f"d_{group}": jnp.mean(jax.nn.sigmoid(out[group]["logits"])) for group in GROUPS if group in out}

    return term


def adversarial_g(out: dict, batch: dict):
    """G's non-saturating term on D's logits for G's pictures."""
    return losses.non_saturating_generator_loss(out["fake"]["logits"]), {}


def info_nce(u: jax.Array, v: jax.Array, temperature: float) -> tuple[jax.Array, jax.Array]:
    """Symmetric InfoNCE of matched unit vectors ``u, v`` ``[B, M]``, and how often row i picks column i."""
    logits = u @ v.T / temperature  # [B, B]: picture i against every condition of the batch
    labels = jnp.arange(u.shape[0])
    loss = 0.5 * (
        optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
        + optax.softmax_cross_entropy_with_integer_labels(logits.T, labels).mean()
    )
    return loss, jnp.mean(jnp.argmax(logits, axis=1) == labels)


def info_nce_per_slot(u: jax.Array, v: jax.Array, slots: int, temperature: float) -> tuple[jax.Array, jax.Array]:
    """:func:`info_nce` over the batch for each of ``slots`` pictures per condition, averaged: ``u, v``
    ``[B * slots, M]``, row b * slots + k the k-th picture of condition b. Two pictures of one condition (two
    frames of a clip) share it, so they cannot be told apart by it: each slot is its own contrast."""
    per_slot = jax.vmap(info_nce, in_axes=(1, 1, None))
    loss, accuracy = per_slot(u.reshape(-1, slots, u.shape[-1]), v.reshape(-1, slots, v.shape[-1]), temperature)
    return jnp.mean(loss), jnp.mean(accuracy)


def nce(temperature: float, group: str = "real", prefix: str = "", slots: int = 1):
    """The InfoNCE of a group's pictures against their conditions (per slot with ``slots`` > 1, see
    :func:`info_nce_per_slot`); reports ``nce`` and ``nce_accuracy``."""

    def term(out: dict, batch: dict):
        u, v = out[group]["u"], out[group]["v"]
        value, accuracy = info_nce(u, v, temperature) if slots == 1 else info_nce_per_slot(u, v, slots, temperature)
        return value, {f"{prefix}nce": value, f"{prefix}nce_accuracy": accuracy}

    return term


def hard_negative_d(out: dict, batch: dict):
    """E[sp(D(x, c~))]: a real picture with its condition's binding swapped is fake. GAN-INT-CLS's wrong pairs
    differ in their words, which a pooled condition tells apart; these differ only in what goes with what."""
    logits = out["swapped"]["logits"]
    value = jnp.mean(jax.nn.softplus(logits))
    return value, {"hard_negative_loss": value, "d_swapped": jnp.mean(jax.nn.sigmoid(logits))}


def caption_words(tokens: jax.Array, vocab_size: int) -> jax.Array:
    """words(t): ``[B, V]`` 1 where the caption uses the word, 0 elsewhere; special tokens never count."""
    multi_hot = jnp.max(jax.nn.one_hot(tokens, vocab_size), axis=1)  # [B, V]
    return multi_hot.at[:, : len(SPECIALS)].set(0.0)


def word_loss(word_logits: jax.Array, tokens: jax.Array | None) -> jax.Array:
    """Mean over the batch of the summed binary cross-entropies of every vocabulary word (no word if None)."""
    targets = jnp.zeros_like(word_logits) if tokens is None else caption_words(tokens, word_logits.shape[-1])
    return jnp.mean(jnp.sum(optax.sigmoid_binary_cross_entropy(word_logits, targets), axis=-1))


def words_d(out: dict, batch: dict):
    """Real pictures call for their caption's words (``batch["tokens"]``), fakes for none: a classifier trained
    on reals alone is fooled by G with patterns no real picture has (the twin classifier of Gong et al. 2019)."""
    value = word_loss(out["real"]["words"], batch["tokens"]) + word_loss(out["fake"]["words"], None)
    return value, {"word_loss": value}


def words_g(out: dict, batch: dict):
    """G's pictures must call for the words of their captions."""
    value = word_loss(out["fake"]["words"], batch["tokens"])
    return value, {"g_word_loss": value}


def matching(config) -> tuple[tuple[Term, ...], tuple[Term, ...]]:
    """(D's terms, G's terms) every conditional GAN here starts from: the adversarial term (matching-aware if
    ``config.matching_aware``) and the InfoNCE weighted by ``config.contrastive_weight``."""
    d_terms = (
        Term("adversarial", 1.0, adversarial_d(config.matching_aware)),
        Term("nce", config.contrastive_weight, nce(config.temperature)),
    )
    g_terms = (
        Term("adversarial", 1.0, adversarial_g),
        Term("nce", config.contrastive_weight, nce(config.temperature, "fake", prefix="g_")),
    )
    return d_terms, g_terms
