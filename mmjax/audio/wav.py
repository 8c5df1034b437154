"""WAV files in and out with the standard library's ``wave`` module, as float32 mono clips at 8 kHz.

``read_wav`` accepts any uncompressed integer-PCM WAV file and returns what the audio models expect, a
float32 clip ``[N]`` with samples in [-1, 1) at ``SAMPLE_RATE`` Hz. What it converts, and how:

* **bit depth**: 8-bit (unsigned, centred on 128), 16-, 24- and 32-bit (signed, little-endian) samples are
  all read and scaled by ``2^(bits - 1)``, so full scale is [-1, 1) whatever the depth. Floating-point WAV
  (format 3) and compressed formats are refused: ``wave`` reads only integer PCM;
* **channels**: stereo (or more) is mixed down to mono by averaging the channels, the usual downmix, which
  keeps a centred sound at its level. (Channels in opposite phase cancel, and the result reads as silent.)
* **sample rate**: any other rate is resampled to ``SAMPLE_RATE`` with the Fourier method: keep the
  discrete Fourier transform's bins below the new Nyquist frequency (or pad with zeros above the old one)
  and invert at the new length, as ``scipy.signal.resample`` does. Downsampling is thus an ideal low-pass
  filter, so frequencies the new rate cannot hold are removed rather than aliased; the clip is treated as
  one period of a periodic signal, which may ring slightly at its two ends.

A file with no samples, a silent file (peak ``|x|`` below ``silence``, -60 dBFS by default), a missing file
and a file that is not a PCM WAV file each raise a clear error. ``write_wav`` writes 16-bit mono PCM.

The header is checked before any sample is read, since it decides how much is read and computed: a sample
rate within ``MIN_RATE`` .. ``MAX_RATE`` Hz (a header saying 0 Hz divided by zero; 1 Hz asked the resampler
for 8000 samples per sample), 1 .. ``MAX_CHANNELS`` channels, 1 to 4 bytes a sample, and at most
``MAX_SAMPLES`` samples in the file and after resampling (about 43 s of 48 kHz stereo), so reading any
file takes well under a second and 200 MB. Only regular files are opened: a FIFO or a device would block.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from mmjax.data.audio import SAMPLE_RATE
from mmjax.utils.safe_files import regular_file

SILENCE = 1e-3  # peak amplitude below which a file counts as silent: -60 dB below full scale
MIN_RATE, MAX_RATE = 1_000, 768_000  # Hz: below telephone quality, above studio rates, no WAV file is sound
MAX_CHANNELS = 32  # beyond any surround or array recording mmjax might be handed
MAX_SAMPLES = 2**22  # samples (frames x channels) read or made: 32 MB as float64, the form they are worked in


def _decode(raw: bytes, sample_width: int) -> np.ndarray:
    """Little-endian PCM bytes -> float64 samples in [-1, 1)."""
    if sample_width == 1:
        # 8-bit WAV is unsigned: 128 is silence
        return (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) / 128.0
    if sample_width == 3:
        # 24-bit: widen each 3-byte sample to 4 bytes, low byte first, then shift the sign back down
        triples = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        quads = np.concatenate([np.zeros((len(triples), 1), np.uint8), triples], axis=1)  # [N, 4]
        ints = quads.copy().view("<i4")[:, 0] >> 8  # arithmetic shift keeps the sign
        return ints.astype(np.float64) / 2.0**23
    dtype = {2: "<i2", 4: "<i4"}.get(sample_width)
    if dtype is None:
        raise ValueError(f"unsupported sample width of {sample_width} bytes; WAV PCM uses 1, 2, 3 or 4")
    return np.frombuffer(raw, dtype).astype(np.float64) / 2.0 ** (8 * sample_width - 1)


def resample(samples: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """Resample a clip ``[N]`` from ``rate`` to ``new_rate`` Hz, ``[round(N new_rate / rate)]``, by the
    Fourier method (the result of ``scipy.signal.resample``)."""
    for name, value in (("rate", rate), ("new_rate", new_rate)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive whole number of Hz, got {value!r}")
    if rate == new_rate:
        return samples
    n = len(samples)
    m = max(1, round(n * new_rate / rate))
    if m > MAX_SAMPLES:
        raise ValueError(
            f"resampling {n} samples from {rate} to {new_rate} Hz would make {m}, more than the {MAX_SAMPLES} "
            "mmjax handles; cut the clip first"
        )
    spectrum = np.fft.rfft(samples)  # [n // 2 + 1]
    kept = np.zeros(m // 2 + 1, complex)  # [m // 2 + 1]
    # Keep the bins both lengths share: those below the lower of the two Nyquist frequencies.
    shared = min(n, m)
    top = shared // 2 + 1
    kept[:top] = spectrum[:top]
    if shared % 2 == 0:
        # The shared Nyquist bin stands for +f and -f together. Cutting down to it, the longer spectrum's
        # +f and -f bins (complex conjugates) fold into it: a real signal keeps 2 Re. Growing past it, it
        # splits into +f and -f halves.
        kept[shared // 2] = 2 * kept[shared // 2].real if m < n else kept[shared // 2] / 2
    # rfft sums over n samples and irfft divides by m: rescale by m / n so a tone keeps its amplitude.
    return np.fft.irfft(kept, m) * (m / n)


def _check_header(path: Path, channels: int, width: int, file_rate: int, count: int, rate: int) -> None:
    """ValueError naming what in ``path``'s header no real sound has, before anything is read or computed."""
    if not MIN_RATE <= file_rate <= MAX_RATE:
        raise ValueError(
            f"{path}: its header gives a sample rate of {file_rate} Hz; WAV sound is {MIN_RATE} .. {MAX_RATE}"
        )
    if not 1 <= channels <= MAX_CHANNELS:
        raise ValueError(f"{path}: its header gives {channels} channels; mmjax reads 1 .. {MAX_CHANNELS}")
    if width not in (1, 2, 3, 4):
        raise ValueError(f"{path}: its header gives {8 * width}-bit samples; WAV PCM uses 8, 16, 24 or 32 bits")
    if count * channels > MAX_SAMPLES or count * rate / file_rate > MAX_SAMPLES:
        raise ValueError(
            f"{path}: its header gives {count} frames of {channels} channels at {file_rate} Hz "
            f"({count / file_rate:.1f} s), more than the {MAX_SAMPLES} samples mmjax reads; cut the file first"
        )


def read_wav(path: str | Path, rate: int = SAMPLE_RATE, silence: float = SILENCE) -> np.ndarray:
    """float32 mono clip ``[N]`` of the WAV file at ``path``, at ``rate`` Hz (see the module docstring).

    Raises FileNotFoundError if there is no file, ValueError if it is not an integer-PCM WAV file, holds
    no samples or is silent (peak below ``silence``).
    """
    path = regular_file(path, "WAV file")
    try:
        with wave.open(str(path), "rb") as f:
            channels, width, file_rate, count = f.getnchannels(), f.getsampwidth(), f.getframerate(), f.getnframes()
            _check_header(path, channels, width, file_rate, count, rate)
            raw = f.readframes(count)
    except (wave.Error, EOFError) as err:
        raise ValueError(f"{path} is not an uncompressed integer-PCM WAV file ({err})") from err
    if count == 0 or not raw:
        raise ValueError(f"{path} holds no audio (0 samples)")
    if len(raw) % (width * channels):
        raise ValueError(
            f"{path} is truncated: its {len(raw)} bytes of samples do not split into frames of {channels} "
            f"channels x {width} bytes"
        )
    samples = _decode(raw, width)
    mono = samples.reshape(-1, channels).mean(axis=1)  # [N]: the channels' average
    peak = float(np.abs(mono).max())
    if peak < silence:
        raise ValueError(
            f"{path} is silent: its peak amplitude {peak:.2g} is below {silence:g} of full scale "
            "(nothing to hear; after averaging, a stereo file's opposite-phase channels cancel)"
        )
    return resample(mono, file_rate, rate).astype(np.float32)


def write_wav(path: str | Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    """Write a float mono clip ``[N]`` with samples in [-1, 1] as 16-bit PCM at ``rate`` Hz; returns the path.

    Samples are scaled by 32767 and rounded; values outside [-1, 1] raise a ValueError rather than clip.
    """
    samples = np.asarray(samples)
    if not np.issubdtype(samples.dtype, np.floating):
        raise TypeError(f"samples must be floats in [-1, 1], got dtype {samples.dtype}")
    if samples.ndim != 1:
        raise ValueError(f"write_wav writes a mono clip [samples], got shape {samples.shape}")
    if not np.all(np.isfinite(samples)) or np.abs(samples).max(initial=0.0) > 1.0:
        raise ValueError("samples must be finite and within [-1, 1]; scale the clip first")
    if not isinstance(rate, int) or rate < 1:
        raise ValueError(f"rate must be a positive int (Hz), got {rate!r}")
    pcm = np.round(samples.astype(np.float64) * 32767).astype("<i2")  # [N]
    path = Path(path)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(pcm.tobytes())
    return path
