"""Training the captioner: optimiser, init, the teacher-forced train step, captioning, evaluation, samples."""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from mmjax.captioner import model as M
from mmjax.captioner.config import CaptionerConfig
from mmjax.data.scene import sample_scene
from mmjax.data.shapes import ShapesSource
from mmjax.data.tokenizer import Tokenizer
from mmjax.metrics.captioning import caption_attribute_scores
from mmjax.nn import functional as F
from mmjax.nn.losses import token_loss
from mmjax.train.schedules import adamw_warmup_cosine
from mmjax.train.state import gradient_step, new_train_state

EVAL_SPLITS = ("test", "test_heldout")
EVAL_SCORES = ("all_correct", "f1", "parse_rate")
EVAL_KEYS = tuple(f"{split}_{score}" for split in EVAL_SPLITS for score in EVAL_SCORES)


def make_source(config: CaptionerConfig, split: str = "train") -> ShapesSource:
    """(image, caption tokens) pairs: ``num_train_examples`` of train, ``num_eval_examples`` of another split."""
    num_examples = config.num_train_examples if split == "train" else config.num_eval_examples
    return ShapesSource(split, num_examples, ("image", "caption"), seed=config.data_seed, image_size=config.image_size)


def make_optimizer(config: CaptionerConfig, num_steps: int) -> optax.GradientTransformation:
    """Clip the global gradient norm at 1, then AdamW warmed up and cosine-decayed to 0 over the run."""
    adamw = adamw_warmup_cosine(config.learning_rate, num_steps, config.weight_decay)
    return optax.chain(optax.clip_by_global_norm(1.0), adamw)


def init(config: CaptionerConfig, key: jax.Array, optimizer: optax.GradientTransformation) -> dict:
    """The train state: fresh captioner variables, the optimiser's state, step 0."""
    return new_train_state(F.split(M.make_model(config, rngs=nnx.Rngs(params=key)))[1], optimizer)


def drop_words(tokens: jax.Array, rate: float, key: jax.Array) -> jax.Array:
    """Replace each word of ``tokens`` ``[B, T]`` by <unk> with probability ``rate`` (special tokens stay).

    Only the decoder's *inputs* are dropped; it must still predict every true word, so it cannot lean on
    the previous words alone (the language-model prior) and must read the image.
    """
    tokenizer = Tokenizer.default()
    is_word = tokens > max(tokenizer.pad_id, tokenizer.bos_id, tokenizer.eos_id, tokenizer.unk_id)
    drop = jax.random.bernoulli(key, rate, tokens.shape) & is_word  # [B, T]
    return jnp.where(drop, tokenizer.unk_id, tokens)


def train_step(
    state: dict, batch: dict, key: jax.Array, config: CaptionerConfig, optimizer: optax.GradientTransformation
) -> tuple[dict, dict]:
    """One AdamW step on the teacher-forced cross-entropy of the caption's real (non-pad) tokens.

    L = -(1 / N) sum_{b, t : y_bt != pad} log p(y_bt | y~_b,<t, image_b)   (see ``token_loss``)

    with label smoothing ``config.label_smoothing``; ``y~`` are the input words after ``drop_words``
    (``config.word_dropout``; ``y~ = y`` when it is 0).
    """

    inputs = batch
    if config.word_dropout > 0:
        key, key_words = jax.random.split(key)
        inputs = {**batch, "tokens": drop_words(batch["tokens"], config.word_dropout, key_words)}

    def loss_fn(params):
        logits = M.logits(config, {**state, "params": params}, inputs, key)  # [B, T - 1, V]
        return token_loss(logits, batch["tokens"][:, 1:], config.label_smoothing)

    return gradient_step(state, loss_fn, optimizer)


def caption_images(
    config: CaptionerConfig, variables: F.Variables, images, method: str = "greedy", **options
) -> list[str]:
    """Captions of ``images`` ``[B, H, W, 3]`` (uint8) as text, decoded freely word by word.

    ``method`` is "greedy" or "beam" (``beam_size=...``); "sample" needs a key and is left to ``M.predict``.
    """
    if method == "sample":
        raise ValueError("caption_images decodes deterministically: method must be 'greedy' or 'beam'")
    ids = np.asarray(M.predict(config, variables, images, M.decode_options(config, method, **options)))
    tokenizer = Tokenizer.default()
    return [tokenizer.decode(row) for row in ids]


def evaluate(state: dict, config: CaptionerConfig) -> dict[str, float]:
    """Greedy captions of the first ``num_eval_examples`` images of each held-out split, read back into facts.

    ``SPLIT_all_correct``: the caption states exactly the scene's facts (count, every object's size, colour
    and shape, the lone object's cell or the pair's relation); ``SPLIT_f1``: facts' F1; ``SPLIT_parse_rate``.
    """
    metrics = {}
    for split in EVAL_SPLITS:
        source = make_source(config, split)
        images = np.stack([source[i]["image"] for i in range(len(source))])  # [N, H, W, 3]
        scenes = [sample_scene(config.data_seed, split, i) for i in range(len(source))]
        scores = caption_attribute_scores(caption_images(config, state, images), scenes)
        metrics.update({f"{split}_all_correct": scores["exact_match"], f"{split}_f1": scores["f1"]})
        metrics[f"{split}_parse_rate"] = scores["parse_rate"]
    return metrics


def sample(state: dict, config: CaptionerConfig, key: jax.Array, out_dir) -> None:
    """Greedy captions of eight random test_heldout images beside their true captions (``captions.txt``)."""
    source = make_source(config, "test_heldout")
    indices = np.asarray(jax.random.choice(key, len(source), (min(8, len(source)),), replace=False))
    examples = [source[int(i)] for i in indices]
    captions = caption_images(config, state, np.stack([e["image"] for e in examples]))
    lines = [f"{int(i)}: {c!r} (true: {e['caption']!r})" for i, c, e in zip(indices, captions, examples)]
    Path(out_dir, "captions.txt").write_text("\n".join(lines) + "\n")
