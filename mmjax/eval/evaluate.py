"""Scoring a generator or captioner on one split: quality, diversity, coherence (or caption scores).

Prompts are examples ``0 .. N-1`` of the split; the *real* reference set is examples ``N .. 2N-1``
rendered, so a perfect generator is compared with other real images, exactly as a model would be, and
its scores are the floor (FID, KID) and ceiling (precision, recall, coherence) reachable with N samples.
"""

from __future__ import annotations

import jax
import numpy as np

from mmjax.data import attributes as A
from mmjax.data.captions import describe
from mmjax.data.render import render_image
from mmjax.eval.prompts import LABEL_KEYS, caption_targets, prompt_batch
from mmjax.metrics.bleu import corpus_bleu
from mmjax.metrics.captioning import caption_attribute_scores
from mmjax.metrics.cider import cider_d
from mmjax.metrics.coherence import attribute_accuracy, right_by_object_count
from mmjax.metrics.diversity import distinct_outcome_fraction, mean_pairwise_distance
from mmjax.metrics.frechet import frechet_distance
from mmjax.metrics.judge.inference import judge_features, judge_labels_and_features, judge_videos
from mmjax.metrics.kid import kernel_distance
from mmjax.metrics.precision_recall import precision_recall
from mmjax.metrics.r_precision import r_precision_of_images
from mmjax.metrics.video import temporal_smoothness, video_accuracy

NUM_REFERENCES = 5  # reference paraphrases per image for BLEU / CIDEr-D
MIN_SAMPLES_FOR_R_PRECISION = 150  # 99 negatives with facts different from each prompt's must exist


def _subset(prompts: dict, rows) -> dict:
    return {k: [v[i] for i in rows] if isinstance(v, list) else v[rows] for k, v in prompts.items()}


def generate_in_batches(generate, prompts: dict, key: jax.Array, batch_size: int) -> np.ndarray:
    """Call ``generate`` on chunks of ``batch_size`` prompts (key folded with the chunk number)."""
    count = len(prompts["caption"])
    chunks = [
        np.asarray(
            generate(_subset(prompts, np.arange(start, min(start + batch_size, count))), jax.random.fold_in(key, start))
        )
        for start in range(0, count, batch_size)
    ]
    images = np.concatenate(chunks)
    if images.dtype != np.uint8 or images.shape[0] != count:
        raise TypeError(f"a generator must return uint8 samples, one per prompt; got {images.dtype} {images.shape}")
    return images


def quality_scores(judge, real_images: np.ndarray, fake_features: np.ndarray, seed: int) -> dict[str, float]:
    """Shapes-FID, KID (mean, std) and improved precision/recall on judge features."""
    real_features = judge_features(judge, real_images)
    # Subsets of half the samples (at most 1000, as in Binkowski et al.) so that kid_std says something.
    subset_size = min(1000, len(fake_features) // 2, len(real_features) // 2)
    kid, kid_std = kernel_distance(real_features, fake_features, num_subsets=10, subset_size=subset_size, seed=seed)
    precision, recall = precision_recall(real_features, fake_features, k=3)
    return {
        "shapes_fid": frechet_distance(real_features, fake_features),
        "kid": kid,
        "kid_std": kid_std,
        "precision": precision,
        "recall": recall,
    }


def diversity_scores(
    generate,
    judge,
    prompts: dict,
    key: jax.Array,
    num_prompts: int,
    samples_per_prompt: int,
    batch_size: int,
    line_is_free: bool = True,
) -> dict[str, float]:
    """Feature spread and free-line variety over repeated two-object prompts (a caption leaves their
    shared line free; a prompt that states cells, such as audio, does not: ``line_is_free=False``)."""
    two = np.flatnonzero(prompts["num_objects"] == 2)[:num_prompts]
    if len(two) < 1:
        return {}
    repeated = _subset(prompts, np.repeat(two, samples_per_prompt))
    images = generate_in_batches(generate, repeated, key, batch_size)
    labels, features = judge_labels_and_features(judge, images)
    vertical = np.isin(repeated["relation"], [A.RELATIONS.index("above"), A.RELATIONS.index("below")])
    free_line = np.where(vertical, labels["col"][:, 0], labels["row"][:, 0])  # shared column / row
    scores = {"pairwise_feature_distance": mean_pairwise_distance(features.reshape(len(two), samples_per_prompt, -1))}
    if line_is_free:
        scores["distinct_free_line"] = distinct_outcome_fraction(
            free_line.reshape(len(two), samples_per_prompt), A.GRID
        )
    return scores


def evaluate_images(
    generate,
    judge,
    split: str,
    num_samples: int,
    seed: int,
    batch_size: int = 256,
    diversity_prompts: int = 20,
    samples_per_prompt: int = 8,
    encoder=None,
    audio: bool = False,
) -> dict[str, float]:
    """Every image metric of ``generate`` on ``split`` (R-precision too when a contrastive ``encoder`` is
    given and there are enough prompts to draw 99 negatives from).

    With ``audio=True`` the prompts also carry ``audio`` clips (``sonify``), which state every attribute
    including the cells, so coherence is scored against the full labels instead of the caption's.
    """
    key = jax.random.key(seed)
    prompts = prompt_batch(split, 0, num_samples, audio=audio)
    images = generate_in_batches(generate, prompts, jax.random.fold_in(key, 0), batch_size)
    labels, features = judge_labels_and_features(judge, images)
    real = np.stack([render_image(s) for s in prompt_batch(split, num_samples, num_samples)["scenes"]])
    scores = quality_scores(judge, real, features, seed)
    targets = {k: prompts[k] for k in LABEL_KEYS if k != "motion"} if audio else caption_targets(prompts["caption"])
    scores.update({f"coherence_{k}": v for k, v in attribute_accuracy(labels, targets).items()})
    # all_correct hides that one object can be drawn right and two not: split it by the prompts' object count
    scores.update({f"coherence_{k}": v for k, v in right_by_object_count(labels, targets).items()})
    scores.update(
        diversity_scores(
            generate,
            judge,
            prompts,
            jax.random.fold_in(key, 1),
            diversity_prompts,
            samples_per_prompt,
            batch_size,
            line_is_free=not audio,
        )
    )
    if encoder is not None and num_samples >= MIN_SAMPLES_FOR_R_PRECISION:
        scores["r_precision"] = r_precision_of_images(encoder, images, prompts["tokens"], prompts["caption"], seed)
    return scores


def evaluate_videos(generate, judge, split: str, num_samples: int, seed: int, batch_size: int = 64) -> dict[str, float]:
    """Per-frame attribute accuracy, motion accuracy, temporal smoothness and first-frame quality of a video
    generator."""
    prompts = prompt_batch(split, 0, num_samples, video=True)
    prompts_for_video = {**prompts, "caption": prompts["video_caption"], "tokens": prompts["video_tokens"]}
    videos = generate_in_batches(generate, prompts_for_video, jax.random.key(seed), batch_size)
    if videos.ndim != 5:
        raise TypeError(f"a video generator must return [N, T, H, W, 3] uint8, got shape {videos.shape}")
    scores = {
        f"coherence_{k}": v
        for k, v in video_accuracy(judge_videos(judge, videos), caption_targets(prompts["video_caption"])).items()
    }
    scores.update({f"temporal_{k}": v for k, v in temporal_smoothness(videos).items()})
    real = np.stack([render_image(s) for s in prompt_batch(split, num_samples, num_samples)["scenes"]])
    first_frames = judge_features(judge, videos[:, 0])
    scores.update({f"first_frame_{k}": v for k, v in quality_scores(judge, real, first_frames, seed).items()})
    return scores


def reference_captions(prompts: dict, split: str, seed: int) -> list[list[str]]:
    """``NUM_REFERENCES`` paraphrases per scene from their own random streams (not the dataset caption's)."""
    return [
        [describe(scene, np.random.default_rng([seed, A.split_id(split), i, 100 + r])) for r in range(NUM_REFERENCES)]
        for i, scene in enumerate(prompts["scenes"])
    ]


def evaluate_captions(caption, split: str, num_samples: int, seed: int, batch_size: int = 256) -> dict[str, float]:
    """BLEU-1..4, CIDEr-D, exact match, attribute F1 and repetition of captions generated from images."""
    prompts = prompt_batch(split, 0, num_samples)
    prompts["image"] = np.stack([render_image(s) for s in prompts["scenes"]])
    key = jax.random.key(seed)
    captions = []
    for start in range(0, num_samples, batch_size):
        captions += list(
            caption(
                _subset(prompts, np.arange(start, min(start + batch_size, num_samples))), jax.random.fold_in(key, start)
            )
        )
    if len(captions) != num_samples or not all(isinstance(c, str) for c in captions):
        raise TypeError("a captioner must return one string per image")
    references = reference_captions(prompts, split, seed)
    scores = {k: v for k, v in corpus_bleu(captions, references).items()}
    scores["cider_d"] = cider_d(captions, references)[0]
    scores.update(caption_attribute_scores(captions, prompts["scenes"]))
    return scores
