# Exercise 1
from mmjax.data.audio import PITCH_BINS
from mmjax.utils.selfcheck import check

ex1_f0 = PITCH_BINS[bars[0].objects[0].colour] * SAMPLE_RATE / SLOT  # the red circle's pitch
assert ex1_f0 == 250.0
# frames wholly inside slot 0 (samples 0 .. 511): frame t covers 128 t - 128 .. 128 t + 128
ex1_inside = [t for t in range(num_frames) if t * H - L // 2 >= 0 and t * H + L // 2 <= SLOT]
assert ex1_inside == [1, 2, 3]
ex1_loudest = int(S_by_hand[1:4].mean(0).argmax())
ex1_nearest = int(np.abs(np.asarray(centre) - 250).argmin())  # the band whose centre is nearest 250 Hz
ex1_hz = float(centre[ex1_nearest])
print(f"loudest band in slot 0: {ex1_loudest}; centred nearest 250 Hz: {ex1_nearest} ({ex1_hz:.0f} Hz)")
assert check(int(S_by_hand[1:4].mean(0).argmax()), expected=int(np.abs(np.asarray(centre) - 250).argmin()), tol=0)

# Exercise 2
ex2_path = write_wav(chapter.out / "tune_16k.wav", scipy.signal.resample(tune, 2 * len(tune)), rate=16_000)
ex2_heard = read_wav(ex2_path)  # resampled to 8 kHz on reading
assert ex2_heard.shape == tune.shape
ex2_error = float(np.abs(ex2_heard - tune).max())
print(f"16 kHz round trip: largest difference {ex2_error:.1e} (one 16-bit step is {1 / 32768:.1e})")
# Up and down again by the FFT is exact for a band-limited tune: what is left is 16-bit rounding, about one step.
assert ex2_error < 1e-4

# Exercise 3
ex3_silence = np.zeros(NUM_SAMPLES, np.float32)
try:
    visualiser.generate_image_from_audio(ex3_silence, seed=0)
    ex3_refused = None
except ValueError as error:
    ex3_refused = str(error)
print("silence:", ex3_refused)
# It refuses with a clear error instead of drawing: a silent bar states no scene, so any picture would be invented.
assert ex3_refused is not None and "silent" in ex3_refused

# Exercise 4
import tempfile
from pathlib import Path

from mmjax.assignments.copies import write_copy
from mmjax.assignments.grader import format_report, grade

ex4_dir = Path(tempfile.mkdtemp(prefix="stft_mel_")) / "hw"
write_copy("stft_mel", ex4_dir)  # what `mmjax assignment new stft_mel --dir hw` writes
ex4_answers = {  # the student's bodies, written from this chapter's equations (a direct DFT, as above)
    "hann_window": ["return 0.5 - 0.5 * jnp.cos(2 * jnp.pi * jnp.arange(length) / length)"],
    "frame": [
        "if center:",
        "    pad = [(0, 0)] * (signal.ndim - 1) + [(frame_length // 2, frame_length // 2)]",
        "    signal = jnp.pad(signal, pad)",
        "count = 1 + (signal.shape[-1] - frame_length) // hop_length",
        "starts = hop_length * jnp.arange(count)",
        "return jnp.stack([signal[..., s : s + frame_length] for s in starts.tolist()], axis=-2)",
    ],
    "stft": [
        "frames = frame(signal, frame_length, hop_length, center) * hann_window(frame_length)",
        "n, k = jnp.arange(frame_length), jnp.arange(frame_length // 2 + 1)",
        "return frames @ jnp.exp(-2j * jnp.pi * n[:, None] * k[None, :] / frame_length)",
    ],
    "hz_to_mel": ["return 2595 * jnp.log10(1 + jnp.asarray(hz) / 700)"],
    "mel_to_hz": ["return 700 * (10 ** (jnp.asarray(mel) / 2595) - 1)"],
    "triangles": [
        "f, (left, centre, right) = jnp.asarray(freqs)[:, None], (edges[:-2], edges[1:-1], edges[2:])",
        "return jnp.maximum(0, jnp.minimum((f - left) / (centre - left), (right - f) / (right - centre)))",
    ],
}
for ex4_file in ("features.py", "mel.py"):
    ex4_lines = (ex4_dir / ex4_file).read_text().splitlines()
    for ex4_i, ex4_line in reversed(list(enumerate(ex4_lines))):
        if 'raise NotImplementedError("write ' in ex4_line:
            ex4_name = ex4_line.split('("write ')[1].split(" ")[0]
            ex4_indent = ex4_line[: len(ex4_line) - len(ex4_line.lstrip())]
            ex4_lines[ex4_i : ex4_i + 1] = [ex4_indent + body for body in ex4_answers.pop(ex4_name)]
    (ex4_dir / ex4_file).write_text("\n".join(ex4_lines) + "\n")
assert not ex4_answers, f"no stub found for {list(ex4_answers)}"
ex4_report = grade(ex4_dir)  # `mmjax assignment grade hw`
print(format_report(ex4_report))
assert ex4_report["public"]["points"] == ex4_report["public"]["max_points"] == 10, ex4_report["summary"]
