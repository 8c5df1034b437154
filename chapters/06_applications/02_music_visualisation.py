# %% [markdown]
# # Chapter 6.2: music visualisation: drawing what a sound says
#
# Section 6 of the source applies audio-to-image generation to music visualisation: play a piece, and a model
# draws a picture for what it hears. In the Shapes world every scene has a sound (`mmjax.data.audio`): nine
# slots of 64 ms, one per grid cell; an object is a note in its cell's slot whose **pitch** is its colour, whose
# **timbre** (which harmonics sound) is its shape and whose **loudness** is its size. A tune is then a sequence
# of scenes, and a visualiser is a model that hears each bar and draws it.
#
# This chapter goes from the waveform to the picture:
#
# 1. a tune of four bars, written to a WAV file and read back as any sound would be;
# 2. the log-mel spectrogram, written by hand from the equations (frames, window, a direct DFT, the mel
#    filterbank, the log) and checked against `mmjax.audio` and `scipy.signal.stft`;
# 3. the shipped audio-to-image GAN (`mmjax.load_pretrained("shapes-audio")`) drawing each bar;
# 4. how right the pictures are, beside the exact decoder of `mmjax eval audio_decoder` (the ceiling).
#
# Prerequisites: chapter 2.1 (one scene, four modalities), chapter 5.2 (the text-to-image GAN, whose generator
# this one reuses), chapter 9.2 (the judge). Run time: about half a minute in quick mode, a couple of minutes
# in full mode (it only evaluates more sounds).

# %%
import textwrap

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import scipy.signal

import mmjax
from mmjax.audio.features import FRAME_LENGTH, HOP_LENGTH
from mmjax.audio.mel import N_MELS, log_mel_spectrogram, mel_filterbank
from mmjax.audio.wav import read_wav, write_wav
from mmjax.data import attributes as A
from mmjax.data.audio import NUM_SAMPLES, SAMPLE_RATE, SLOT, decode_audio, sonify
from mmjax.data.render import render_image
from mmjax.data.scene import Scene, ShapeObject
from mmjax.eval.evaluate import evaluate_images
from mmjax.eval.generators import load_generator
from mmjax.metrics.judge.export import load_judge
from mmjax.utils import animation, figures
from mmjax.utils.chapter import Chapter

chapter = Chapter("06_applications/02_music_visualisation")
NUM_SOUNDS = 32 if chapter.quick else 512  # test sounds the visualiser and the ceiling are scored on

# %% [markdown]
# ## A tune of four bars
# Each bar is one scene's sound, 0.576 s long. We write the scenes by hand: a melody that climbs in pitch
# (colour) from bar to bar while the notes move across the grid. `ShapeObject(shape, colour, size, row, col)`
# names an object by its attribute indices (`mmjax.data.attributes`).

# %%
print("colours:", A.COLOURS, " shapes:", A.SHAPES, " sizes:", A.SIZES)
one, above = A.NO_RELATION, A.RELATIONS.index("above")
bars = [
    Scene((ShapeObject(0, 0, 1, 0, 0),), one, 0),  # a large red circle, upper left: the lowest pitch
    Scene((ShapeObject(1, 2, 1, 1, 1),), one, 0),  # a large blue square in the centre
    Scene((ShapeObject(2, 4, 0, 0, 2), ShapeObject(1, 1, 1, 2, 2)), above, 0),  # two notes in one bar
    Scene((ShapeObject(3, 5, 0, 2, 0),), one, 0),  # a small cyan cross, lower left: the highest pitch
]
tune = np.concatenate([sonify(scene) for scene in bars])  # [4 * 4608] float32 at 8 kHz
wav_path = write_wav(chapter.out / "tune.wav", tune)
heard = read_wav(wav_path)  # what any WAV file goes through: 16-bit PCM back to floats, mono, 8 kHz
print(f"wrote {wav_path}: {len(tune) / SAMPLE_RATE:.2f} s; read back with max error {np.abs(heard - tune).max():.1e}")
chapter.record("wav_round_trip_error", np.abs(heard - tune).max())

# %% [markdown]
# ## The log-mel spectrogram, by hand
# A clip $x$ is cut into frames of $L = 256$ samples, $H = 128$ apart (centred: $L/2$ zeros padded at both
# ends); each frame is multiplied by the periodic Hann window and Fourier transformed:
#
# $$w[n] = \tfrac12 - \tfrac12 \cos\frac{2\pi n}{L}, \qquad
#   X[t, k] = \sum_{n=0}^{L-1} w[n]\, x[tH + n]\, e^{-2\pi i k n / L}, \quad k = 0, \dots, L/2.$$
#
# Bin $k$ is the frequency $k f_s / L$ (31.25 Hz apart at $f_s$ = 8 kHz). The power $|X|^2$ is summed through
# $M = 40$ triangular filters spaced evenly on the mel scale, $\text{mel}(f) = 2595 \log_{10}(1 + f/700)$,
# and compressed with a log:
#
# $$S[t, m] = \log\Big(\epsilon + \sum_k |X[t, k]|^2\, W[k, m]\Big).$$
#
# The DFT is written as a matrix product here (a direct DFT, $O(L^2)$ per frame), not an FFT: the
# equation, line for line.

# %%
clip = jnp.asarray(heard[:NUM_SAMPLES])  # the first bar, [4608]
L, H = FRAME_LENGTH, HOP_LENGTH
padded = jnp.pad(clip, (L // 2, L // 2))  # centred frames
num_frames = 1 + (padded.shape[0] - L) // H
frames = jnp.stack([padded[t * H : t * H + L] for t in range(num_frames)])  # [T, L]
n = jnp.arange(L)
window = 0.5 - 0.5 * jnp.cos(2 * jnp.pi * n / L)  # [L]
k = jnp.arange(L // 2 + 1)
dft = jnp.exp(-2j * jnp.pi * k[:, None] * n[None, :] / L)  # [K, L]
X = (frames * window) @ dft.T  # [T, K] complex
power = jnp.abs(X) ** 2  # [T, K]
mel = lambda f: 2595 * jnp.log10(1 + f / 700)  # noqa: E731
mel_inverse = lambda m: 700 * (10 ** (m / 2595) - 1)  # noqa: E731
edges = mel_inverse(jnp.linspace(mel(0.0), mel(SAMPLE_RATE / 2), N_MELS + 2))  # [M + 2] Hz
bin_hz = k * SAMPLE_RATE / L  # [K]
left, centre, right = edges[:-2], edges[1:-1], edges[2:]  # [M] each
W = jnp.maximum(
    0, jnp.minimum((bin_hz[:, None] - left) / (centre - left), (right - bin_hz[:, None]) / (right - centre))
)
S_by_hand = jnp.log(1e-6 + power @ W)  # [T, M]

S_library = log_mel_spectrogram(clip)  # [T, M]
filterbank_error = float(jnp.abs(W - mel_filterbank()).max())
# Compare the mel power, relative to its peak: in float32 a direct DFT and an FFT round differently, and the log
# magnifies that where a band is near silence (log(1e-6 + 1e-7) vs log(1e-6 + 2e-7)), where nothing is heard.
mel_power_error = float(jnp.abs(power @ W - (jnp.exp(S_library) - 1e-6)).max() / (power @ W).max())
print(f"frames {tuple(frames.shape)}, spectrogram {tuple(S_by_hand.shape)}")
print(f"by hand vs mmjax.audio: filterbank {filterbank_error:.1e}, mel power {mel_power_error:.1e} of the peak")
chapter.record("filterbank_error", filterbank_error)
chapter.record("mel_power_error", mel_power_error)

# scipy's STFT divides by the window's sum and uses the same centring and periodic Hann window
_, _, Z = scipy.signal.stft(np.asarray(clip, np.float64), nperseg=L, noverlap=L - H, boundary="zeros", padded=False)
scipy_error = float(np.abs(np.asarray(X).T / window.sum() - Z).max() / np.abs(Z).max())
print(f"STFT by hand vs scipy.signal.stft: largest difference {scipy_error:.1e} of the peak")
chapter.record("stft_scipy_error", scipy_error)

# %% [markdown]
# The tune's spectrogram: each note is a bright band at its pitch (its fundamental) with the harmonics its
# shape adds above it, in the slot of its cell; the dashed lines are the slot boundaries.

# %%
S_tune = np.asarray(log_mel_spectrogram(jnp.asarray(heard)))  # [T, M]
fig, ax = plt.subplots(figsize=(12, 3.2))
image = ax.imshow(S_tune.T, origin="lower", aspect="auto", cmap="magma",
                  extent=(0, len(heard) / SAMPLE_RATE, 0, N_MELS))  # fmt: skip
for slot in range(1, 4 * A.GRID * A.GRID):
    ax.axvline(slot * SLOT / SAMPLE_RATE, color="w", lw=0.3 if slot % 9 else 1.5, ls="--" if slot % 9 else "-")
fig.colorbar(image, ax=ax, label="log power")
figures.label(ax, "The tune's log-mel spectrogram: four bars of nine cell slots", "time (s)", "mel band", legend=False)
figures.save(fig, chapter.out / "tune_spectrogram.png", dpi=90)

# %% [markdown]
# ## Drawing what is heard
# The shipped visualiser is a GAN (`mmjax train audio2image`, package `mmjax/audio2image/`). Both players hear
# a clip as its log-mel frames through a Transformer encoder (chapter 4.2): each of the 37 frames is a token.
# The generator is chapter 5.2's sub-pixel generator, and it listens *per place*: the clip is cell-aligned (slot
# $k$ is grid cell $k$), so the frame states inside slot $k$ are averaged into $s_k$, and every place $p$ of
# every feature map is modulated by what its own cell's slot says,
#
# $$e(p) = s + W s_{\text{cell}(p)} + P_p, \qquad h(p) \leftarrow h(p)\,(1 + \gamma(e(p))) + \beta(e(p)),$$
#
# with $s$ the whole clip's vector and $P_p$ a learned vector per place. Binding "what" to "where" is built in
# rather than learned. G also has an "ear", a read-out that names each slot's shape, colour and size from
# $s_k$, trained on the scene's labels, so its encoder learns pitch, timbre and loudness directly. The
# discriminator judges (picture, sound) pairs and names each cell's object too.
#
# One picture per bar, with what the exact decoder hears and the picture the scene really is:

# %%
visualiser = mmjax.load_pretrained("shapes-audio")
print(visualiser)
bar_clips = [heard[i * NUM_SAMPLES : (i + 1) * NUM_SAMPLES] for i in range(len(bars))]  # 4 x [4608]
drawn = [np.asarray(visualiser.generate_image_from_audio(clip, seed=0)) for clip in bar_clips]  # [32, 32, 3] each
fig, axes = plt.subplots(2, len(bars), figsize=(2.4 * len(bars), 5.0))
for i, (scene, picture, clip) in enumerate(zip(bars, drawn, bar_clips)):
    axes[0, i].imshow(picture, interpolation="nearest")
    axes[1, i].imshow(render_image(scene), interpolation="nearest")
    axes[0, i].set_title(f"bar {i + 1}: drawn", fontsize=9)
    axes[1, i].set_title("\n".join(textwrap.wrap(visualiser.heard(clip), 26)), fontsize=7)
    print(f"bar {i + 1}: heard {visualiser.heard(clip)}")
for ax in axes.ravel():
    ax.set_xticks([]), ax.set_yticks([])
fig.suptitle("Each bar of the tune drawn by the visualiser (top), and the scene it sonifies (below)", fontsize=10)
figures.save(fig, chapter.out / "tune_pictures.png", dpi=90)
gif = animation.save_gif(np.stack(drawn), chapter.out / "tune_pictures.gif", fps=1 / 0.576)
print(f"the visualisation plays at one picture per bar: {gif}")

# %% [markdown]
# ## How right are the pictures?
# As for text-to-image (chapter 9.2), the judge reads every attribute off each picture. A sound states every
# attribute of its scene, cells included, so a picture is **all correct** when every object is in the right
# cell with the right shape, colour and size. The **ceiling** is `mmjax eval audio_decoder`: the exact
# decoder `decode_audio` (an FFT per slot, `mmjax.data.audio`) rendering the scene it recovers, which is
# right for every sound; the gap between the two is what the GAN has not learned.

# %%
judge = load_judge()[0]
scores = {}
for name, split in (("audio2image", "test"), ("audio2image", "test_heldout"), ("audio_decoder", "test")):
    _, generate = load_generator(name)
    scores[name, split] = evaluate_images(generate, judge, split, NUM_SOUNDS, seed=0, audio=True)
    print(
        f"{name:14s} {split:12s}",
        {k[10:]: round(v, 3) for k, v in scores[name, split].items() if k.startswith("coherence_")},
    )
chapter.record("visualiser_all_correct", scores["audio2image", "test"]["coherence_all_correct"])
chapter.record("visualiser_heldout_all_correct", scores["audio2image", "test_heldout"]["coherence_all_correct"])
chapter.record("decoder_all_correct", scores["audio_decoder", "test"]["coherence_all_correct"])
for attribute in ("shape", "colour", "size"):
    chapter.record(f"visualiser_{attribute}", scores["audio2image", "test"][f"coherence_{attribute}"])

# the decoder inverts the sonification exactly: every bar of the tune comes back as its scene
assert all(decode_audio(clip) == scene.canonical() for clip, scene in zip(bar_clips, bars))

names = ("all_correct", "shape", "colour", "size", "num_objects")
runs = {("audio2image", "test"): ("the visualiser, test sounds", "C0"),
        ("audio2image", "test_heldout"): ("the visualiser, held-out colour x shape pairs", "C1"),
        ("audio_decoder", "test"): ("ceiling: the exact decoder", "C2")}  # fmt: skip
fig, ax = plt.subplots(figsize=(10, 3.8))
x = np.arange(len(names))
for offset, (run, (label, colour)) in zip((-0.27, 0.0, 0.27), runs.items()):
    p = np.array([scores[run][f"coherence_{k}"] for k in names])
    ax.bar(x + offset, p, 0.27, yerr=np.sqrt(p * (1 - p) / NUM_SOUNDS), capsize=3, color=colour, label=label)
ax.set_xticks(x, [n.replace("_", " ") for n in names])
ax.set_ylim(0, 1.05)
figures.label(ax, f"Pictures drawn from {NUM_SOUNDS} sounds per split, read by the judge", None, "accuracy",
              better="higher")  # fmt: skip
figures.save(fig, chapter.out / "visualiser_accuracy.png", dpi=90)

# %% [markdown]
# What the full run shows (512 sounds per split):
#
# * **On the sounds it was trained for, the visualiser nearly reaches the ceiling.** It draws
#   `visualiser_all_correct` = 0.98 of the `test` sounds with every object right, where the exact decoder
#   gets `decoder_all_correct` = 1. Colour (pitch) and size (loudness) are read almost perfectly
#   (`visualiser_colour` 1.0, `visualiser_size` 1.0); shape, carried by which harmonics sound, is the
#   subtlest part of a note and the one it misses most (`visualiser_shape` 0.99).
# * **On new combinations it fails.** Every colour and every shape is heard in training, but the four
#   held-out colour x shape pairs never are (chapter 8.3): on them only `visualiser_heldout_all_correct` =
#   0.02 of the pictures are right. The visualiser learned the pitch-and-timbre combinations it heard, not
#   pitch and timbre separately; the decoder, which reads each from its own FFT bins, has no such gap.
#
# ## Summary
# * A sound becomes tokens for a Transformer through framing, a window, a Fourier transform, a mel filterbank
#   and a log: about ten lines of `jax.numpy`, equal to `mmjax.audio.log_mel_spectrogram` and to
#   `scipy.signal.stft`.
# * A visualiser draws a picture per stretch of sound; here one bar is one scene, and a GAN conditioned on the
#   clip's frames draws it.
# * An exact decoder of the sonification is the ceiling any learned visualiser is measured against.
#
# ## Exercises
# Use `from mmjax.utils.selfcheck import check`.
# 1. **A note's pitch on the mel axis.** The red circle of bar 1 sounds at 250 Hz, in slot 0 (its cell is the
#    upper left: samples 0 to 511). Frame $t$ covers samples $128t - 128$ to $128t + 128$ (the frames are
#    centred), so frames 1, 2 and 3 lie wholly inside slot 0. In which mel band is the fundamental loudest
#    there? Take `S_by_hand[1:4].mean(0).argmax()` and compare it with the band whose centre is nearest
#    250 Hz, `np.abs(np.asarray(centre) - 250).argmin()`: they are the same band,
#    `check(int(S_by_hand[1:4].mean(0).argmax()), expected=int(np.abs(np.asarray(centre) - 250).argmin()), tol=0)`.
# 2. **Resampling.** Write the tune at 16 kHz (`write_wav(path, scipy.signal.resample(tune, 2 * len(tune)),
#    rate=16_000)`) and read it back with `read_wav`: it comes back at 8 kHz. How large is the largest
#    difference from `tune`?
# 3. **Hear a silence.** Pass a bar of zeros, `np.zeros(NUM_SAMPLES, np.float32)`, to
#    `visualiser.generate_image_from_audio`. What does it do, and why is that better than drawing something?
# 4. **Graded.** The STFT and the mel filterbank are an assignment:
#    `mmjax assignment new stft_mel --dir hw`, then `mmjax assignment grade hw`.
#
# ## Expected results
# | figure | full run | quick run |
# |---|---|---|
# | `wav_round_trip_error`: 16-bit WAV written and read back | < 1e-4 | < 1e-4 |
# | `filterbank_error`: filterbank by hand vs the library | < 1e-5 | < 1e-5 |
# | `mel_power_error`: mel power by hand vs the library, of the peak | < 1e-5 | < 1e-5 |
# | `stft_scipy_error`: STFT by hand vs scipy, of the peak | < 1e-4 | < 1e-4 |
# | `decoder_all_correct`: the exact decoder, all right (the ceiling) | 1 ± 0 | 1 ± 0 |
# | `visualiser_all_correct`: the shipped GAN, all right on `test` sounds | 0.93 .. 1 | - (32 sounds) |
# | `visualiser_shape`: its shapes | 0.95 .. 1 | - (32 sounds) |
# | `visualiser_colour`: its colours | 0.98 .. 1 | - (32 sounds) |
# | `visualiser_size`: its sizes | 0.98 .. 1 | - (32 sounds) |
# | `visualiser_heldout_all_correct`: all right on held-out colour x shape pairs | < 0.15 | - (32 sounds) |

# %%
chapter.finish()
