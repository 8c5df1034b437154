"""The text-to-image GAN as mmjax ships it: ``shapes/text2image.npz`` among the package's artifacts.

It stores G's moving-average weights (its sampling weights) and D's weights, the config and the caption
vocabulary; the optimiser states stay in the run folder. D rides along so that the cycle's tuning step can
start from the shipped file (``--init_from`` the ``.npz``). The file is a safe ``.npz`` (no pickle) with
the config and vocabulary as JSON beside the arrays (:mod:`mmjax.gan.export`, :mod:`mmjax.utils.npz_checkpoint`).

    config, g_variables = load(path)
    tokens = config.tokenizer().encode_batch(["a cat"])    # the vocabulary of the data set it was trained on
    config, players = load_players(path)                    # {"generator": ..., "discriminator": ...}
"""

from __future__ import annotations

from mmjax.gan.export import Shipped
from mmjax.text2image.config import ARTIFACT, MAKE_COMMAND, TextToImageConfig
from mmjax.text2image.model import build_players

SHIPPED = Shipped(ARTIFACT, MAKE_COMMAND, TextToImageConfig, build_players)
export, load, load_players, default_path = SHIPPED.export, SHIPPED.load, SHIPPED.load_players, SHIPPED.default_path
