"""The text-to-video GAN as mmjax ships it: ``shapes-video/text2video.npz`` among the package's artifacts.

It stores G's moving-average weights (its sampling weights), the config and the caption vocabulary; the
discriminators and optimiser states stay in the run folder. A safe ``.npz`` (no pickle) with the config
and vocabulary as JSON beside the arrays (:mod:`mmjax.gan.export`, :mod:`mmjax.utils.npz_checkpoint`).

    config, g_variables = load(path)                       # default: the shipped file
    tokens = config.tokenizer().encode_batch(["a big blue square at the top moving down"])
    clips = mmjax.text2video.step.generate(config, g_variables, tokens, jax.random.key(0))
"""

from __future__ import annotations

from mmjax.gan.export import Shipped
from mmjax.text2video.config import TextToVideoConfig
from mmjax.text2video.model import build_players

ARTIFACT = "shapes-video/text2video.npz"
MAKE_COMMAND = "mmjax train text2video --steps 1000 --run-dir runs/text2video && mmjax export runs/text2video"
SHIPPED = Shipped(ARTIFACT, MAKE_COMMAND, TextToVideoConfig, build_players, discriminator=False)
export, load, default_path = SHIPPED.export, SHIPPED.load, SHIPPED.default_path
