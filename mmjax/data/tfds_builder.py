"""The Shapes world as a TensorFlow Datasets builder, prepared and read without TensorFlow.

    prepare_shapes("image", data_dir)                       # writes array_record files once
    tfds.data_source("mmjax_shapes/image", data_dir=data_dir)  # random access, numpy out

Three configs, one per modality beside the caption: ``image``, ``video`` and ``audio``. Features are
``Tensor``/``Text`` (not ``Image``), since encoding numpy images to PNG inside TFDS needs TensorFlow.
Split sizes are set by the builder's ``split_sizes`` argument (small by default: the procedural source
``ShapesSource`` is the way to get unlimited data without any files).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow_datasets as tfds

from mmjax.data import attributes as A
from mmjax.data.audio import NUM_SAMPLES
from mmjax.data.shapes import example
from mmjax.data.tokenizer import MAX_TOKENS

IMAGE_SIZE, NUM_FRAMES = 32, 8
LABEL_KEYS = ("num_objects", "shape", "colour", "size", "row", "col", "relation", "motion")


def _label_features() -> dict:
    scalar = tfds.features.Tensor(shape=(), dtype=np.int32)
    per_object = tfds.features.Tensor(shape=(A.MAX_OBJECTS,), dtype=np.int32)
    return {k: scalar if k in ("num_objects", "relation", "motion") else per_object for k in LABEL_KEYS}


class MmjaxShapes(tfds.core.GeneratorBasedBuilder):
    """Procedural scenes of coloured shapes as image, caption, video and audio."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    BUILDER_CONFIGS = [
        tfds.core.BuilderConfig(name="image", description="32x32 RGB image and caption."),
        tfds.core.BuilderConfig(name="video", description="8 frames of 32x32 RGB and a caption of the motion."),
        tfds.core.BuilderConfig(name="audio", description="0.576 s mono clip at 8 kHz and caption."),
    ]

    def __init__(self, *, split_sizes: dict[str, int] | None = None, seed: int = 0, **kwargs):
        self.split_sizes = dict(split_sizes or {"train": 1000, "test": 200, "test_heldout": 200})
        unknown = set(self.split_sizes) - set(A.SPLITS)
        if unknown:
            raise ValueError(f"unknown splits {sorted(unknown)}; expected a subset of {A.SPLITS}")
        self.seed = seed
        super().__init__(**kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        features = {**_label_features(), "index": tfds.features.Tensor(shape=(), dtype=np.int64)}
        features["caption"] = tfds.features.Text()
        features["tokens"] = tfds.features.Tensor(shape=(MAX_TOKENS,), dtype=np.int32)
        name = self.builder_config.name
        if name == "image":
            features["image"] = tfds.features.Tensor(shape=(IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
        elif name == "video":
            features["video"] = tfds.features.Tensor(shape=(NUM_FRAMES, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
            features["video_caption"] = tfds.features.Text()
            features["video_tokens"] = tfds.features.Tensor(shape=(MAX_TOKENS,), dtype=np.int32)
        else:
            features["audio"] = tfds.features.Tensor(shape=(NUM_SAMPLES,), dtype=np.float32)
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(features),
            description="The mmjax Shapes world: one scene rendered as several modalities.",
            disable_shuffling=True,  # record i of a split is example i: random access stays meaningful
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing to download: every example is generated
        return {split: self._generate_examples(split, size) for split, size in self.split_sizes.items()}

    def _generate_examples(self, split: str, size: int):
        modalities = ("caption", self.builder_config.name)
        for index in range(size):
            yield index, example(self.seed, split, index, modalities, IMAGE_SIZE, NUM_FRAMES)


def prepare_shapes(
    config: str = "image",
    data_dir: str | Path | None = None,
    split_sizes: dict[str, int] | None = None,
    seed: int = 0,
) -> MmjaxShapes:
    """Generate ``mmjax_shapes/<config>`` as array_record files under ``data_dir`` (TFDS's default if None)."""
    if config not in ("image", "video", "audio"):
        raise ValueError(f"unknown config {config!r}; expected 'image', 'video' or 'audio'")
    builder = MmjaxShapes(
        config=config,
        data_dir=None if data_dir is None else str(data_dir),
        split_sizes=split_sizes,
        seed=seed,
        file_format="array_record",
    )
    builder.download_and_prepare()
    return builder
