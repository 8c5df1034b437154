"""Damaged and hostile files: every loader answers with a ValueError naming the file, quickly and in little memory.

Weights (``.npz``), WAV files, images for ``generate_text`` and paths that are not regular files. A reader
that would block (a FIFO) runs in a thread with a deadline, so a regression fails instead of hanging.
"""

import dataclasses
import io
import json
import os
import struct
import threading
import time
import tracemalloc
import wave
import zipfile
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmjax.audio.wav import MAX_SAMPLES, read_wav
from mmjax.cli import main
from mmjax.pretrained.images import as_image_array
from mmjax.utils import npz_checkpoint

HYPOTHESIS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@dataclasses.dataclass(frozen=True)
class Tiny:
    width: int = 3  # rows of the kernel
    scale: float = 1.0  # a float field
    name: str = "tiny"  # a string field
    dims: tuple[int, ...] = (2, 2)  # a tuple field


def tiny_variables(config: Tiny) -> dict:
    return jax.eval_shape(lambda: {"params": {"w": jnp.zeros((config.width, 2)), "b": jnp.zeros(2)}})


def load(path):
    return npz_checkpoint.load(path, Tiny, tiny_variables)


def within(seconds, function, *args):
    """``function(*args)``'s exception (or None), failing the test if it takes longer than ``seconds``."""
    outcome = {}

    def target():
        try:
            function(*args)
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    start = time.perf_counter()
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{function.__name__} still running after {seconds} s"
    outcome["seconds"] = time.perf_counter() - start
    return outcome.get("error")


def assert_refused(error, path, match=""):
    assert isinstance(error, ValueError), f"expected a ValueError, got {error!r}"
    assert str(path) in str(error), f"the message does not name the file: {error}"
    assert match in str(error), str(error)


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.npz"
    variables = {"params": {"w": np.arange(6, dtype=np.float32).reshape(3, 2), "b": np.ones(2, np.float32)}}
    npz_checkpoint.save(path, Tiny(), variables, extra={"step": 7})
    return path


def rewrite(source, target, change):
    """``target``: the arrays of ``source`` after ``change(arrays)``, saved as numpy saves them."""
    with np.load(source) as stored:
        arrays = {name: stored[name] for name in stored.files}
    change(arrays)
    np.savez_compressed(target, **arrays)
    return target


def set_config(arrays, **fields):
    metadata = json.loads(str(arrays["__config__"]))
    metadata["config"].update(fields)
    arrays["__config__"] = np.array(json.dumps(metadata))


def test_a_good_file_loads_and_saving_is_atomic(good, tmp_path):
    config, variables = load(good)
    assert config == Tiny() and npz_checkpoint.read_metadata(good)["extra"] == {"step": 7}
    np.testing.assert_array_equal(variables["params"]["w"], np.arange(6).reshape(3, 2))
    npz_checkpoint.save(tmp_path / "bare", Tiny(), {"params": {"w": np.zeros((3, 2)), "b": np.zeros(2)}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bare.npz", "good.npz"]  # no partial file left


DAMAGE = {
    "empty": (lambda src, dst: dst.write_bytes(b""), "empty (0 bytes)"),
    "text": (lambda src, dst: dst.write_text("weights, honest\n" * 50), "not a readable .npz"),
    "no config": (lambda src, dst: rewrite(src, dst, lambda a: a.pop("__config__")), "has no __config__"),
    "config not JSON": (
        lambda src, dst: rewrite(src, dst, lambda a: a.update(__config__=np.array("{oops"))),
        "is not valid JSON",
    ),
    "config an array": (
        lambda src, dst: rewrite(src, dst, lambda a: a.update(__config__=np.zeros(3))),
        "should be one JSON string",
    ),
    "extra array": (
        lambda src, dst: rewrite(src, dst, lambda a: a.update(ghost=np.zeros(1, np.float32))),
        "unexpected ghost",
    ),
    "missing array": (lambda src, dst: rewrite(src, dst, lambda a: a.pop("params/b")), "missing params/b"),
    "other shape": (
        lambda src, dst: rewrite(src, dst, lambda a: a.update({"params/b": np.zeros(3, np.float32)})),
        "params/b has shape (3,), the model (2,)",
    ),
    "int64": (
        lambda src, dst: rewrite(src, dst, lambda a: a.update({"params/w": a["params/w"].astype(np.int64)})),
        "params/w (int64)",
    ),
    "pickled objects": (
        lambda src, dst: rewrite(src, dst, lambda a: a.update({"params/b": np.array([None, 1], dtype=object)})),
        "params/b (object)",
    ),
    "unknown config field": (lambda src, dst: rewrite(src, dst, lambda a: set_config(a, depth=2)), "['depth']"),
    "model cannot be built": (lambda src, dst: rewrite(src, dst, lambda a: set_config(a, width=-3)), "no model"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_each_kind_of_damage_is_a_value_error_naming_the_file(good, tmp_path, case):
    make, match = DAMAGE[case]
    path = tmp_path / "bad.npz"
    make(good, path)
    assert_refused(within(5, load, path), path, match)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["width", "scale", "name", "dims"]),
    value=st.one_of(
        st.text(max_size=3),
        st.booleans(),
        st.floats(allow_nan=True),
        st.lists(st.text(max_size=2), min_size=1, max_size=2),
        st.none(),
        st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
    ),
)
def test_config_fields_of_the_wrong_type_are_named(good, tmp_path, field, value):
    fits = {
        "width": isinstance(value, int) and not isinstance(value, bool),
        "scale": isinstance(value, float) and np.isfinite(value),
        "name": isinstance(value, str),
        "dims": False,  # lists of text are never tuples of ints
    }[field]
    path = rewrite(good, tmp_path / "typed.npz", lambda a: set_config(a, **{field: value}))
    error = within(5, load, path)
    if fits:
        assert error is None or "does not match" in str(error)  # a str name or float scale is fine
    else:
        assert_refused(error, path, f"Tiny.{field} must be")


@HYPOTHESIS
@given(index=st.integers(0, 5), bad=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_non_finite_weights_are_refused(good, tmp_path, index, bad):
    def poison(arrays):
        arrays["params/w"] = arrays["params/w"].copy()
        arrays["params/w"].flat[index] = bad

    path = rewrite(good, tmp_path / "nan.npz", poison)
    assert_refused(within(5, load, path), path, "NaN or infinite weights in params/w")


@HYPOTHESIS
@given(fraction=st.floats(0.0, 1.0, exclude_max=True))
def test_every_truncation_is_refused(good, tmp_path, fraction):
    data = good.read_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(data[: int(fraction * len(data))])
    assert_refused(within(5, load, path), path)


@HYPOTHESIS
@given(position=st.floats(0.0, 1.0, exclude_max=True), mask=st.integers(1, 255))
def test_a_flipped_byte_is_refused_or_harmless(good, tmp_path, position, mask):
    data = bytearray(good.read_bytes())
    data[int(position * len(data))] ^= mask
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(data))
    error = within(5, load, path)
    if error is None:  # the byte was one zip ignores (a timestamp, an attribute): the weights are intact
        _, variables = load(path)
        np.testing.assert_array_equal(variables["params"]["w"], np.arange(6).reshape(3, 2))
    else:
        assert_refused(error, path)


def claiming(source, target, name, shape):
    """``source`` with array ``name`` replaced by a member whose .npy header claims ``shape`` (the data is
    left out: a loader that believed the header would decompress, or fail to, after allocating it)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            if info.filename != f"{name}.npy":
                out.writestr(info, original.read(info))
                continue
            member = io.BytesIO()
            np.lib.format.write_array_header_1_0(member, {"descr": "<f4", "fortran_order": False, "shape": shape})
            out.writestr(info.filename, member.getvalue() + bytes(4096))
    return target


def test_a_huge_declared_array_is_refused_from_its_header(good, tmp_path):
    """The report's 4.6 MB file held a 20000 x 20000 array (1.6 GB): refused from the header alone."""
    path = claiming(good, tmp_path / "huge.npz", "params/b", (20000, 20000))
    tracemalloc.start()
    error = within(5, load, path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert_refused(error, path, "params/b has shape (20000, 20000)")
    assert peak < 20e6, f"{peak / 1e6:.0f} MB allocated to refuse it"
    # A header that agrees with the model but data that falls short is found too.
    path = claiming(good, tmp_path / "short.npz", "params/b", (2,))
    assert_refused(within(5, load, path), path, "params/b")


def test_the_shipped_loaders_refuse_damage_too(tmp_path):
    from mmjax.captioner import export

    path = tmp_path / "captioner.npz"
    path.write_bytes(export.default_path().read_bytes()[:1000])
    assert_refused(within(5, export.load, path), path, "truncated")


# ---- paths that are not regular files -----------------------------------------------------------------------


def special_paths(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "to-pipe").symlink_to(fifo)
    (tmp_path / "folder").mkdir()
    return {"pipe": "a FIFO", "to-pipe": "a FIFO", "folder": "a folder", "/dev/zero": "a character device"}


@pytest.mark.parametrize("reader", ["weights", "wav", "image"])
def test_fifos_devices_and_folders_are_refused_before_opening(tmp_path, reader):
    read = {"weights": load, "wav": read_wav, "image": as_image_array}[reader]
    for name, kind in special_paths(tmp_path).items():
        path = tmp_path / name
        assert_refused(within(5, read, path), path, kind)
    assert isinstance(within(5, read, tmp_path / "missing"), FileNotFoundError)


# ---- WAV headers ------------------------------------------------------------------------------------------


def riff(fmt_tag, channels, rate, bits, data: bytes, claimed=None) -> bytes:
    block = max(1, channels * ((bits + 7) // 8)) & 0xFFFF
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, (rate * block) & 0xFFFFFFFF, block, bits)
    size = len(data) if claimed is None else claimed
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", size) + data
    return b"RIFF" + struct.pack("<I", len(body) & 0xFFFFFFFF) + body


@HYPOTHESIS
@given(
    channels=st.one_of(st.integers(0, 4), st.integers(0, 0xFFFF)),
    rate=st.one_of(st.sampled_from([0, 1, 999, 8000, 44100, 768001]), st.integers(0, 2**32 - 1)),
    bits=st.sampled_from([0, 1, 8, 12, 16, 24, 32, 40, 64]),
    num_bytes=st.integers(0, 4096),
    claimed=st.one_of(st.none(), st.integers(0, 2**32 - 1)),
)
def test_any_wav_header_is_read_or_refused_quickly(tmp_path, channels, rate, bits, num_bytes, claimed):
    data = np.random.default_rng(num_bytes).integers(0, 256, num_bytes, dtype=np.uint8).tobytes()
    path = tmp_path / "any.wav"
    path.write_bytes(riff(1, channels, rate, bits, data, claimed))
    clip = {}
    error = within(5, lambda: clip.update(x=read_wav(path)))
    if error is None:
        x = clip["x"]
        assert x.dtype == np.float32 and 0 < len(x) <= MAX_SAMPLES and np.isfinite(x).all()
        assert 1000 <= rate <= 768_000 and 1 <= channels <= 32
    else:
        assert_refused(error, path)


@pytest.mark.parametrize("rate, match", [(0, "sample rate of 0 Hz"), (1, "sample rate of 1 Hz")])
def test_the_measured_wav_headers(tmp_path, rate, match):
    """The two files of the report: 0 Hz divided by zero, 1 Hz asked for 5.96 GiB for a 200 KB file."""
    path = tmp_path / f"{rate}hz.wav"
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1), f.setsampwidth(2), f.setframerate(8000)
        f.writeframes(np.random.default_rng(0).integers(-9000, 9000, 100_000).astype("<i2").tobytes())
    data = bytearray(path.read_bytes())
    data[24:28] = struct.pack("<I", rate)  # the fmt chunk's sample rate
    path.write_bytes(bytes(data))
    assert_refused(within(5, read_wav, path), path, match)
    assert main(["demo", "--audio", str(path)]) == 2  # one line, before JAX loads


def test_a_wav_too_long_for_memory_is_refused_from_its_header(tmp_path):
    path = tmp_path / "long.wav"
    path.write_bytes(riff(1, 2, 48000, 16, b"\x01\x00" * 64, claimed=4 * (MAX_SAMPLES + 2)))
    assert_refused(within(5, read_wav, path), path, "more than the")


# ---- images --------------------------------------------------------------------------------------------------


def png_header(width, height) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels; its one tiny data chunk holds almost nothing."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [5000, 100_000])
def test_an_image_claiming_too_many_pixels_is_refused_from_its_header(tmp_path, side):
    path = tmp_path / "big.png"
    path.write_bytes(png_header(side, side))
    assert_refused(within(5, as_image_array, path), path)
