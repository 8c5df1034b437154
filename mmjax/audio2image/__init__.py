"""``mmjax train audio2image``: a GAN that draws the 32x32 Shapes picture a sound describes.

Every Shapes scene has a sound (``mmjax.data.audio``): one 64 ms note per occupied grid cell, its pitch the
colour, its timbre the shape, its loudness the size. Both players hear the clip as a log-mel spectrogram
(``mmjax.audio``) read by a Transformer encoder over its frames; G draws from the clip vector, D judges
(image, clip) pairs.

* ``config.py``: :class:`AudioToImageConfig`, the frozen dataclass of hyper-parameters;
* ``data.py``: the (image, clip) source, the per-cell targets of D's classifier, any sound as a clip;
* ``model.py``: the audio encoder, the sub-pixel generator, the projection + matching discriminator;
* ``step.py``: the loss terms of its round (:mod:`mmjax.gan.rounds`), ``init``, generation, evaluation, samples;
* ``task.py``: the :class:`~mmjax.train.task.Task` that ``mmjax train audio2image`` runs;
* ``export.py``: the trained players as a safe ``.npz`` (weights and config).

    mmjax train audio2image --steps 6000 --run-dir runs/audio2image
    mmjax export runs/audio2image --out audio2image.npz

    from mmjax.pretrained.audio import load_audio_model
    image = load_audio_model("audio2image.npz").generate_image_from_audio("sound.wav")  # a 32 x 32 PIL.Image
"""
