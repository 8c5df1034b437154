"""The audio-to-image GAN as mmjax ships it: ``shapes-audio/audio2image.npz`` among the package's artifacts.

It stores G's moving-average weights (its sampling weights), D's weights and the config; the optimiser
states stay in the run folder. The file is a safe ``.npz`` (no pickle) with the config as JSON beside the
arrays (:mod:`mmjax.gan.export`, :mod:`mmjax.utils.npz_checkpoint`).

    config, g_variables = load()                       # the shipped file
    config, players = load_players(path)               # {"generator": ..., "discriminator": ...}
"""

from __future__ import annotations

from mmjax.audio2image.config import AudioToImageConfig
from mmjax.audio2image.model import build_players
from mmjax.gan.export import Shipped

ARTIFACT = "shapes-audio/audio2image.npz"
MAKE_COMMAND = (
    "mmjax train audio2image --steps 1750 --seed 0 --eval-every 250 --run-dir runs/audio2image && "
    "mmjax export runs/audio2image --out mmjax/artifacts/shapes-audio/audio2image.npz"
)
SHIPPED = Shipped(ARTIFACT, MAKE_COMMAND, AudioToImageConfig, build_players)
export, load, load_players, default_path = SHIPPED.export, SHIPPED.load, SHIPPED.load_players, SHIPPED.default_path
