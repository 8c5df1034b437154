"""Sound as model input: log-mel features written from scratch in ``jax.numpy``, and WAV files in and out.

Each file holds one idea, with its equation right above the lines that implement it:

* ``features``: framing, the periodic Hann window, the short-time Fourier transform and the power or
  magnitude spectrogram (checked against ``scipy.signal.stft`` and a direct DFT);
* ``mel``: the HTK mel scale, the triangular mel filterbank, log compression and ``log_mel_spectrogram``;
* ``wav``: ``read_wav`` (any integer-PCM WAV file to a float32 mono clip at 8 kHz: bit depths scaled,
  stereo averaged, other rates resampled; empty, silent or unreadable files refused) and ``write_wav``.

Everything is pure ``jax.numpy``: it jits, vmaps over a batch and differentiates.

From a Shapes clip to a log-mel spectrogram
-------------------------------------------
Every Shapes scene has a sound (``mmjax.data.audio``): 4608 samples at 8 kHz, one 512-sample note per grid
cell. With the defaults, frames of 256 samples (32 ms) every 128 samples (4 frames per note), centred, give
``1 + 4608 // 128 = 37`` frames; 40 mel bands summarise each frame's 129 FFT bins:

>>> from mmjax.audio.mel import log_mel_spectrogram
>>> from mmjax.data.shapes import example
>>> clip = example(0, "train", 0, ("audio",))["audio"]  # float32 [4608]
>>> log_mel_spectrogram(clip).shape  # [frames, n_mels]
(37, 40)

A batch ``[B, 4608]`` gives ``[B, 37, 40]``; so does ``jax.vmap(log_mel_spectrogram)``. A WAV file goes the
same way after ``mmjax.audio.wav.read_wav(path)``; a clip longer than 4608 samples just gives more frames.
"""
