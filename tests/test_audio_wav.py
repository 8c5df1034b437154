"""Reading WAV files: every PCM bit depth, stereo downmix, resampling, and clear errors for what cannot be read."""

import struct
import wave

import numpy as np
import pytest
import scipy.signal

from mmjax.audio.wav import SILENCE, read_wav, resample, write_wav
from mmjax.data.audio import NUM_SAMPLES, SAMPLE_RATE, sonify
from mmjax.data.scene import sample_scene


def write_pcm(path, data: bytes, channels=1, width=2, rate=SAMPLE_RATE):
    """A WAV file written with the standard library, from already-encoded little-endian PCM bytes."""
    with wave.open(str(path), "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(width)
        f.setframerate(rate)
        f.writeframes(data)
    return path


def tone(freq, rate, num_samples, amplitude=0.5):
    return amplitude * np.sin(2 * np.pi * freq * np.arange(num_samples) / rate)


def int16_bytes(x):
    return np.round(np.asarray(x) * 32767).astype("<i2").tobytes()


def test_16_bit_mono_at_8_khz_is_read_as_is(tmp_path):
    ints = np.array([0, 1, -1, 32767, -32768, 12345, -2000], "<i2")
    clip = read_wav(write_pcm(tmp_path / "a.wav", ints.tobytes()))
    assert clip.dtype == np.float32 and clip.shape == (len(ints),)
    np.testing.assert_array_equal(clip, ints / 32768.0)


def test_write_wav_round_trips_a_shapes_clip(tmp_path):
    clip = sonify(sample_scene(0, "train", 3))
    path = write_wav(tmp_path / "scene.wav", clip)
    with wave.open(str(path), "rb") as f:
        assert (f.getnchannels(), f.getsampwidth(), f.getframerate(), f.getnframes()) == (1, 2, 8000, NUM_SAMPLES)
    np.testing.assert_allclose(read_wav(path), clip, atol=1e-4)  # 16-bit quantisation: 1 / 32768 = 3e-5


# Each depth, encoded independently of the reader: (width in bytes, encoder of ints, full scale).
DEPTHS = {
    8: (1, lambda v: bytes(int(x) + 128 for x in v), 2**7),  # unsigned, 128 is silence
    16: (2, lambda v: struct.pack(f"<{len(v)}h", *v), 2**15),
    24: (3, lambda v: b"".join(int(x).to_bytes(3, "little", signed=True) for x in v), 2**23),
    32: (4, lambda v: struct.pack(f"<{len(v)}i", *v), 2**31),
}


@pytest.mark.parametrize("bits", sorted(DEPTHS))
def test_every_pcm_bit_depth_is_scaled_to_full_scale(tmp_path, bits):
    width, encode, scale = DEPTHS[bits]
    ints = [0, 1, -1, scale - 1, -scale, scale // 3, -(scale // 5)]
    clip = read_wav(write_pcm(tmp_path / f"{bits}.wav", encode(ints), width=width))
    np.testing.assert_array_equal(clip, (np.array(ints, np.float64) / scale).astype(np.float32))
    # a tone survives every depth, up to that depth's quantisation step
    x = tone(440, SAMPLE_RATE, 800)
    clip = read_wav(
        write_pcm(tmp_path / f"{bits}-tone.wav", encode([int(v) for v in np.round(x * (scale - 1))]), width=width)
    )
    np.testing.assert_allclose(clip, x, atol=1.5 / scale + 1e-6)


def test_stereo_is_averaged_to_mono(tmp_path):
    left, right = tone(440, SAMPLE_RATE, 800), tone(660, SAMPLE_RATE, 800, 0.25)
    interleaved = np.stack([left, right], axis=1).reshape(-1)  # L R L R ...
    clip = read_wav(write_pcm(tmp_path / "stereo.wav", int16_bytes(interleaved), channels=2))
    assert clip.shape == (800,)
    np.testing.assert_allclose(clip, (left + right) / 2, atol=1e-4)


def test_stereo_in_opposite_phase_cancels_to_silence(tmp_path):
    left = tone(440, SAMPLE_RATE, 800)
    interleaved = np.stack([left, -left], axis=1).reshape(-1)
    with pytest.raises(ValueError, match="silent"):
        read_wav(write_pcm(tmp_path / "cancel.wav", int16_bytes(interleaved), channels=2))


@pytest.mark.parametrize("rate", [16000, 44100, 11025, 4000])
def test_other_rates_are_resampled_to_8_khz(tmp_path, rate):
    seconds = 0.2
    # 250 Hz: a whole number of periods in 0.2 s, so the Fourier method sees a periodic clip and is exact
    x = tone(250, rate, int(rate * seconds))
    clip = read_wav(write_pcm(tmp_path / f"{rate}.wav", int16_bytes(x), rate=rate))
    assert clip.shape == (int(SAMPLE_RATE * seconds),)
    np.testing.assert_allclose(clip, tone(250, SAMPLE_RATE, len(clip)), atol=1e-4)


@pytest.mark.parametrize("n, m", [(1000, 500), (1001, 500), (1000, 333), (999, 2000), (500, 1001), (8, 8)])
def test_resampling_is_scipys_fourier_method(n, m):
    x = np.random.default_rng(n + m).normal(size=n)
    ours = resample(x, n, m)  # rates in the ratio of the lengths
    np.testing.assert_allclose(ours, scipy.signal.resample(x, m), atol=1e-12)


def test_downsampling_removes_what_8_khz_cannot_hold_instead_of_aliasing_it():
    rate, n = 16000, 3200
    audible, too_high = tone(250, rate, n), tone(6000, rate, n)  # 6 kHz would alias to 2 kHz
    np.testing.assert_allclose(
        resample(audible + too_high, rate, SAMPLE_RATE), tone(250, SAMPLE_RATE, n // 2), atol=1e-9
    )


def test_a_file_without_samples_is_refused(tmp_path):
    with pytest.raises(ValueError, match="holds no audio"):
        read_wav(write_pcm(tmp_path / "empty.wav", b""))


@pytest.mark.parametrize("peak", [0.0, SILENCE / 2])
def test_silent_audio_is_refused(tmp_path, peak):
    x = peak * np.sign(np.random.default_rng(0).normal(size=800))
    with pytest.raises(ValueError, match="is silent"):
        read_wav(write_pcm(tmp_path / "silent.wav", int16_bytes(x)))


def test_quiet_but_not_silent_audio_is_read(tmp_path):
    x = tone(440, SAMPLE_RATE, 800, amplitude=3 * SILENCE)
    assert np.abs(read_wav(write_pcm(tmp_path / "quiet.wav", int16_bytes(x)))).max() > SILENCE


def test_missing_and_non_wav_files_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no WAV file"):
        read_wav(tmp_path / "missing.wav")
    (tmp_path / "notes.wav").write_text("not audio at all, just text that is long enough to read a header from")
    with pytest.raises(ValueError, match="not an uncompressed integer-PCM WAV"):
        read_wav(tmp_path / "notes.wav")
    (tmp_path / "zero.wav").write_bytes(b"")
    with pytest.raises(ValueError, match="not an uncompressed integer-PCM WAV"):
        read_wav(tmp_path / "zero.wav")


def test_floating_point_wav_is_refused(tmp_path):
    samples = tone(440, SAMPLE_RATE, 100).astype("<f4").tobytes()
    # RIFF header with a fmt chunk of format 3 (IEEE float): 1 channel, 8 kHz, 4-byte samples
    fmt = struct.pack("<HHIIHH", 3, 1, SAMPLE_RATE, 4 * SAMPLE_RATE, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(samples)) + samples
    (tmp_path / "float.wav").write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    with pytest.raises(ValueError, match="not an uncompressed integer-PCM WAV"):
        read_wav(tmp_path / "float.wav")


def test_read_wav_can_target_another_rate(tmp_path):
    x = tone(250, SAMPLE_RATE, 1600)
    clip = read_wav(write_pcm(tmp_path / "a.wav", int16_bytes(x)), rate=16000)
    np.testing.assert_allclose(clip, tone(250, 16000, 3200), atol=1e-4)


@pytest.mark.parametrize(
    "samples, error, match",
    [
        (np.full(10, 1.5), ValueError, r"within \[-1, 1\]"),
        (np.array([0.0, np.nan]), ValueError, "finite"),
        (np.zeros((2, 10)), ValueError, "mono clip"),
        (np.zeros(10, np.int16), TypeError, "floats"),
    ],
)
def test_write_wav_refuses_what_16_bit_mono_cannot_hold(tmp_path, samples, error, match):
    with pytest.raises(error, match=match):
        write_wav(tmp_path / "bad.wav", samples)
