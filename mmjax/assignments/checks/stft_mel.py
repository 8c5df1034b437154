"""Graded tests of the ``stft_mel`` assignment: framing, the Hann window and the STFT against an explicit
NumPy DFT, the mel scale and the triangular filters against their closed forms.
"""

import jax.numpy as jnp
import numpy as np

from mmjax.assignments.testing import close, graded


@graded(points=1)
def test_hann_window(student):
    """w[n] = 0.5 - 0.5 cos(2 pi n / L), periodic: no repeated zero at the end."""
    n = np.arange(8)
    close(student.features.hann_window(8), 0.5 - 0.5 * np.cos(2 * np.pi * n / 8), "hann_window(8)", 1e-6)


@graded(points=2)
def test_frame(student):
    """frames[t, n] = x[t H + n]; with center=True, L // 2 zeros are padded at both ends first."""
    x = np.arange(1.0, 11.0, dtype=np.float32)  # 1 .. 10
    expected = np.array([[1, 2, 3, 4], [4, 5, 6, 7], [7, 8, 9, 10]], np.float32)
    close(student.features.frame(jnp.asarray(x), 4, 3), expected, "frame(x, L=4, H=3)", 0)
    padded = np.concatenate([np.zeros(2), x, np.zeros(2)])
    centred = np.stack([padded[t * 3 : t * 3 + 4] for t in range(4)])
    close(student.features.frame(jnp.asarray(x), 4, 3, center=True), centred, "frame(..., center=True)", 0)
    batch = student.features.frame(jnp.asarray(np.stack([x, -x])), 4, 3)
    close(batch, np.stack([expected, -expected]), "frame of a batch [2, N]", 0)


@graded(points=3)
def test_stft_matches_numpy_dft(student):
    """X[t, k] = sum_n w[n] x[t H + n] exp(-2 pi i k n / L), k = 0 .. L / 2, on centred frames."""
    signal = np.random.default_rng(0).normal(size=(2, 64)).astype(np.float32)
    length, hop = 16, 4
    padded = np.pad(signal, [(0, 0), (length // 2, length // 2)])
    count = 1 + (padded.shape[1] - length) // hop
    frames = np.stack([padded[:, t * hop : t * hop + length] for t in range(count)], axis=1)  # [B, T, L]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / length)
    dft = np.exp(-2j * np.pi * np.outer(np.arange(length), np.arange(length // 2 + 1)) / length)  # [L, K]
    expected = (frames * window) @ dft  # [B, T, K]
    actual = np.asarray(student.features.stft(jnp.asarray(signal), length, hop, center=True))
    close(actual.real, expected.real, "real part of the STFT", 1e-4)
    close(actual.imag, expected.imag, "imaginary part of the STFT", 1e-4)


@graded(points=1)
def test_mel_scale(student):
    """mel(f) = 2595 log10(1 + f / 700); f(m) is its inverse."""
    hz = np.array([0.0, 700.0, 1000.0, 4000.0])
    close(student.mel.hz_to_mel(jnp.asarray(hz)), 2595 * np.log10(1 + hz / 700), "hz_to_mel", 1e-3, 1e-5)
    mel = np.array([0.0, 500.0, 2000.0])
    close(student.mel.mel_to_hz(jnp.asarray(mel)), 700 * (10 ** (mel / 2595) - 1), "mel_to_hz", 1e-2, 1e-5)


@graded(points=2)
def test_triangles(student):
    """Filter m rises linearly from edge m to 1 at edge m + 1 and falls to 0 at edge m + 2."""
    edges = jnp.array([0.0, 100.0, 300.0, 400.0])
    freqs = jnp.array([0.0, 50.0, 100.0, 200.0, 300.0, 350.0, 400.0, 500.0])
    expected = np.array([[0, 0.5, 1, 0.5, 0, 0, 0, 0], [0, 0, 0, 0.5, 1, 0.5, 0, 0]]).T
    close(student.mel.triangles(freqs, edges), expected, "triangles at the chosen frequencies", 1e-6)


@graded(points=1)
def test_mel_filterbank_partitions_unity(student):
    """Neighbouring filters cross at 1/2, so between the first and last centre every bin's weights sum to 1."""
    weights = np.asarray(student.mel.mel_filterbank(n_mels=10, frame_length=256, sample_rate=8000))
    centres = 700 * (10 ** (np.linspace(0, 2595 * np.log10(1 + 4000 / 700), 12)[1:-1] / 2595) - 1)
    bins = np.arange(129) * 8000 / 256
    inside = (bins >= centres[0]) & (bins <= centres[-1])
    close(weights.shape, np.array([129, 10]), "filterbank shape", 0)
    close(weights[inside].sum(axis=1), np.ones(inside.sum()), "sum of the filters at each bin", 1e-4)
