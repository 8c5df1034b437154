"""``mmjax train text2video``: a GAN that animates Shapes captions ("a small red circle in the left moving
right") as clips of 8 frames of 32x32.

* ``config.py``: :class:`TextToVideoConfig`, the frozen dataclass of hyper-parameters;
* ``data.py``: the (clip, video caption) source and the batch the step reads (pixels and token ids only);
* ``model.py``: the text-to-image generator with motion (one drawing slid one grid cell in a chosen direction
  or freely, or a code every frame is drawn from), the frame and clip discriminators;
* ``step.py``: the loss terms of its round (:mod:`mmjax.gan.rounds`), ``init`` and its warm start, generation
  (``generate``), evaluation, samples;
* ``task.py``: the :class:`~mmjax.train.task.Task` that ``mmjax train text2video`` runs;
* ``export.py``: the trained generator as a safe ``.npz`` (weights, config, caption vocabulary).

    mmjax train text2video --steps 1000 --run-dir runs/text2video     # frames from the shipped text2video.npz
    mmjax export runs/text2video --out text2video.npz
    mmjax eval text2video --checkpoint text2video.npz

    from mmjax.pretrained.video import load_video_model
    model = load_video_model("text2video.npz")
    clip = model.generate_video("a big blue square at the top moving down")   # uint8 [8, 32, 32, 3]
    model.save_gif(clip, "square.gif")
"""
