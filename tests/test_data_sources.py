"""Sources, the TFDS builder and loader, and the deterministic resumable batch loader."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from mmjax.data.loader import Loader, collate
from mmjax.data.shapes import ShapesSource
from mmjax.data.tfds_builder import prepare_shapes
from mmjax.data.tfds_source import TfdsSource


def test_shapes_source_renders_requested_modalities_only():
    full = ShapesSource("train", 10, ("image", "caption", "video", "audio"))[3]
    assert full["image"].shape == (32, 32, 3) and full["video"].shape == (8, 32, 32, 3)
    assert full["audio"].dtype == np.float32 and isinstance(full["caption"], str)
    only_image = ShapesSource("train", 10, ("image",))[3]
    assert "video" not in only_image and "caption" not in only_image
    np.testing.assert_array_equal(only_image["image"], full["image"])
    # asking for more modalities never changes the scene or its caption
    assert ShapesSource("train", 10, ("caption",))[3]["caption"] == full["caption"]


def test_shapes_source_errors():
    with pytest.raises(ValueError, match="unknown modalities"):
        ShapesSource("train", 10, ("image", "smell"))
    with pytest.raises(ValueError, match="image_size 8 cannot hold"):
        ShapesSource("train", 10, image_size=8)
    with pytest.raises(IndexError, match="out of range"):
        ShapesSource("train", 10)[10]
    with pytest.raises(IndexError, match="out of range"):
        ShapesSource("train", 10)[-1]
    with pytest.raises(ValueError, match="unknown split"):
        ShapesSource("valid")


def test_tfds_builder_prepares_and_data_source_reads_the_same_examples(tmp_path):
    prepare_shapes("image", tmp_path, {"train": 24, "test_heldout": 8})
    sources = tfds.data_source("mmjax_shapes/image", data_dir=str(tmp_path))
    assert len(sources["train"]) == 24 and len(sources["test_heldout"]) == 8
    reference = ShapesSource("test_heldout", 8)
    wrapped = TfdsSource("mmjax_shapes/image", "test_heldout", data_dir=str(tmp_path))
    for i in range(8):
        record, expected = wrapped[i], reference[i]
        np.testing.assert_array_equal(record["image"], expected["image"])
        np.testing.assert_array_equal(record["tokens"], expected["tokens"])
        assert record["caption"] == expected["caption"] and record["index"] == i


@pytest.mark.parametrize("config, key, shape", [("video", "video", (8, 32, 32, 3)), ("audio", "audio", (4608,))])
def test_tfds_video_and_audio_configs(tmp_path, config, key, shape):
    prepare_shapes(config, tmp_path, {"train": 4})
    record = TfdsSource(f"mmjax_shapes/{config}", "train", data_dir=str(tmp_path))[2]
    assert record[key].shape == shape


def test_standard_image_datasets_load_offline_with_mock_data():
    with tfds.testing.mock_data(num_examples=24):
        for name, shape in [("mnist", (28, 28, 1)), ("cifar10", (32, 32, 3))]:
            source = TfdsSource(name, "train", keys=("image", "label"))
            batch = next(Loader(source, batch_size=8, seed=0))
            assert batch["image"].shape == (8, *shape) and batch["image"].dtype == np.uint8
            assert batch["label"].shape == (8,)


def test_unprepared_dataset_raises_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloads"):
        TfdsSource("mnist", "train", data_dir=str(tmp_path))


class _Range:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.array(i)}


def _take(loader, n):
    return [next(loader)["x"].tolist() for _ in range(n)]


def test_loader_visits_each_example_once_per_epoch_in_a_seeded_order():
    loader = Loader(_Range(20), batch_size=5, seed=1)
    epoch0, epoch1 = _take(loader, 4), _take(loader, 4)
    assert sorted(sum(epoch0, [])) == list(range(20)) and sorted(sum(epoch1, [])) == list(range(20))
    assert epoch0 != epoch1  # a new permutation each epoch
    assert _take(Loader(_Range(20), batch_size=5, seed=1), 4) == epoch0
    assert _take(Loader(_Range(20), batch_size=5, seed=2), 4) != epoch0
    assert _take(Loader(_Range(20), 5, shuffle=False), 1) == [[0, 1, 2, 3, 4]]


def test_loader_resumes_exactly_from_its_state():
    uninterrupted = _take(Loader(_Range(23), batch_size=4, seed=7), 15)
    first = Loader(_Range(23), batch_size=4, seed=7)
    head = _take(first, 8)
    resumed = Loader(_Range(23), batch_size=4, seed=7)
    resumed.restore(dict(first.state))
    assert head + _take(resumed, 7) == uninterrupted
    assert first.batches_per_epoch == 5  # the remainder of 3 is dropped for fixed shapes


def test_loader_shards_each_global_batch_across_processes():
    single = _take(Loader(_Range(32), batch_size=8, seed=3), 8)
    parts = [_take(Loader(_Range(32), batch_size=2, seed=3, process_index=p, process_count=4), 8) for p in range(4)]
    for step in range(8):
        assert sum((parts[p][step] for p in range(4)), []) == single[step]


def test_loader_keeps_the_remainder_when_asked():
    loader = Loader(_Range(10), batch_size=4, shuffle=False, drop_remainder=False)
    assert [len(b) for b in _take(loader, 3)] == [4, 4, 2]


def test_loader_bad_arguments():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        Loader(_Range(10), batch_size=0)
    with pytest.raises(ValueError, match="process_index 4 must be < process_count 4"):
        Loader(_Range(10), batch_size=1, process_index=4, process_count=4)
    with pytest.raises(ValueError, match="fewer than one global batch"):
        Loader(_Range(3), batch_size=4)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        Loader(_Range(10), batch_size=2.0)


def test_collate_stacks_strings_and_arrays():
    batch = collate([{"a": np.zeros(2), "s": "x"}, {"a": np.ones(2), "s": "yz"}])
    assert batch["a"].shape == (2, 2) and batch["s"].tolist() == ["x", "yz"]
