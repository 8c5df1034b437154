"""The short-time Fourier transform from scratch: framing, the Hann window, the STFT and the spectrogram.

A clip ``x`` of ``N`` samples is cut into overlapping frames of ``L`` samples, ``H`` samples apart; each frame
is multiplied by a window and Fourier transformed, which says how much of each frequency sounds around the
frame's time. Every function takes one clip ``[N]`` or a batch ``[B, N]`` of float samples, is pure
``jax.numpy`` (so it jits, vmaps and differentiates), and puts the frames axis before the frequency axis:
``[B, frames, frequencies]``.

Conventions, chosen to match ``scipy.signal.stft`` (up to its scaling) and ``librosa.stft``:

* ``center=True`` pads ``L // 2`` zeros at both ends, so frame ``t`` is centred on sample ``t * H``
  (``scipy``'s ``boundary="zeros", padded=False``; ``librosa``'s ``pad_mode="constant"``);
* the window is the periodic Hann window (``scipy.signal.get_window("hann", L)``);
* the FFT length is the frame length and the transform is not scaled (``scipy``'s ``scaling="spectrum"``
  divides it by ``sum(window)``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

FRAME_LENGTH = 256  # samples: 32 ms at 8 kHz, frequency bins SAMPLE_RATE / 256 = 31.25 Hz apart
HOP_LENGTH = 128  # samples between frames: 4 frames per 512-sample note of a Shapes clip


def _check_lengths(frame_length: int, hop_length: int) -> None:
    for name, value, least in (("frame_length", frame_length, 2), ("hop_length", hop_length, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ValueError(f"{name} must be an int >= {least}, got {value!r}")


def check_signal(signal: jax.Array, frame_length: int) -> jax.Array:
    """``signal`` as an array after checking it is a float clip ``[N]`` or batch ``[B, N]`` holding at
    least one frame; a clear TypeError or ValueError otherwise."""
    signal = jnp.asarray(signal)
    if not jnp.issubdtype(signal.dtype, jnp.floating):
        raise TypeError(
            f"audio must be a real floating-point array (samples in [-1, 1]), got dtype {signal.dtype}; "
            "convert integer PCM first, e.g. int16 samples / 32768"
        )
    if signal.ndim not in (1, 2):
        raise ValueError(f"audio must be a clip [samples] or a batch [batch, samples], got shape {signal.shape}")
    if signal.shape[-1] < frame_length:
        raise ValueError(f"audio of {signal.shape[-1]} samples is shorter than one frame of {frame_length} samples")
    return signal


def num_frames(num_samples: int, frame_length: int = FRAME_LENGTH, hop_length: int = HOP_LENGTH, center=True) -> int:
    """T = 1 + floor((N + 2 * floor(L / 2) * center - L) / H): how many whole frames fit in the (padded) clip."""
    padded = num_samples + 2 * (frame_length // 2) * bool(center)
    return 1 + (padded - frame_length) // hop_length


def hann_window(length: int) -> jax.Array:
    """The periodic Hann window ``[L]``: one period of a raised cosine, so overlapping copies ``L / 2``
    apart add up to a constant (the window of spectral analysis, unlike the symmetric one of filter design).
    """
    _check_lengths(length, 1)
    # BEGIN SOLUTION
    n = jnp.arange(length)  # [L]
    # w[n] = 0.5 - 0.5 cos(2 pi n / L),  n = 0 .. L - 1
    return 0.5 - 0.5 * jnp.cos(2 * jnp.pi * n / length)
    # END SOLUTION


def frame(signal: jax.Array, frame_length: int, hop_length: int, center: bool = False) -> jax.Array:
    """Overlapping frames ``[..., T, L]`` of a clip ``[N]`` or batch ``[B, N]``: frames[t, n] = x[t H + n].

    With ``center=True`` the clip is first padded with ``L // 2`` zeros at both ends, so frame ``t`` is
    centred on the original sample ``t H``. Samples after the last whole frame are dropped.
    """
    _check_lengths(frame_length, hop_length)
    signal = check_signal(signal, frame_length)
    # BEGIN SOLUTION
    if center:
        pad = frame_length // 2
        signal = jnp.pad(signal, [(0, 0)] * (signal.ndim - 1) + [(pad, pad)])  # [..., N + 2 (L // 2)]
    count = num_frames(signal.shape[-1], frame_length, hop_length, center=False)
    # index[t, n] = t H + n: one gather builds every frame at once
    index = hop_length * jnp.arange(count)[:, None] + jnp.arange(frame_length)[None, :]  # [T, L]
    return signal[..., index]  # [..., T, L]
    # END SOLUTION


def stft(
    signal: jax.Array, frame_length: int = FRAME_LENGTH, hop_length: int = HOP_LENGTH, center: bool = True
) -> jax.Array:
    """The short-time Fourier transform, complex ``[..., T, L // 2 + 1]``.

    X[t, k] = sum_{n=0}^{L-1} w[n] x[t H + n] exp(-2 pi i k n / L),  k = 0 .. L / 2,

    the discrete Fourier transform of each windowed frame; bin ``k`` is the frequency ``k * rate / L``.
    The input is real, so the bins above ``L / 2`` mirror those below and ``rfft`` skips them.
    """
    # BEGIN SOLUTION
    frames = frame(signal, frame_length, hop_length, center)  # [..., T, L]
    windowed = frames * hann_window(frame_length).astype(frames.dtype)  # [..., T, L]
    return jnp.fft.rfft(windowed, axis=-1)  # [..., T, L // 2 + 1]
    # END SOLUTION


def _safe_sqrt(x: jax.Array) -> jax.Array:
    # sqrt has an infinite slope at 0; a silent bin gets the value 0 and the gradient 0 instead of NaN
    positive = x > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, x, 1.0)), 0.0)


def spectrogram(
    signal: jax.Array,
    frame_length: int = FRAME_LENGTH,
    hop_length: int = HOP_LENGTH,
    center: bool = True,
    power: int = 2,
) -> jax.Array:
    """|X[t, k]| ** power, real ``[..., T, L // 2 + 1]``: the power spectrogram (``power=2``, energy per
    bin) or the magnitude spectrogram (``power=1``); the phase is thrown away.
    """
    if power not in (1, 2):
        raise ValueError(f"power must be 1 (magnitude) or 2 (power), got {power!r}")
    spectrum = stft(signal, frame_length, hop_length, center)  # [..., T, K]
    # |X|^2 = Re(X)^2 + Im(X)^2
    energy = spectrum.real**2 + spectrum.imag**2  # [..., T, K]
    # |X| = sqrt(|X|^2)
    return energy if power == 2 else _safe_sqrt(energy)
