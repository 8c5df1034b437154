"""The mel scale, the triangular mel filterbank and the log-mel spectrogram.

Ears resolve low pitches finely and high pitches coarsely; the mel scale is a frequency axis on which equal
steps sound equally far apart. A mel spectrogram sums the power spectrogram's bins through triangular filters
spaced evenly in mels, so it keeps detail where hearing does and shrinks ``L / 2 + 1`` bins to ``n_mels``
bands; the log then compresses its range the way loudness is heard.

Conventions (``librosa.filters.mel(htk=True, norm=None)``):

* the HTK mel formula, ``mel(f) = 2595 log10(1 + f / 700)``: one smooth formula, where Slaney's
  (``librosa``'s default) is linear below 1 kHz and logarithmic above;
* each filter is a triangle that rises from 0 at its left edge to 1 at its centre and falls to 0 at its
  right edge, linear in Hz; the edges of filter ``m`` are the centres of its neighbours, so neighbouring
  triangles cross at 1/2 and together cover the band from ``f_min`` to ``f_max``. The triangles are not
  area-normalised: a band's value is the power around its centre, whatever the band's width;
* ``log(eps + power)``: natural log with an additive floor, smooth (so differentiable at silence, where
  ``log(max(power, eps))`` has no slope) and never ``-inf``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from mmjax.audio.features import FRAME_LENGTH, HOP_LENGTH, spectrogram
from mmjax.data.audio import SAMPLE_RATE

N_MELS = 40  # bands: the six colour pitches of a Shapes clip fall in six different bands
EPS = 1e-6  # floor of the log: log(1e-6) = -13.8, far below a note's power (about 1e2 to 1e3)


def hz_to_mel(hz: jax.Array) -> jax.Array:
    """mel(f) = 2595 log10(1 + f / 700) (HTK): about linear below 700 Hz, logarithmic above."""
    # BEGIN SOLUTION
    return 2595.0 * jnp.log10(1.0 + jnp.asarray(hz) / 700.0)
    # END SOLUTION


def mel_to_hz(mel: jax.Array) -> jax.Array:
    """f(m) = 700 (10^(m / 2595) - 1), the inverse of ``hz_to_mel``."""
    # BEGIN SOLUTION
    return 700.0 * (10.0 ** (jnp.asarray(mel) / 2595.0) - 1.0)
    # END SOLUTION


def mel_edges(n_mels: int, f_min: float, f_max: float) -> jax.Array:
    """The ``n_mels + 2`` edge frequencies in Hz, evenly spaced in mels from ``f_min`` to ``f_max``:
    filter ``m`` rises from edge ``m``, peaks at edge ``m + 1`` and ends at edge ``m + 2``."""
    # f_i = mel^-1( mel(f_min) + i (mel(f_max) - mel(f_min)) / (n_mels + 1) ),  i = 0 .. n_mels + 1
    return mel_to_hz(jnp.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))  # [M + 2]


def triangles(freqs: jax.Array, edges: jax.Array) -> jax.Array:
    """The response ``[F, M]`` of each of the ``M = len(edges) - 2`` triangular filters at frequencies ``[F]``.

    W[f, m] = max(0, min((f - f_m) / (f_{m+1} - f_m), (f_{m+2} - f) / (f_{m+2} - f_{m+1})))
    """
    # BEGIN SOLUTION
    left, centre, right = edges[:-2], edges[1:-1], edges[2:]  # [M] each
    freqs = jnp.asarray(freqs)[:, None]  # [F, 1]
    rising = (freqs - left) / (centre - left)  # [F, M]
    falling = (right - freqs) / (right - centre)  # [F, M]
    return jnp.maximum(0.0, jnp.minimum(rising, falling))
    # END SOLUTION


def mel_filterbank(
    n_mels: int = N_MELS,
    frame_length: int = FRAME_LENGTH,
    sample_rate: int = SAMPLE_RATE,
    f_min: float = 0.0,
    f_max: float | None = None,
) -> jax.Array:
    """The filterbank ``[L // 2 + 1, n_mels]`` that maps a power spectrum to mel bands: ``mel = power @ W``.

    Rows are the FFT bins ``k * sample_rate / L``; ``f_max`` defaults to the Nyquist frequency. Raises a
    ValueError when a filter is narrower than the bin spacing and catches no bin (too many bands for
    ``frame_length``): its band would always read 0.
    """
    f_max = sample_rate / 2 if f_max is None else f_max
    if not isinstance(n_mels, int) or n_mels < 1:
        raise ValueError(f"n_mels must be a positive int, got {n_mels!r}")
    if not 0 <= f_min < f_max <= sample_rate / 2:
        raise ValueError(f"need 0 <= f_min < f_max <= sample_rate / 2 = {sample_rate / 2}, got {f_min}, {f_max}")
    # The filterbank is a constant of the configuration: built eagerly even under jit, so it can be checked.
    with jax.ensure_compile_time_eval():
        bin_freqs = jnp.arange(frame_length // 2 + 1) * sample_rate / frame_length  # [K]
        weights = triangles(bin_freqs, mel_edges(n_mels, f_min, f_max))  # [K, M]
        empty = [int(m) for m in jnp.flatnonzero(weights.max(axis=0) == 0)]
    if empty:
        raise ValueError(
            f"mel filters {empty} catch no FFT bin: {n_mels} bands are too many for frame_length {frame_length} "
            f"(bins {sample_rate / frame_length:g} Hz apart); use fewer bands or longer frames"
        )
    return weights


def log_compress(x: jax.Array, eps: float = EPS) -> jax.Array:
    """log(eps + x): the log of a non-negative power, floored at ``log(eps)`` and smooth everywhere."""
    if eps <= 0:
        raise ValueError(f"eps must be positive (the floor of the log is log(eps)), got {eps}")
    return jnp.log(eps + x)


def log_mel_spectrogram(
    audio: jax.Array,
    sample_rate: int = SAMPLE_RATE,
    frame_length: int = FRAME_LENGTH,
    hop_length: int = HOP_LENGTH,
    n_mels: int = N_MELS,
    f_min: float = 0.0,
    f_max: float | None = None,
    center: bool = True,
    eps: float = EPS,
) -> jax.Array:
    """Log-mel features ``[T, n_mels]`` of a clip ``[N]``, or ``[B, T, n_mels]`` of a batch ``[B, N]``.

    S[t, m] = log(eps + sum_k |X[t, k]|^2 W[k, m])

    With the defaults a Shapes clip (4608 samples at 8 kHz) gives ``[37, 40]``.
    """
    power = spectrogram(audio, frame_length, hop_length, center, power=2)  # [..., T, K]
    weights = mel_filterbank(n_mels, frame_length, sample_rate, f_min, f_max).astype(power.dtype)  # [K, M]
    return log_compress(power @ weights, eps)  # [..., T, M]
