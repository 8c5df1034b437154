"""``ShapesModel``: the two shipped Shapes models behind the source text's ``generate_image`` / ``generate_text``.

    model = mmjax.load_pretrained("shapes")
    image = model.generate_image("a big red circle at the upper left")   # a 32 x 32 PIL.Image
    image.save("output.png")
    print(model.generate_text("output.png"))                            # "a large red circle at the top left"

Text -> image is the caption-conditioned GAN of :mod:`mmjax.text2image` (its generator's moving
average); image -> text is the captioner of :mod:`mmjax.captioner`. This class only checks and converts
what the user passes (:mod:`mmjax.pretrained.prompts`, :mod:`mmjax.pretrained.images`) and batches it.

Every call runs the compiled models on batches of exactly ``CHUNK`` rows, the last one padded, so each
model compiles once per decoding method however many prompts or pictures a call brings.

Randomness: ``seed`` picks the key of each chunk, ``fold_in(key(seed), first row of the chunk)``, and row i
of a chunk takes row i of that chunk's latents (:func:`mmjax.gan.sampler.generate`). So prompt i of a call
is drawn from ``(seed, i)`` alone:
``generate_image(t, seed)`` is ``generate_images([t, ...], seed)[0]``, the same seed gives the same
pictures, and another seed other latents, hence other pictures wherever the prompt leaves freedom.
"""

from __future__ import annotations

import jax
import numpy as np
from PIL import Image

from mmjax.captioner.model import caption_scores, decode_options, predict
from mmjax.data.caption_grammar import caption_automaton
from mmjax.data.tokenizer import Tokenizer
from mmjax.eval.robustness.normalise import normalise as normalise_pictures
from mmjax.pretrained.images import as_image_array, as_image_batch
from mmjax.pretrained.prompts import encode_prompts
from mmjax.text2image.step import generate
from mmjax.utils.batching import padded_chunks

CHUNK = 16  # rows per compiled call: small enough for one prompt to be quick, large enough for a sheet
METHODS = ("greedy", "beam")
# A caption scoring below this (mean log-probability per word) is of a picture that is probably not a Shapes
# scene. Measured (issue 23): no test or test_heldout picture of 1024 scores below it; every plain, grey, black,
# all-ones and noise picture of 1538 does (-inf: empty once normalised); without normalisation random blobs on a
# random background all score below it too, but once normalised 395 of 512 score above (blobs on black read as
# shapes): the score tells the model's confidence, not whether a picture shows circles, squares, ...
SCORE_THRESHOLD = -0.75
EMPTY_BELOW = 60  # brightest pixel (0..255) of a picture with no object; every Shapes colour's peak is >= 200


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in 0 .. 2**32 - 1, got {seed}")
    return int(seed)


def as_picture(pixels: np.ndarray, size: int | None = None) -> Image.Image:
    """uint8 pixels ``[H, W, 3]`` as an RGB ``PIL.Image``, or enlarged to ``size`` x ``size`` with NEAREST."""
    image = Image.fromarray(pixels)
    if size is None:
        return image
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < len(pixels):
        raise ValueError(f"size must be an integer >= {len(pixels)} (pixels of the enlarged picture), got {size!r}")
    return image.resize((int(size), int(size)), Image.Resampling.NEAREST)


class ShapesModel:
    """Both directions of the Shapes world: text -> image (a GAN) and image -> text (a captioner)."""

    def __init__(self, text2image: tuple, captioner: tuple):
        """``text2image = (TextToImageConfig, G's sampling variables)``, ``captioner = (CaptionerConfig,
        variables)``, as their ``export.load()`` return them."""
        self.text2image_config, g_variables = text2image
        self.captioner_config, c_variables = captioner
        self._g_variables = jax.device_put(g_variables)
        self._c_variables = jax.device_put(c_variables)
        self.image_size = self.text2image_config.image_size

    def __repr__(self) -> str:
        return f"ShapesModel(image_size={self.image_size}, chunk={CHUNK})"

    # ---- text -> image ------------------------------------------------------------------------------
    def generate_images(self, texts, seed: int = 0) -> np.ndarray:
        """uint8 ``[N, 32, 32, 3]`` pictures of a list of prompts, prompt i drawn from ``(seed, i)``.

        Each prompt is normalised and checked (:func:`mmjax.pretrained.prompts.check_prompt`): a word the
        model does not know raises UnknownWordsError, which lists what it can draw; known words that make
        no whole caption ("a red circle") raise UnparsedPromptError, which suggests one that does.
        """
        partial = self.text2image_config.partial_captions > 0  # the model learned what unstated means
        tokens = encode_prompts(texts, partial, _check_seed(seed))  # [N, T]
        key = jax.random.key(_check_seed(seed))
        return generate(self.text2image_config, self._g_variables, tokens, key, CHUNK)  # [N, H, W, 3]

    def generate_image(self, text: str, seed: int = 0, size: int | None = None) -> Image.Image:
        """The picture of one prompt as an RGB ``PIL.Image``, 32 x 32, or ``size`` x ``size`` for viewing.

        ``size`` enlarges with NEAREST (every pixel a sharp square; a multiple of 32 reads back exactly).
        """
        if not isinstance(text, str):
            raise TypeError(
                f"generate_image takes one prompt string, got {type(text).__name__}; "
                "for several prompts use generate_images"
            )
        return as_picture(self.generate_images([text], seed)[0], size)

    # ---- image -> text ------------------------------------------------------------------------------
    def generate_texts(
        self,
        images,
        method: str = "greedy",
        beam_size: int = 4,
        constrained: bool = True,
        normalise: bool = True,
        return_score: bool = False,
    ):
        """Captions of several pictures, each in any form :func:`mmjax.pretrained.images.as_image_array`
        accepts (a list of them, or an ``N x H x W x 3`` array), decoded word by word.

        ``method``: "greedy" (the likeliest next word each time) or "beam" (keep ``beam_size`` hypotheses).
        ``constrained`` (default): only words the caption grammar allows next can be chosen
        (:mod:`mmjax.data.caption_grammar`), so every caption parses. ``normalise`` (default): map the
        picture's background (the median of its border) to black and pixels within its noise to black first
        (:func:`mmjax.eval.robustness.normalise.normalise`, ``"denoise"``; the identity on Shapes pictures).
        ``return_score``: also return each caption's score, the mean log-probability per word under the model
        (:func:`mmjax.captioner.model.caption_scores`), or -inf where nothing stands out of the background
        (an empty picture is no Shapes scene); below :data:`SCORE_THRESHOLD` the picture is probably not a
        Shapes scene. Returns the captions, or ``(captions, scores)``.
        """
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        options = {"beam_size": beam_size} if method == "beam" else {}
        if method == "beam" and (isinstance(beam_size, bool) or not isinstance(beam_size, int) or beam_size < 1):
            raise ValueError(f"beam_size must be an integer >= 1, got {beam_size!r}")
        if constrained:
            options["constraint"] = caption_automaton()
        pixels = as_image_batch(images, self.captioner_config.image_size)  # [N, 32, 32, 3] uint8
        if normalise:
            pixels = normalise_pictures(pixels, "denoise")
        config, variables, tokenizer = self.captioner_config, self._c_variables, Tokenizer.default()
        captions, scores = [], []
        for _, chunk, count in padded_chunks(pixels, CHUNK):
            ids = predict(config, variables, chunk, decode_options(config, method, **options))
            captions += [tokenizer.decode(row) for row in np.asarray(ids)[:count]]
            if return_score:
                scores += np.asarray(caption_scores(config, variables, chunk, ids))[:count].tolist()
        if return_score:  # no pixel as bright as a Shapes object: nothing to caption
            empty = pixels.reshape(len(pixels), -1).max(1) < EMPTY_BELOW
            scores = [-np.inf if e else s for e, s in zip(empty.tolist(), scores)]
        return (captions, scores) if return_score else captions

    def generate_text(
        self,
        image,
        method: str = "greedy",
        beam_size: int = 4,
        constrained: bool = True,
        normalise: bool = True,
        return_score: bool = False,
    ):
        """The caption of one picture: a PIL.Image, a path, an H x W x 3 array (uint8, or float in [0, 1]),
        or a 3 x H x W float array in [0, 1] as torchvision's ``ToTensor()`` makes.

        With ``return_score=True``: ``(caption, score)``, the score the mean log-probability per word of the
        caption under the model; a picture scoring below :data:`SCORE_THRESHOLD` is "not a Shapes scene".
        """
        pixels = [as_image_array(image, self.captioner_config.image_size)]
        out = self.generate_texts(pixels, method, beam_size, constrained, normalise, return_score)
        return (out[0][0], out[1][0]) if return_score else out[0]


def load_shapes_model() -> ShapesModel:
    """The two shipped Shapes models, ``mmjax.load_pretrained("shapes")``."""
    from mmjax.captioner import export as captioner_export
    from mmjax.text2image import export as text2image_export

    return ShapesModel(text2image_export.load(), captioner_export.load())
