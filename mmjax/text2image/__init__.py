"""``mmjax train text2image``: a GAN that draws 32x32 images from their captions (Shapes by default).

* ``config.py``: :class:`TextToImageConfig`, the frozen dataclass of hyper-parameters;
* ``data.py``: the (image, caption) source and the batch the step reads (pixels, token ids and the scene's
  labels, which only a model with slots reads);
* ``model.py``: the caption encoder, the sub-pixel generator, the projection + matching discriminator;
* ``slots.py``: per-object slots (``--slots true``): G reads the caption into a scene, one object per learned
  query, and draws each object in its own cell; the latent picks what the caption leaves free (chapter 3.6)::

      mmjax train text2image --slots true --partial_captions 0.5 --g_learning_rate 1e-3 \\
          --d_learning_rate 2e-3 --steps 2800 --run-dir runs/text2image_slots
      mmjax eval text2image --checkpoint runs/text2image_slots --partial --out slots.json

* ``step.py``: the loss terms of its round (:mod:`mmjax.gan.rounds`), ``init`` and its warm start, generation,
  evaluation, samples; ``tuning.py``: the cycle's tuning term and what it reads;
* ``task.py``: the :class:`~mmjax.train.task.Task` that ``mmjax train text2image`` runs;
* ``export.py``: the trained generator as a safe ``.npz`` (weights, config, caption vocabulary).

Real photographs: with ``--dataset cifar10`` (or ``mnist``, ``fashion_mnist``) the same model trains on a
TFDS classification data set, each image captioned "a <class>" ("a cat", "an airplane"; see
:mod:`mmjax.data.class_captions`). mmjax never downloads; prepare the data once where there is network,
as array_record files (TFDS's ``tfds`` command needs TensorFlow; reading the files does not), then train
and draw offline::

    tfds build cifar10 --file_format=array_record --data_dir ~/tensorflow_datasets
    mmjax train text2image --dataset cifar10 --tfds_data_dir ~/tensorflow_datasets --steps 6000 \\
        --run-dir runs/text2image_cifar10
    mmjax export runs/text2image_cifar10 --out cifar10.npz

    config, g = mmjax.text2image.export.load("cifar10.npz")
    tokens = config.tokenizer().encode_batch(["a cat"])
    images = mmjax.text2image.step.generate(config, g, tokens, jax.random.key(0))

The Shapes judge cannot read photographs, so such a run is evaluated by a class-mean classifier in pixel
space instead (``step.evaluate_classes``).
"""
