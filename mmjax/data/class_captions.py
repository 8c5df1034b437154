"""Image-classification data sets as captioned images: label k becomes the caption "a <class k>".

    source = ClassCaptionSource("cifar10", "train", 50_000)   # prepared TFDS files, read without TensorFlow
    source[i] -> {"image": uint8 [32, 32, 3], "label": k, "caption": "a cat", "tokens": int32 [MAX_TOKENS]}

A text-conditioned model reads only token ids, so class names turned into words ("T-shirt/top" ->
"a t shirt top", "3" -> "a three") let it train on mnist, fashion_mnist or cifar10 as on Shapes captions.

The names are a fixed table here instead of being read from the data: a model's vocabulary must follow
from its config alone (an exported model is rebuilt on a machine that has no data), and opening a data
set checks the names TFDS reports against the table. Grayscale 28x28 images are padded with 2 black
pixels on every side (their background is black, so the padding is invisible and no pixel is
interpolated) and repeated over 3 channels.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np

from mmjax.data.tokenizer import SPECIALS, Tokenizer

IMAGE_SIZE = 32
# Class names exactly as TFDS's builders name them, in label order.
CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "mnist": tuple(str(digit) for digit in range(10)),
    "fashion_mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
}
DATASETS = tuple(CLASS_NAMES)
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _check_dataset(dataset: str) -> tuple[str, ...]:
    if dataset not in CLASS_NAMES:
        raise ValueError(f"unknown classification data set {dataset!r}; expected one of {', '.join(DATASETS)}")
    return CLASS_NAMES[dataset]


def words(name: str) -> str:
    """A class name as lower-case words: ``"T-shirt/top" -> "t shirt top"``, ``"7" -> "seven"``."""
    if name.isdigit() and len(name) == 1:
        return DIGITS[int(name)]
    phrase = " ".join(re.sub(r"[^a-z]+", " ", name.lower()).split())
    if not phrase:
        raise ValueError(f"class name {name!r} has no letters to make a caption from")
    return phrase


def class_captions(dataset: str) -> tuple[str, ...]:
    """The caption of every class of ``dataset``, in label order: ``("an airplane", ..., "a cat", ...)``."""
    captions = []
    for name in _check_dataset(dataset):
        phrase = words(name)
        # "an" before a vowel sound: a vowel letter, except "one", which starts with a "w" sound
        article = "an" if phrase[0] in "aeiou" and not phrase.startswith("one") else "a"
        captions.append(f"{article} {phrase}")
    return tuple(captions)


def vocabulary(dataset: str) -> list[str]:
    """The special tokens, then every word of ``dataset``'s class captions in sorted order."""
    return [*SPECIALS, *sorted({word for caption in class_captions(dataset) for word in caption.split()})]


@functools.cache
def tokenizer_for(dataset: str) -> Tokenizer:
    """The tokenizer of a data set's captions: the Shapes vocabulary for ``"shapes"``, else its class words."""
    return Tokenizer.default() if dataset == "shapes" else Tokenizer(vocabulary(dataset))


def check_class_names(dataset: str, names) -> None:
    """A ValueError unless TFDS's ``names`` of ``dataset`` are those of the table, in the same order.

    Names that TFDS only numbers (``"0", "1", ...``: what a builder reports before it has read the
    names from the data, as ``tfds.testing.mock_data`` does for cifar10) are accepted when the count matches.
    """
    expected, names = _check_dataset(dataset), tuple(str(name) for name in names)
    if names == expected or names == tuple(str(k) for k in range(len(expected))):
        return
    raise ValueError(
        f"TFDS names the classes of {dataset!r} {list(names)}, but mmjax's caption table "
        f"(mmjax.data.class_captions.CLASS_NAMES) has {list(expected)}; a model's vocabulary is built from "
        "that table, so the two must agree"
    )


def to_rgb32(image: np.ndarray) -> np.ndarray:
    """uint8 ``[H, W, 1 or 3]`` with H, W <= 32 -> uint8 ``[32, 32, 3]``: centred on black, gray repeated."""
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (1, 3) or max(image.shape[:2]) > 32:
        raise ValueError(f"expected a uint8 image [H <= 32, W <= 32, 1 or 3], got {image.dtype}{image.shape}")
    pad_h, pad_w = IMAGE_SIZE - image.shape[0], IMAGE_SIZE - image.shape[1]
    padded = np.pad(image, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    return np.repeat(padded, 3 // padded.shape[2], axis=2)  # [32, 32, 3]


class ClassCaptionSource:
    """The first (at most) ``num_examples`` examples of a prepared TFDS classification split, captioned.

    Same interface as ``ShapesSource`` (``len`` and ``[i]``); nothing is downloaded (see ``TfdsSource``).
    """

    def __init__(self, dataset: str, split: str, num_examples: int, data_dir: str | None = None):
        from mmjax.data.tfds_source import TfdsSource  # imported here: importing tfds costs ~0.4 s

        _check_dataset(dataset)
        self.tfds = TfdsSource(dataset, split, data_dir or None, keys=("image", "label"))
        check_class_names(dataset, self.tfds.source.dataset_info.features["label"].names)
        self.num_examples = min(int(num_examples), len(self.tfds))
        self.captions = class_captions(dataset)
        self.tokens = tokenizer_for(dataset).encode_batch(self.captions)  # [K, MAX_TOKENS]

    def __len__(self) -> int:
        return self.num_examples

    def __getitem__(self, index: int) -> dict[str, Any]:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} examples")
        record = self.tfds[index]
        label = int(record["label"])
        return {
            "image": to_rgb32(record["image"]),
            "label": np.int32(label),
            "caption": self.captions[label],
            "tokens": self.tokens[label],
        }
