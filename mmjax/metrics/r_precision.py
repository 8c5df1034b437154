"""R-precision (Xu et al., AttnGAN 2018): does an image pick its own caption among 100 candidates?

For image ``i`` the candidates are its prompt's caption and 99 captions of *other* prompts, scored by a
contrastive encoder's cosine similarity ``<u_i, v_c>``. With one relevant caption, R = 1 and

    R-precision = mean_i [ <u_i, v_true(i)> > max_{c in negatives(i)} <u_i, v_c> ]

Negatives are drawn only among captions that state different facts from the true one (a paraphrase of
the same scene is not a wrong caption); chance level is 1/100.
"""

from __future__ import annotations

import numpy as np

from mmjax.metrics.captioning import caption_facts

NUM_CANDIDATES = 100


def r_precision(
    image_embeddings, text_embeddings, facts: list, num_candidates: int = NUM_CANDIDATES, seed: int = 0
) -> float:
    """R-precision of unit embeddings ``[N, E]`` (image i matches text i); ``facts[i]`` identifies text i's meaning."""
    u, v = np.asarray(image_embeddings, np.float64), np.asarray(text_embeddings, np.float64)
    if u.shape != v.shape or u.ndim != 2:
        raise ValueError(f"image and text embeddings must both be [N, E], got {u.shape} and {v.shape}")
    keys = [frozenset(f.items()) if hasattr(f, "items") else f for f in facts]
    rng, hits = np.random.default_rng(seed), 0
    for i in range(len(u)):
        others = np.array([j for j in range(len(u)) if keys[j] != keys[i]])
        if len(others) < num_candidates - 1:
            raise ValueError(
                f"need at least {num_candidates - 1} captions with other facts than caption {i}; got {len(others)}"
            )
        negatives = rng.choice(others, num_candidates - 1, replace=False)
        hits += float(u[i] @ v[i]) > float(np.max(v[negatives] @ u[i]))
    return hits / len(u)


def r_precision_of_images(encoder, images, tokens, captions: list[str], seed: int = 0) -> float:
    """R-precision of generated ``images`` for their prompt ``tokens`` / ``captions`` with ``encoder``."""
    from mmjax.metrics.contrastive.inference import embed_images, embed_texts

    return r_precision(
        embed_images(encoder, images), embed_texts(encoder, tokens), [caption_facts(c) for c in captions], seed=seed
    )
