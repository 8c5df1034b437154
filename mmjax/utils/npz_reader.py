"""Reading an ``.npz`` file that may be damaged or hostile: headers first, data only once they are accepted.

``np.load`` trusts the file: a member whose header claims a 20000 x 20000 array is decompressed in full
before anyone can compare its shape with the model's (24 s and 1.8 GB for a 4.6 MB file), and a damaged
zip surfaces as ``BadZipFile``, ``EOFError`` or ``zlib.error`` without the file's name. :class:`NpzArchive`
opens the zip itself and reads each member's ``.npy`` header (:func:`numpy.lib.format.read_magic`, then
``read_array_header_1_0``/``_2_0``: a few hundred bytes) on its own, so the caller can check shapes and
dtypes against what it expects before a single data byte is decompressed; :meth:`NpzArchive.read` then
reads exactly the bytes the header announced and checks the zip's CRC. Any damage (not a zip, truncated,
a member that is not a ``.npy`` array, a bad header, a bad checksum) is a ValueError naming the file.
"""

from __future__ import annotations

import dataclasses
import zipfile
import zlib
from pathlib import Path

import numpy as np

from mmjax.utils.safe_files import regular_file

# What zipfile, zlib and numpy's header parser raise on damaged input: all become one ValueError.
_DAMAGE = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error, NotImplementedError, RuntimeError)
_MAX_HEADER = 10_000  # bytes of a .npy header numpy itself accepts without allow-listing (np.lib.format)


@dataclasses.dataclass(frozen=True)
class ArrayHeader:
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    offset: int  # bytes of magic and header before the data

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize if self.dtype.itemsize else 0


class NpzArchive:
    """An ``.npz`` file opened for checked reading; use as a context manager.

    ``names`` lists the arrays (member names without ``.npy``); ``header(name)`` parses one header,
    ``read(name)`` the array (after the caller accepted its header).
    """

    def __init__(self, path: str | Path, what: str = "weights file"):
        self.path = regular_file(path, what)
        if self.path.stat().st_size == 0:
            raise ValueError(
                f"{self.path} is empty (0 bytes): not an .npz {what}; it was probably cut off while written"
            )
        try:
            self._zip = zipfile.ZipFile(self.path)
            members = self._zip.infolist()
        except _DAMAGE as error:
            raise ValueError(f"{self.path} is not a readable .npz (zip) file, or it is truncated: {error}") from None
        self._members = {}
        for info in members:
            if not info.filename.endswith(".npy") or info.is_dir():
                self._zip.close()
                raise ValueError(
                    f"{self.path} holds {info.filename!r}, which is not a .npy array: not an mmjax .npz file"
                )
            self._members[info.filename[: -len(".npy")]] = info
        self.names = list(self._members)
        self._headers: dict[str, ArrayHeader] = {}

    def __enter__(self) -> NpzArchive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def _damaged(self, name: str, error: Exception) -> ValueError:
        return ValueError(
            f"{self.path} is damaged: its array {name!r} cannot be read ({type(error).__name__}: {error})"
        )

    def header(self, name: str) -> ArrayHeader:
        """The shape, dtype and order array ``name`` declares; nothing of its data is read."""
        if name not in self._headers:
            try:
                with self._zip.open(self._members[name]) as stream:
                    version = np.lib.format.read_magic(stream)
                    if version == (1, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream, _MAX_HEADER)
                    elif version == (2, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream, _MAX_HEADER)
                    else:
                        raise ValueError(f".npy format version {version} (numpy writes 1.0 or 2.0 here)")
                    offset = stream.tell()
            except (ValueError, *_DAMAGE) as error:  # a bad magic string or header is numpy's ValueError
                raise self._damaged(name, error) from None
            self._headers[name] = ArrayHeader(tuple(shape), np.dtype(dtype), bool(fortran), offset)
        return self._headers[name]

    def read(self, name: str) -> np.ndarray:
        """Array ``name``: exactly the bytes its header announces, and the zip's CRC checked."""
        header = self.header(name)
        if header.dtype.hasobject:
            raise ValueError(f"{self.path}: array {name!r} holds Python objects (pickle): mmjax never loads those")
        info = self._members[name]
        if info.file_size != header.offset + header.nbytes:
            raise ValueError(
                f"{self.path} is damaged: array {name!r} should take {header.offset + header.nbytes} bytes "
                f"({header.shape} {header.dtype}), the zip says {info.file_size}"
            )
        try:
            with self._zip.open(info) as stream:
                stream.read(header.offset)
                data = stream.read(header.nbytes)
                stream.read(1)  # reaching the member's end makes zipfile compare its CRC-32
        except _DAMAGE as error:
            raise self._damaged(name, error) from None
        if len(data) != header.nbytes:
            raise ValueError(f"{self.path} is truncated: array {name!r} has {len(data)} of {header.nbytes} bytes")
        return np.frombuffer(data, header.dtype).reshape(header.shape, order="F" if header.fortran_order else "C")
