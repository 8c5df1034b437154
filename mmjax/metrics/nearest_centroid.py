"""The simplest image classifier: the nearest class mean in pixel space.

    mu_k = mean of the reference images of class k          # [K, D], images flattened to D pixels
    predict(x) = argmin_k |x - mu_k|^2

It needs no training and no pretrained network, so it can check a class-conditioned generator on any
labelled data set: an image drawn for class k *agrees* with its class when it is closer to k's mean than
to any other class's. It is a weak classifier (class means blur away most of what tells a cat from a
dog), so read a generator's agreement against the same classifier's accuracy on real images: agreement
near chance (1/K) says the generator ignores its condition; near the real images' accuracy, that it
draws each class's colours and layout as the data has them.
"""

from __future__ import annotations

import numpy as np


def class_means(images: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """mu_k of ``images`` ``[N, ...]`` with integer ``labels`` ``[N]``: ``[K, D]``, NaN rows for absent classes."""
    x = np.asarray(images, np.float64).reshape(len(images), -1)  # [N, D]
    labels = np.asarray(labels)
    if labels.shape != (len(x),) or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must be [{len(x)}] integers in [0, {num_classes}), got {labels.shape}")
    means = np.full((num_classes, x.shape[1]), np.nan)
    for k in np.unique(labels):
        means[k] = x[labels == k].mean(axis=0)
    return means


def predict(means: np.ndarray, images: np.ndarray) -> np.ndarray:
    """argmin_k |x - mu_k|^2 for every image ``[N, ...]`` -> ``[N]``; a class with no mean is never chosen."""
    x = np.asarray(images, np.float64).reshape(len(images), -1)  # [N, D]
    if x.shape[1] != means.shape[1]:
        raise ValueError(f"images have {x.shape[1]} pixels, the class means {means.shape[1]}")
    # |x - mu|^2 = |x|^2 - 2 x.mu + |mu|^2: a matrix product instead of an [N, K, D] difference
    distances = (x**2).sum(axis=1)[:, None] - 2.0 * x @ means.T + (means**2).sum(axis=1)[None]  # [N, K]
    return np.argmin(np.where(np.isnan(distances), np.inf, distances), axis=1)


def agreement(means: np.ndarray, images: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of ``images`` whose nearest class mean is their own label's."""
    return float(np.mean(predict(means, images) == np.asarray(labels)))
