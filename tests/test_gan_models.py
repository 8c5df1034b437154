"""Generator and discriminator shapes, dtypes, conditioning, and clear errors on bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from mmjax.data import attributes as A
from mmjax.gan.blocks import depth_to_space
from mmjax.gan.dcgan.model import (
    NUM_CONDITION_IDS,
    ConditionalGenerator,
    ProjectionDiscriminator,
    condition_from_labels,
)
from mmjax.gan.gan2d.model import Maxout, MLPDiscriminator, MLPGenerator
from mmjax.gan.two_player import pack
from mmjax.nn import functional as F


def _jitted_call(module, *args):
    """``module(*args)`` as one jitted pure function of the module's variables."""
    graphdef, variables = F.split(module)
    return jax.jit(lambda v, *a: F.call(graphdef, v, *a)[0])(variables, *args)


def rngs(seed):
    # RBG keys: module initialisation compiles in a fraction of the time threefry needs on CPU.
    return nnx.Rngs(jax.random.key(seed, impl="rbg"))


LABELS = {  # one single-object scene and one two-object scene
    "shape": np.array([[0, A.ABSENT], [1, 2]]),
    "colour": np.array([[3, A.ABSENT], [0, 5]]),
    "size": np.array([[1, A.ABSENT], [0, 1]]),
    "row": np.array([[0, A.ABSENT], [2, 0]]),
    "col": np.array([[1, A.ABSENT], [2, 0]]),
}


def test_mlp_shapes_and_packing():
    generator = MLPGenerator(2, 16, 2, rngs=nnx.Rngs(0), batch_norm=True)
    discriminator = MLPDiscriminator(2, 8, 2, 3, rngs=nnx.Rngs(1), pack=2)
    x = generator(jnp.ones((6, 2)))
    assert x.shape == (6, 2) and x.dtype == jnp.float32
    logits = discriminator(pack(x, 2))
    assert logits.shape == (3,) and logits.dtype == jnp.float32
    with pytest.raises(ValueError, match=r"\[batch, 4\]"):
        discriminator(x)  # unpacked input to a packing discriminator
    with pytest.raises(ValueError, match="packs of 4"):
        pack(x, 4)


def test_maxout_is_the_max_of_each_units_pieces_and_its_gradient_goes_to_the_winning_piece():
    num_in, num_out, pieces, batch = 3, 4, 5, 6
    layer = Maxout(num_in, num_out, pieces, rngs=rngs(0))
    x = np.asarray(jax.random.normal(jax.random.key(1), (batch, num_in)))
    kernel, bias = np.asarray(layer.linear.kernel[...]), np.asarray(layer.linear.bias[...])
    linear = x @ kernel + bias  # [batch, pieces * num_out]; piece p of unit j is column p * num_out + j
    expected = np.zeros((batch, num_out), np.float32)
    wins = np.zeros(pieces * num_out)  # how many rows each column wins: d sum(h) / d bias
    for i in range(batch):
        for j in range(num_out):
            columns = [p * num_out + j for p in range(pieces)]
            winner = columns[int(np.argmax(linear[i, columns]))]
            expected[i, j] = linear[i, winner]
            wins[winner] += 1
    np.testing.assert_allclose(_jitted_call(layer, jnp.asarray(x)), expected, rtol=1e-5, atol=1e-6)
    graphdef, variables = F.split(layer)

    def total(params):
        return jnp.sum(F.call(graphdef, {**variables, "params": params}, jnp.asarray(x))[0])

    grads = jax.jit(jax.grad(total))(variables["params"])
    np.testing.assert_allclose(grads["linear"]["bias"], wins)


def test_pack_concatenates_consecutive_samples_along_the_last_axis():
    vectors = jnp.arange(12.0).reshape(6, 2)
    np.testing.assert_array_equal(pack(vectors, 2)[1], jnp.array([4.0, 5.0, 6.0, 7.0]))
    images = jax.random.normal(jax.random.key(0), (4, 3, 3, 2))
    packed = pack(images, 2)
    assert packed.shape == (2, 3, 3, 4)
    np.testing.assert_array_equal(packed[1, ..., 2:], images[3])


def test_condition_ids_mark_absent_objects_and_are_distinct_per_field():
    ids = np.asarray(condition_from_labels(LABELS))
    assert ids.shape == (2, NUM_CONDITION_IDS) and ids.dtype == np.int32
    assert len(set(ids[1])) == NUM_CONDITION_IDS  # every (slot, field) has its own rows
    assert not np.array_equal(ids[0, 4:], ids[1, 4:])  # "no second object" differs from any object
    with pytest.raises(ValueError, match="lack"):
        condition_from_labels({"shape": LABELS["shape"]})


def test_depth_to_space_matches_the_index_formula():
    x = jax.random.normal(jax.random.key(0), (2, 3, 4, 8))  # C = 2 after a 2x2 block
    y = depth_to_space(x)
    assert y.shape == (2, 6, 8, 2)
    for i in range(2):
        for j in range(2):
            np.testing.assert_array_equal(y[:, i::2, j::2, :], x[..., (2 * i + j) * 2 : (2 * i + j + 1) * 2])


def test_dcgan_shapes_dtypes_and_bad_conditions():
    generator = ConditionalGenerator(8, 2, 8, 32, rngs=rngs(0))
    discriminator = ProjectionDiscriminator(2, 32, rngs=rngs(1))
    condition = condition_from_labels(LABELS)
    # jitted: one compiled program instead of dozens of op-by-op dispatches (the checks run at trace time)
    images = _jitted_call(generator, jnp.ones((2, 8)), condition)
    assert images.shape == (2, 32, 32, 3) and images.dtype == jnp.float32
    assert float(jnp.max(jnp.abs(images))) <= 1.0
    logits = _jitted_call(discriminator, images, condition)
    assert logits.shape == (2,) and logits.dtype == jnp.float32
    with pytest.raises(ValueError, match=r"condition must be integer ids of shape \[2, 8\]"):
        generator(jnp.ones((2, 8)), condition[:, :4])
    with pytest.raises(ValueError, match="condition must be integer ids"):
        discriminator(images, condition.astype(jnp.float32))
    with pytest.raises(ValueError, match="condition must be integer ids"):
        generator(jnp.ones((2, 8)), None)
    with pytest.raises(ValueError, match="images must have shape"):
        discriminator(images[:, :16], condition)
    with pytest.raises(ValueError, match="image_size must be"):
        ConditionalGenerator(8, 4, 8, 24, rngs=rngs(0))


def test_projection_discriminator_depends_on_the_condition():
    discriminator = ProjectionDiscriminator(2, 32, rngs=rngs(1))
    images = jax.random.normal(jax.random.key(0), (2, 32, 32, 3))
    condition = condition_from_labels(LABELS)
    swapped = condition[::-1]
    assert not np.allclose(_jitted_call(discriminator, images, condition), _jitted_call(discriminator, images, swapped))
