"""Standard image data sets (mnist, fashion_mnist, cifar10, ...) as random-access sources, TF-free.

``tfds.data_source`` reads prepared ``array_record`` files with random access and decodes to numpy.
``TfdsSource`` wraps it in the same small interface as ``ShapesSource`` (``len`` and ``[i]`` returning a
dict of numpy arrays), so the loader and every model accept either. Nothing is downloaded here:
the data set must already be prepared under ``data_dir`` (e.g. by ``tfds build --file_format=array_record``
on a machine with network access), or mocked in tests with ``tfds.testing.mock_data``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

IMAGE_DATASETS = ("mnist", "fashion_mnist", "cifar10")


def _to_numpy(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return np.asarray(value)


class TfdsSource:
    """Random access to split ``split`` of the TFDS data set ``name`` as dicts of numpy arrays.

    Args:
      name: a TFDS name such as ``"mnist"`` or ``"mmjax_shapes/image"``.
      split: a split name (``"train"``, ``"test"``, or a slice such as ``"train[:1000]"``).
      data_dir: where the prepared files live (TFDS's default folder if None).
      keys: keep only these features (all by default).
    """

    def __init__(
        self, name: str, split: str = "train", data_dir: str | None = None, keys: tuple[str, ...] | None = None
    ):
        import tensorflow_datasets as tfds  # imported here: importing tfds costs ~0.4 s

        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string such as 'mnist', got {name!r}")
        if name.split("/")[0] == "mmjax_shapes":
            import mmjax.data.tfds_builder  # noqa: F401  (registers the builder with TFDS)
        try:
            self.source = tfds.data_source(name, split=split, data_dir=data_dir, download=False)
        except Exception as error:  # TFDS raises several types; say what to do instead of a deep traceback
            raise FileNotFoundError(
                f"TFDS data set {name!r} (split {split!r}) is not prepared under data_dir={data_dir!r}: {error}. "
                "mmjax never downloads at run time; prepare it with array_record files first."
            ) from None
        self.name, self.split, self.keys = name, split, keys

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> dict[str, Any]:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"index must be an integer, got {type(index).__name__}")
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {self.name!r} with {len(self)} examples")
        record = self.source[int(index)]
        keys = self.keys or tuple(record)
        return {key: _to_numpy(record[key]) for key in keys}
