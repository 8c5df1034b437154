"""``mmjax.load_pretrained("shapes-audio")`` and ``mmjax demo --audio``: the shipped audio-to-image model draws
what a sound describes; WAV files of any depth, channel count and rate are converted; bad sounds are refused."""

import wave

import jax
import numpy as np
import pytest
from PIL import Image

import mmjax
from mmjax.audio.wav import write_wav
from mmjax.audio2image import data, export, step
from mmjax.audio2image.data import clip_from
from mmjax.cli import main
from mmjax.data import attributes as A
from mmjax.data.audio import NUM_SAMPLES, SAMPLE_RATE
from mmjax.data.render import cell_centre
from mmjax.data.shapes import example
from mmjax.pretrained.audio import VIEW_SIZE

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def model():
    return mmjax.load_pretrained("shapes-audio")


def shapes_clip(index: int = 0) -> tuple[np.ndarray, dict]:
    item = example(0, "test", index, modalities=("audio",))
    return item["audio"], item


def write_pcm(path, samples: np.ndarray, channels: int = 1, width: int = 2, rate: int = SAMPLE_RATE):
    """``samples`` [N] in [-1, 1) written as ``width``-byte PCM, the same signal on every channel."""
    ints = np.round(samples * (2 ** (8 * width - 1) - 1)).astype("<i4")
    frames = np.repeat(ints[:, None], channels, axis=1).reshape(-1)
    raw = b"".join(int(v).to_bytes(4, "little", signed=True)[:width] for v in frames)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(width)
        f.setframerate(rate)
        f.writeframes(raw)
    return path


def test_the_shipped_model_draws_each_object_in_its_cell_and_colour(model):
    """At each object's cell centre (the objects are jittered by at most 1.5 px) the picture is nearest to
    that object's colour, for most objects of the first test clips."""
    right = total = 0
    for index in range(8):
        clip, item = shapes_clip(index)
        pixels = np.asarray(model.generate_image_from_audio(clip, seed=index), np.float32)  # [32, 32, 3]
        for k in range(int(item["num_objects"])):
            y, x = cell_centre(int(item["row"][k]), int(item["col"][k]), 32)
            rgb = pixels[int(y), int(x)]
            nearest = int(np.argmin([np.sum((rgb - np.asarray(c)) ** 2) for c in A.COLOUR_RGB]))
            right, total = right + (nearest == int(item["colour"][k])), total + 1
    assert right >= 0.75 * total, f"{right} of {total} objects drawn in their colour at their cell's centre"


def test_the_shipped_model_is_the_exported_generator_and_seeds_repeat(model, tmp_path):
    clip, item = shapes_clip(0)
    image = model.generate_image_from_audio(clip, seed=3)
    assert isinstance(image, Image.Image) and image.size == (32, 32) and image.mode == "RGB"
    drawn = step.generate(*export.load(), clip_from(clip)[None], jax.random.key(3))[0]  # [32, 32, 3] uint8
    np.testing.assert_array_equal(np.asarray(image), drawn)
    np.testing.assert_array_equal(np.asarray(model.generate_image_from_audio(clip, seed=3)), np.asarray(image))
    config, _ = export.load()
    assert model.config == config and "AudioImageModel" in repr(model)
    big = model.generate_image_from_audio(clip, seed=3, size=64)
    np.testing.assert_array_equal(np.asarray(big)[::2, ::2], np.asarray(image))  # NEAREST: every pixel 2x2
    with pytest.raises(ValueError, match="size"):
        model.generate_image_from_audio(clip, size=8)
    with pytest.raises(TypeError, match="seed"):
        model.generate_image_from_audio(clip, seed=1.5)
    labels = {k: np.asarray(v)[None] for k, v in item.items() if k in data.LABEL_KEYS}
    # the exact decoder reads what the scene holds (objects in the clip's order: row-major cells)
    assert sorted(model.heard(clip).split(" + ")) == sorted(data.heard(labels, 0).split(" + "))


def test_wav_files_of_any_depth_channels_and_rate_are_converted(model, tmp_path):
    clip, _ = shapes_clip(1)
    base = np.asarray(model.generate_image_from_audio(write_wav(tmp_path / "a.wav", clip)), int)
    heard = model.heard(clip)
    doubled = np.interp(np.arange(2 * NUM_SAMPLES) / 2, np.arange(NUM_SAMPLES), clip)  # the sound at 16 kHz
    files = {
        "stereo": write_pcm(tmp_path / "stereo.wav", clip, channels=2),
        "24-bit": write_pcm(tmp_path / "deep.wav", clip, width=3),
        "16 kHz": write_pcm(tmp_path / "fast.wav", doubled, rate=2 * SAMPLE_RATE),
    }
    for name, path in files.items():
        assert model.heard(str(path)) == heard, name
        drawn = np.asarray(model.generate_image_from_audio(path), int)
        assert np.mean(np.abs(drawn - base) > 32) < 0.05, name  # the same picture, up to a few pixels


@pytest.mark.parametrize(
    "audio, options, error, message",
    [
        (np.zeros(0, np.float32), {}, ValueError, "no samples"),
        (np.zeros(NUM_SAMPLES, np.float32), {}, ValueError, "silent"),
        (np.full(NUM_SAMPLES, np.nan, np.float32), {}, ValueError, "NaN"),
        (np.ones(NUM_SAMPLES, np.int16), {}, TypeError, "float array"),
        (np.full((NUM_SAMPLES, 2), 0.1, np.float32), {}, ValueError, "stereo"),
        (np.full(NUM_SAMPLES, 0.1, np.float32), {"rate": 0}, ValueError, "rate"),
    ],
)
def test_bad_sounds_are_clear_errors(model, audio, options, error, message):
    with pytest.raises(error, match=message):
        model.generate_image_from_audio(audio, **options)


def test_demo_audio_writes_the_picture_and_prints_what_it_heard(model, tmp_path, capsys):
    clip, _ = shapes_clip(2)
    path, out = write_wav(tmp_path / "scene.wav", clip), tmp_path / "output.png"
    assert main(["demo", "--audio", str(path), "--out", str(out), "--seed", "1", "--no-compile-cache"]) == 0
    printed = capsys.readouterr().out
    assert out.read_bytes()[:8] == PNG and Image.open(out).size == (VIEW_SIZE, VIEW_SIZE)
    assert f"heard:   {model.heard(path)} " in printed
    np.testing.assert_array_equal(  # the picture the demo wrote is the model's for that sound and seed
        np.asarray(Image.open(out).resize((32, 32), Image.Resampling.BOX)),
        np.asarray(model.generate_image_from_audio(path, seed=1)),
    )


def test_demo_audio_refuses_bad_files_without_a_traceback(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a sound")
    cases = {
        "missing.wav": "no WAV file",
        "notes.txt": "not an uncompressed integer-PCM WAV",
        "empty.wav": "no audio (0 samples)",
        "silent.wav": "silent",
    }
    write_pcm(tmp_path / "empty.wav", np.zeros(0))
    write_pcm(tmp_path / "silent.wav", np.zeros(NUM_SAMPLES))
    for name, message in cases.items():
        assert main(["demo", "--audio", str(tmp_path / name), "--out", str(tmp_path / "o.png")]) == 2
        assert message in capsys.readouterr().err, name
    assert not (tmp_path / "o.png").exists()
    assert main(["demo", "a red circle", "--audio", str(tmp_path / "silent.wav")]) == 2
    assert "not both" in capsys.readouterr().err


def test_load_pretrained_lists_the_audio_model():
    with pytest.raises(ValueError, match="'shapes-audio': the Shapes world's sounds"):
        mmjax.load_pretrained("speech")
