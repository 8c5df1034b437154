"""Framing, window, STFT, mel filterbank and log-mel features against scipy, a direct DFT and librosa's formula."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.signal
from jax.test_util import check_grads

from mmjax.audio import features as F
from mmjax.audio import mel as M
from mmjax.data import attributes as A
from mmjax.data.audio import NUM_SAMPLES, PITCH_BINS, SAMPLE_RATE, SLOT, sonify
from mmjax.data.scene import Scene, ShapeObject


@pytest.fixture
def x64():
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)


def noise(seed, shape):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.mark.parametrize("length", [16, 255, 256])
def test_hann_window_is_scipys_periodic_hann(x64, length):
    window = np.asarray(F.hann_window(length))
    np.testing.assert_allclose(window, scipy.signal.get_window("hann", length), rtol=0, atol=1e-15)
    assert not np.allclose(window, np.hanning(length))  # not the symmetric window of filter design


@pytest.mark.parametrize("num_samples, frame_length, hop, center", [(100, 16, 5, False), (100, 16, 5, True)])
def test_frames_are_the_clip_cut_at_multiples_of_the_hop(num_samples, frame_length, hop, center):
    x = np.arange(num_samples, dtype=np.float32)
    padded = np.pad(x, frame_length // 2) if center else x
    expected = [padded[s : s + frame_length] for s in range(0, len(padded) - frame_length + 1, hop)]
    frames = np.asarray(F.frame(x, frame_length, hop, center))
    np.testing.assert_array_equal(frames, np.stack(expected))
    assert len(expected) == F.num_frames(num_samples, frame_length, hop, center)


@pytest.mark.parametrize("frame_length, hop", [(64, 16), (64, 24), (256, 128), (255, 100)])
@pytest.mark.parametrize("center", [True, False])
def test_stft_matches_scipy(x64, frame_length, hop, center):
    x = noise(0, (2, 1000))  # a batch of two clips
    ours = np.asarray(F.stft(x, frame_length, hop, center))  # [B, T, K]
    _, _, theirs = scipy.signal.stft(
        x,
        window="hann",
        nperseg=frame_length,
        noverlap=frame_length - hop,
        boundary="zeros" if center else None,
        padded=False,
    )  # [B, K, T], divided by sum(window) (scaling="spectrum")
    theirs = np.swapaxes(theirs, 1, 2) * scipy.signal.get_window("hann", frame_length).sum()
    assert ours.shape == theirs.shape == (2, F.num_frames(1000, frame_length, hop, center), frame_length // 2 + 1)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)


def test_stft_matches_a_direct_dft(x64):
    frame_length, hop = 32, 12
    x = noise(1, 200)
    n = np.arange(frame_length)
    k = np.arange(frame_length // 2 + 1)
    dft = np.exp(-2j * np.pi * np.outer(n, k) / frame_length)  # [L, K]: D[n, k] = exp(-2 pi i k n / L)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / frame_length)
    frames = np.stack([x[s : s + frame_length] for s in range(0, len(x) - frame_length + 1, hop)])  # [T, L]
    expected = (frames * window) @ dft  # [T, K]
    np.testing.assert_allclose(np.asarray(F.stft(x, frame_length, hop, center=False)), expected, atol=1e-10)


def test_power_and_magnitude_spectrograms(x64):
    x = noise(2, 300)
    spectrum = np.asarray(F.stft(x, 64, 16))
    np.testing.assert_allclose(np.asarray(F.spectrogram(x, 64, 16, power=2)), np.abs(spectrum) ** 2, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(F.spectrogram(x, 64, 16, power=1)), np.abs(spectrum), rtol=1e-12)


def test_a_tone_on_an_fft_bin_lands_in_that_bin_and_its_mel_band(x64):
    frame_length, hop, amplitude = 256, 128, 0.5
    centres = np.asarray(M.mel_edges(M.N_MELS, 0.0, SAMPLE_RATE / 2))[1:-1]
    for k0 in (8, 20, 57, 100):
        t = np.arange(NUM_SAMPLES)
        x = amplitude * np.cos(2 * np.pi * k0 * t / frame_length)
        power = np.asarray(F.spectrogram(x, frame_length, hop, center=False))  # [T, K]
        # A periodic Hann window turns a tone on bin k0 into exactly three bins: A L / 4 at k0, -A L / 8 beside it.
        expected = np.zeros(frame_length // 2 + 1)
        expected[k0] = (amplitude * frame_length / 4) ** 2
        expected[[k0 - 1, k0 + 1]] = (amplitude * frame_length / 8) ** 2
        np.testing.assert_allclose(power, np.broadcast_to(expected, power.shape), atol=1e-8)
        # ... and the loudest mel band is the one centred nearest the tone
        log_mel = np.asarray(M.log_mel_spectrogram(x, center=False))  # [T, M]
        nearest = np.abs(centres - k0 * SAMPLE_RATE / frame_length).argmin()
        assert (log_mel.argmax(axis=1) == nearest).all()


def test_mel_scale_is_htk_and_invertible(x64):
    np.testing.assert_allclose(float(M.hz_to_mel(700.0)), 2595 * np.log10(2), rtol=1e-12)
    np.testing.assert_allclose(float(M.hz_to_mel(1000.0)), 1000.0, atol=0.1)  # the scale's anchor: 1 kHz is 1000 mel
    hz = np.linspace(0, 4000, 50)
    np.testing.assert_allclose(np.asarray(M.mel_to_hz(M.hz_to_mel(hz))), hz, atol=1e-9)


def librosa_mel_htk(sr, n_fft, n_mels, fmin, fmax):
    """librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=True, norm=None),
    transcribed from librosa's algorithm in numpy (librosa is not a dependency). Returns [n_mels, K]."""
    fftfreqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mels = np.linspace(2595 * np.log10(1 + fmin / 700), 2595 * np.log10(1 + fmax / 700), n_mels + 2)
    mel_f = 700 * (10 ** (mels / 2595) - 1)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    weights = np.zeros((n_mels, len(fftfreqs)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    return weights


@pytest.mark.parametrize("n_mels, frame_length, f_min, f_max", [(40, 256, 0.0, None), (32, 512, 50.0, 3000.0)])
def test_mel_filterbank_matches_librosas_formula(x64, n_mels, frame_length, f_min, f_max):
    ours = np.asarray(M.mel_filterbank(n_mels, frame_length, SAMPLE_RATE, f_min, f_max))
    theirs = librosa_mel_htk(SAMPLE_RATE, frame_length, n_mels, f_min, f_max or SAMPLE_RATE / 2)
    assert ours.shape == (frame_length // 2 + 1, n_mels)
    np.testing.assert_allclose(ours, theirs.T, atol=1e-12)


def test_mel_filters_are_unit_triangles_evenly_spaced_in_mels_covering_the_band(x64):
    edges = np.asarray(M.mel_edges(M.N_MELS, 0.0, SAMPLE_RATE / 2))
    centres = edges[1:-1]
    # each filter peaks at 1 at its own centre and is 0 at every other filter's centre
    np.testing.assert_allclose(np.asarray(M.triangles(centres, edges)), np.eye(M.N_MELS), atol=1e-12)
    steps = np.diff(np.asarray(M.hz_to_mel(edges)))
    assert (np.diff(centres) > 0).all() and np.allclose(steps, steps[0])
    # between the first and last centres the triangles add up to 1 (neighbours cross at 1/2) ...
    inner = np.linspace(centres[0], centres[-1], 2001)
    np.testing.assert_allclose(np.asarray(M.triangles(inner, edges)).sum(axis=1), 1.0, atol=1e-12)
    # ... and every frequency strictly inside the band, every FFT bin included, is heard by some filter
    band = np.linspace(0, SAMPLE_RATE / 2, 4001)[1:-1]
    assert (np.asarray(M.triangles(band, edges)).sum(axis=1) > 0).all()
    assert (np.asarray(M.mel_filterbank())[1:-1].sum(axis=1) > 0).all()


def test_too_many_bands_for_the_frame_is_refused():
    with pytest.raises(ValueError, match="catch no FFT bin"):
        M.mel_filterbank(n_mels=100, frame_length=64)


def test_log_compression_is_floored_and_smooth_at_silence(x64):
    eps = 1e-6
    values = M.log_compress(jnp.array([0.0, 1e-12, 1.0, 1e6]), eps)
    np.testing.assert_allclose(np.asarray(values), np.log(eps + np.array([0.0, 1e-12, 1.0, 1e6])), rtol=1e-12)
    assert float(values[0]) == pytest.approx(np.log(eps)) and np.isfinite(np.asarray(values)).all()
    np.testing.assert_allclose(float(jax.grad(M.log_compress)(0.0, eps)), 1 / eps, rtol=1e-12)
    silent = M.log_mel_spectrogram(jnp.zeros(NUM_SAMPLES))
    np.testing.assert_allclose(np.asarray(silent), np.log(M.EPS), rtol=1e-6)
    with pytest.raises(ValueError, match="eps must be positive"):
        M.log_compress(jnp.ones(3), 0.0)


def test_a_shapes_clip_becomes_37_frames_of_40_bands_and_each_colour_its_own_band():
    bands = []
    for colour in range(len(A.COLOURS)):
        clip = sonify(Scene((ShapeObject(0, colour, 1, 1, 1),), A.NO_RELATION, 0))  # a circle, the centre cell
        log_mel = np.asarray(M.log_mel_spectrogram(clip))
        assert log_mel.shape == (37, M.N_MELS) and log_mel.dtype == np.float32
        note_frames = log_mel[4 * SLOT // F.HOP_LENGTH + 1 : 5 * SLOT // F.HOP_LENGTH]  # frames inside cell 4's slot
        bands.append(int(note_frames.mean(axis=0).argmax()))
        silent_frames = log_mel[: 4 * SLOT // F.HOP_LENGTH - 1]
        assert (silent_frames < np.log(M.EPS) + 1e-3).all()  # before the note, only the floor
    assert len(set(bands)) == len(PITCH_BINS) and bands == sorted(bands)


def test_jit_and_vmap_agree_with_the_batched_call():
    clips = jnp.asarray(noise(3, (3, NUM_SAMPLES)), jnp.float32)
    batched = M.log_mel_spectrogram(clips)
    assert batched.shape == (3, 37, M.N_MELS)
    jitted = jax.jit(M.log_mel_spectrogram, static_argnames=("n_mels",))(clips, n_mels=M.N_MELS)
    mapped = jax.vmap(M.log_mel_spectrogram)(clips)
    for other in (jitted, mapped, jnp.stack([M.log_mel_spectrogram(c) for c in clips])):
        np.testing.assert_allclose(np.asarray(other), np.asarray(batched), atol=1e-4)


def test_gradients_are_right(x64):
    x = jnp.asarray(noise(4, 64))
    small = {"frame_length": 16, "hop_length": 8}
    check_grads(lambda s: F.spectrogram(s, **small, power=2), (x,), order=1, modes=("fwd", "rev"))
    check_grads(lambda s: F.spectrogram(s, **small, power=1), (x,), order=1, modes=("fwd", "rev"))
    check_grads(lambda s: M.log_mel_spectrogram(s, **small, n_mels=4), (x,), order=1, modes=("fwd", "rev"))
    # the magnitude of a silent bin has slope 0, not NaN
    assert np.isfinite(np.asarray(jax.grad(lambda s: F.spectrogram(s, **small, power=1).sum())(jnp.zeros(64)))).all()


@pytest.mark.parametrize(
    "audio, error, match",
    [
        (np.float32(0.5), ValueError, r"clip \[samples\] or a batch"),
        (np.zeros((2, 2, NUM_SAMPLES), np.float32), ValueError, r"clip \[samples\] or a batch"),
        (np.zeros(NUM_SAMPLES, np.int16), TypeError, "floating-point"),
        (np.zeros(NUM_SAMPLES, np.complex64), TypeError, "floating-point"),
        (np.zeros(F.FRAME_LENGTH - 1, np.float32), ValueError, "shorter than one frame"),
    ],
)
def test_bad_audio_is_refused(audio, error, match):
    with pytest.raises(error, match=match):
        M.log_mel_spectrogram(audio)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"frame_length": 0}, "frame_length must be an int"),
        ({"hop_length": 2.5}, "hop_length must be an int"),
        ({"f_max": 5000.0}, "f_max <= sample_rate / 2"),
        ({"n_mels": 0}, "n_mels must be a positive int"),
    ],
)
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        M.log_mel_spectrogram(np.zeros(NUM_SAMPLES, np.float32), **kwargs)
    with pytest.raises(ValueError, match="power must be 1"):
        F.spectrogram(np.zeros(NUM_SAMPLES, np.float32), power=3)


def test_the_package_docstring_example_runs():
    import doctest

    import mmjax.audio

    result = doctest.testmod(mmjax.audio)
    assert result.attempted >= 3 and result.failed == 0
