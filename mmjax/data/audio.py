"""Sonification: every scene as a short mono clip from which every drawn attribute can be recovered.

The clip is ``9`` slots of ``SLOT`` samples at ``SAMPLE_RATE`` Hz, one slot per grid cell (row-major).
Each object is one note in the slot of its cell:

    position -> onset        the note starts at  t = cell * SLOT / SAMPLE_RATE  seconds
    colour   -> pitch        f0 = PITCH_BINS[colour] * SAMPLE_RATE / SLOT  (exactly on an FFT bin of a slot)
    shape    -> timbre       x(t) = a * sum_h TIMBRES[shape][h] * sin(2 pi (h + 1) f0 t)
    size     -> loudness     a = LOUDNESS[size]

A raised-cosine fade at both ends of each note avoids clicks. ``decode_audio`` inverts the mapping: the
energy of each slot says which cells hold an object; in an occupied slot the FFT peak gives the pitch,
the harmonic amplitudes relative to the fundamental give the timbre, and the fundamental's amplitude the
loudness. Sub-cell jitter and the video motion are not sonified.
"""

from __future__ import annotations

import numpy as np

from mmjax.data import attributes as A
from mmjax.data.scene import Scene, ShapeObject

SAMPLE_RATE = 8000  # Hz
SLOT = 512  # samples per grid cell: 64 ms, FFT bin width SAMPLE_RATE / SLOT = 15.625 Hz
NUM_SAMPLES = SLOT * A.GRID * A.GRID  # 4608 samples = 0.576 s
PITCH_BINS = (16, 19, 22, 26, 31, 37)  # per colour: 250, 297, 344, 406, 484, 578 Hz
TIMBRES = (  # relative amplitudes of harmonics 1..4, per shape
    (1.0, 0.0, 0.0, 0.0),  # circle: a pure tone
    (1.0, 0.0, 0.5, 0.0),  # square: a hollow, clarinet-like odd 3rd harmonic
    (1.0, 0.0, 0.0, 0.5),  # triangle: a bright 4th harmonic (two octaves up)
    (1.0, 0.5, 0.0, 0.0),  # cross: an octave (2nd harmonic)
)
LOUDNESS = (0.25, 0.5)  # fundamental amplitude of a small and a large object
FADE = 32  # samples of raised-cosine fade in and out


def _envelope() -> np.ndarray:
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(FADE) / FADE)
    envelope = np.ones(SLOT)
    envelope[:FADE], envelope[-FADE:] = ramp, ramp[::-1]
    return envelope


def note(obj: ShapeObject) -> np.ndarray:
    """The ``SLOT`` samples that sound one object."""
    t = np.arange(SLOT) / SAMPLE_RATE
    f0 = PITCH_BINS[obj.colour] * SAMPLE_RATE / SLOT
    wave = sum(amp * np.sin(2 * np.pi * (h + 1) * f0 * t) for h, amp in enumerate(TIMBRES[obj.shape]) if amp)
    return LOUDNESS[obj.size] * wave * _envelope()


def sonify(scene: Scene) -> np.ndarray:
    """float32 ``[NUM_SAMPLES]`` mono clip of ``scene`` at ``SAMPLE_RATE`` Hz, values in [-1, 1]."""
    clip = np.zeros(NUM_SAMPLES)
    for obj in scene.objects:
        clip[obj.cell * SLOT : (obj.cell + 1) * SLOT] += note(obj)
    return clip.astype(np.float32)


def _harmonic_amplitudes(segment: np.ndarray, pitch_bin: int) -> np.ndarray:
    spectrum = np.abs(np.fft.rfft(segment * _envelope()))
    return np.array([spectrum[(h + 1) * pitch_bin] for h in range(len(TIMBRES[0]))])


def decode_audio(clip: np.ndarray) -> Scene:
    """Recover the (canonical) scene from a clip made by ``sonify``; motion is not encoded and reads 0."""
    clip = np.asarray(clip, np.float64)
    if clip.shape != (NUM_SAMPLES,):
        raise ValueError(f"expected a mono clip of shape ({NUM_SAMPLES},), got {clip.shape}")
    slots = clip.reshape(A.GRID * A.GRID, SLOT)
    energy = np.sqrt(np.mean(slots**2, axis=1))
    occupied = np.flatnonzero(energy > 0.25 * LOUDNESS[0] * np.sqrt(0.5))
    reference = np.fft.rfft(_envelope() ** 2)[0].real / 2  # FFT magnitude of a unit-amplitude sine on a bin
    objects = []
    for cell in occupied:
        pitch_scores = [_harmonic_amplitudes(slots[cell], b)[0] for b in PITCH_BINS]
        colour = int(np.argmax(pitch_scores))
        harmonics = _harmonic_amplitudes(slots[cell], PITCH_BINS[colour])
        shape = int(np.argmin([np.sum((harmonics / harmonics[0] - np.array(t)) ** 2) for t in TIMBRES]))
        amplitude = harmonics[0] / reference
        size = int(np.argmin([abs(amplitude - loud) for loud in LOUDNESS]))
        row, col = divmod(int(cell), A.GRID)
        objects.append(ShapeObject(shape, colour, size, row, col))
    if not 1 <= len(objects) <= A.MAX_OBJECTS:
        raise ValueError(f"clip holds {len(objects)} notes; a Shapes clip holds 1 or 2")
    if len(objects) == 1:
        return Scene(tuple(objects), A.NO_RELATION, 0)
    first, second = objects  # slots are in row-major order, which is the canonical order
    relation = A.RELATIONS.index("above" if first.col == second.col else "left of")
    return Scene((first, second), relation, 0)
