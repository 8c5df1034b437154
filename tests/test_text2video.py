"""The text-to-video GAN's pieces: clip shapes, the three motions (code, shift, cell), the slide, and the losses
against hand computations."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from text2video_fixtures import CODE, RUN, TINY, draw, in_jit, real_batch, softplus, variables, video_captions

from mmjax.data.attributes import GRID
from mmjax.data.captions import MOTION_VERBS, MOTION_WORDS
from mmjax.data.render import MARGIN
from mmjax.data.shapes import example
from mmjax.gan import rounds, sampler, terms
from mmjax.nn import functional as F
from mmjax.text2video import step
from mmjax.text2video.model import frame_times, frame_tokens, pick_frames, slide, translate


def test_clips_have_the_configured_shape_and_range_and_both_discriminators_score_them():
    def draw_and_judge(generator, discriminator, z, tokens):
        clips = generator(z, tokens)
        return clips, discriminator.heads(clips[:, 0], tokens, clips, tokens)

    z, tokens = jax.random.normal(jax.random.key(1), (3, TINY.latent_dim)), jnp.asarray(video_captions(3))
    clips, out = in_jit(draw_and_judge, variables(), z, tokens)
    assert clips.shape == (3, 4, 16, 16, 3) and float(jnp.abs(clips).max()) <= 1.0
    vocab = TINY.tokenizer().vocab_size
    assert out["frame"]["logits"].shape == (3,) and out["frame"]["words"].shape == (3, vocab)
    assert out["clip"].shape == (3,)


@pytest.mark.parametrize("config", [TINY, CODE], ids=["shift", "code"])
def test_an_untrained_generator_draws_still_clips_and_its_motion_layer_moves_them(config):
    z, tokens = jax.random.normal(jax.random.key(1), (2, TINY.latent_dim)), jnp.asarray(video_captions(2))
    still = in_jit(draw, variables(config), z, tokens, config=config)
    np.testing.assert_allclose(still, jnp.broadcast_to(still[:, :1], still.shape), atol=1e-6)  # zero motion at init
    moving = in_jit(draw, variables(config, motion=True), z, tokens, config=config)
    assert float(jnp.abs(moving[:, -1] - moving[:, 0]).max()) > 1e-3


def test_code_frame_t_is_the_image_generator_drawing_the_content_code_with_s_plus_m_t():
    def clip_and_frames_by_hand(generator, discriminator, z, tokens):
        s = generator.frame.text(tokens)  # [B, E]
        frames = []
        for time in np.arange(4) / 3:
            inputs = jnp.concatenate([s, jnp.full((2, 1), time)], axis=1)  # [s; t / (T - 1)]
            m_t = generator.motion.out(jax.nn.relu(generator.motion.hidden(inputs)))
            frames.append(generator.frame.draw(z, s + m_t))
        return generator(z, tokens), jnp.stack(frames, axis=1)

    z, tokens = jax.random.normal(jax.random.key(1), (2, TINY.latent_dim)), jnp.asarray(video_captions(2))
    clips, by_hand = in_jit(clip_and_frames_by_hand, variables(CODE, motion=True), z, tokens, config=CODE)
    np.testing.assert_allclose(by_hand, clips, atol=1e-5)
    np.testing.assert_allclose(frame_times(4), [0, 1 / 3, 2 / 3, 1], rtol=1e-6)


def test_shift_frame_t_is_the_first_frame_moved_by_t_over_t_minus_1_of_the_displacement():
    def clip_first_and_displacement(generator, discriminator, z, tokens):
        s = generator.frame.text(tokens)
        return generator(z, tokens), generator.frame.draw(z, s), generator.motion(s) * TINY.image_size  # [B, 2] pixels

    z, tokens = jax.random.normal(jax.random.key(1), (2, TINY.latent_dim)), jnp.asarray(video_captions(2))
    clips, first, displacement = in_jit(clip_first_and_displacement, variables(motion=True), z, tokens)
    assert float(jnp.abs(displacement).max()) > 0.5  # a visible slide, so the check below means something
    for t in range(4):
        np.testing.assert_allclose(clips[:, t], translate(first, displacement * t / 3), atol=1e-5)


def test_cell_moves_one_grid_cell_in_the_likeliest_direction_and_reads_still_captions():
    def displacements(generator, discriminator, tokens):
        s = generator.motion_text(tokens)  # the motion's own reader
        tie = generator.displacement(s)  # W_q = 0: every direction as likely, the first (left) taken
        generator.motion.bias[...] = jnp.asarray([0.0, 0.2, 0.1, 0.0])  # right the likeliest
        z = jnp.zeros((2, RUN.latent_dim))
        drawn = generator.frame.draw(z, generator.frame.text(frame_tokens(RUN, tokens)))  # [B, H, W, 3]
        return tie, generator.displacement(s), generator(z, tokens), drawn

    tokens = video_captions(2)
    cell = (1 - 2 * MARGIN) * RUN.image_size / (GRID - 1)  # the grid's spacing, pixels: 4.8 at 16 x 16
    tie, right, clips, drawn = in_jit(displacements, variables(RUN), tokens, config=RUN)
    np.testing.assert_allclose(tie, [[0.0, -cell]] * 2, atol=1e-5)
    np.testing.assert_allclose(right, [[0.0, cell]] * 2, atol=1e-5)
    np.testing.assert_allclose(clips, slide(drawn, right, 4, stay_on_canvas=True), atol=1e-5)  # one cell right
    # The frame generator reads the still caption: the words before the motion verb, then <eos>.
    tokenizer = RUN.tokenizer()
    still = np.asarray(frame_tokens(RUN, tokens))
    for row, text in zip(still, (example(0, "train", i, modalities=("video",)) for i in range(2))):
        words = text["video_caption"].split()
        cut = max(i for i, word in enumerate(words) if word in MOTION_VERBS)
        assert tokenizer.decode(row) == " ".join(words[:cut])
        assert list(row).count(tokenizer.eos_id) == 1 and row[len(words[:cut]) + 1] == tokenizer.eos_id
    np.testing.assert_array_equal(frame_tokens(TINY, tokens), tokens)  # motion read from s: the whole caption


def test_motion_words_add_up_the_embeddings_of_the_words_after_the_motion_verb():
    tokens = video_captions(3)

    def bag_and_table(generator, discriminator, tokens):
        return generator.motion_text(tokens), generator.motion_text.embedding.embedding[...]

    bags, table = in_jit(bag_and_table, variables(RUN), tokens, config=RUN)
    tokenizer = RUN.tokenizer()
    verbs = [tokenizer.index[verb] for verb in MOTION_VERBS]
    for row, bag in zip(tokens, np.asarray(bags)):
        ids = list(row)
        start, end = max(i for i, t in enumerate(ids) if t in verbs) + 1, ids.index(tokenizer.eos_id)
        assert tokenizer.decode(row[start:end]) in [phrase for phrases in MOTION_WORDS.values() for phrase in phrases]
        np.testing.assert_allclose(bag, np.asarray(table)[row[start:end]].sum(axis=0), rtol=1e-5, atol=1e-6)


def test_translate_moves_whole_pixels_exactly_and_blends_between_them():
    image = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, size=(1, 6, 7, 3)), jnp.float32)
    moved = np.asarray(translate(image, jnp.asarray([[2.0, -3.0]])))[0]  # 2 down, 3 left
    expected = np.full((6, 7, 3), -1.0, np.float32)  # black where nothing comes in
    expected[2:, :4] = np.asarray(image[0])[:4, 3:]
    np.testing.assert_allclose(moved, expected, atol=1e-6)
    half = np.asarray(translate(image, jnp.asarray([[0.0, 0.5]])))[0]  # half a pixel right
    np.testing.assert_allclose(half[:, 1:], 0.5 * (image[0, :, 1:] + image[0, :, :-1]), atol=1e-6)
    np.testing.assert_allclose(half[:, 0], 0.5 * (image[0, :, 0] - 1.0), atol=1e-6)


def test_slide_keeps_a_scene_on_the_canvas_by_sliding_it_into_place():
    image = -np.ones((2, 12, 12, 3), np.float32)
    image[:, 1:3, 5:7] = 1.0  # a square in the top rows of both images
    ends = jnp.asarray([[-4.0, 0.0], [0.0, 4.0]])  # 4 px up (it would leave the canvas), 4 px right (it would not)
    plain, kept = slide(jnp.asarray(image), ends, 3), slide(jnp.asarray(image), ends, 3, stay_on_canvas=True)
    np.testing.assert_allclose(plain[:, 0], image, atol=1e-6)  # frame 0 is the drawing, the last one moved
    assert float(plain[0, -1].max()) == -1.0  # up: the square has left
    np.testing.assert_allclose(kept[0, -1], image[0], atol=1e-6)  # up: it ends where it was drawn ...
    np.testing.assert_allclose(kept[0, 0], translate(jnp.asarray(image[:1]), -ends[:1])[0], atol=1e-6)  # from below
    np.testing.assert_allclose(kept[1], plain[1], atol=1e-6)  # right: nothing leaves, nothing changes


def test_pick_frames_takes_distinct_frames_of_each_clip_in_row_order():
    clips = jnp.arange(3 * 5, dtype=jnp.float32).reshape(3, 5, 1, 1, 1) * jnp.ones((1, 1, 2, 2, 3))
    frames = np.asarray(pick_frames(clips, 3, jax.random.key(0)))[:, 0, 0, 0]  # [3 * 3] frame values
    picked = frames.reshape(3, 3)
    for b in range(3):  # clip b holds the values 5 b .. 5 b + 4
        assert len(set(picked[b])) == 3 and all(5 * b <= v < 5 * b + 5 for v in picked[b])


def test_frame_info_nce_averages_the_image_info_nce_over_frame_slots():
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=(4 * 2, 3)), rng.normal(size=(4 * 2, 3))
    u, v = u / np.linalg.norm(u, axis=1, keepdims=True), v / np.linalg.norm(v, axis=1, keepdims=True)
    slots = [terms.info_nce(jnp.asarray(u[k::2]), jnp.asarray(v[k::2]), 0.2) for k in range(2)]
    loss, accuracy = terms.info_nce_per_slot(jnp.asarray(u), jnp.asarray(v), 2, 0.2)
    np.testing.assert_allclose(loss, np.mean([s[0] for s in slots]), rtol=1e-5)
    np.testing.assert_allclose(accuracy, np.mean([s[1] for s in slots]), rtol=1e-6)


def test_discriminator_loss_is_the_frame_loss_plus_the_matching_aware_clip_loss():
    config = dataclasses.replace(TINY, clip_weight=0.7, word_weight=0.3)
    state = step.init(config, jax.random.key(0), step.make_optimizer(config, 10))
    batch = real_batch(config)
    real = jnp.asarray(batch["video"], jnp.float32) / 127.5 - 1.0
    tokens = jnp.asarray(batch["video_tokens"])

    @jax.jit
    def loss_and_groups(state, real, tokens, key):
        game, batch = step.game(config), {"x": real, "tokens": tokens}
        loss, (_, aux) = rounds.discriminator_loss(game, state["discriminator"]["params"], state, batch, key)
        # The same pairs judged one group at a time (the step judges them in one call).
        key_z, key_frames = jax.random.split(key)
        g = state["generator"]
        fake = sampler.draw(step.graphs(config)[0], config, {"params": g["params"], "state": g["state"]}, tokens, key_z)
        real_frames, fake_frames = pick_frames(real, 2, key_frames), pick_frames(fake, 2, key_frames)
        wrong, frame_tokens = jnp.roll(tokens, 1, axis=0), jnp.repeat(tokens, 2, axis=0)
        d = {"params": state["discriminator"]["params"], "state": state["discriminator"]["state"]}

        def judge(*pairs):
            return F.call(step.graphs(config)[1], d, *pairs, method="heads")[0]

        groups = {
            "real": judge(real_frames, frame_tokens, real, tokens),
            "fake": judge(fake_frames, frame_tokens, fake, tokens),
            "wrong": judge(real_frames, jnp.repeat(wrong, 2, axis=0), real, wrong),
            "reversed": judge(real_frames, frame_tokens, real[:, ::-1], tokens),
        }
        nce = terms.info_nce_per_slot(groups["real"]["frame"]["u"], groups["real"]["frame"]["v"], 2, config.temperature)
        words = terms.word_loss(groups["real"]["frame"]["words"], frame_tokens) + terms.word_loss(
            groups["fake"]["frame"]["words"], None
        )
        return loss, aux, groups, nce[0], words

    loss, aux, groups, nce, words = loss_and_groups(state, real, tokens, jax.random.key(3))
    frame = {name: np.asarray(out["frame"]["logits"]) for name, out in groups.items()}
    clip = {name: np.asarray(out["clip"]) for name, out in groups.items()}
    frame_loss = np.mean(softplus(-frame["real"])) + 0.5 * (
        np.mean(softplus(frame["wrong"])) + np.mean(softplus(frame["fake"]))
    )
    mismatched = np.concatenate([softplus(clip["wrong"]), softplus(clip["reversed"])])
    clip_loss = np.mean(softplus(-clip["real"])) + 0.5 * (np.mean(mismatched) + np.mean(softplus(clip["fake"])))
    np.testing.assert_allclose(aux["clip_loss"], clip_loss, rtol=1e-4)
    np.testing.assert_allclose(loss, frame_loss + nce + 0.3 * words + 0.7 * clip_loss, rtol=1e-4)


def test_generator_loss_reads_both_discriminators_and_prefers_its_clip_to_the_clip_backwards():
    state = step.init(TINY, jax.random.key(0), step.make_optimizer(TINY, 10))
    tokens = jnp.asarray(video_captions(4))
    params = variables(motion=True)["generator"]["params"]  # clips that move, so backwards differs

    @jax.jit
    def losses_and_clip_logits(params):
        batch = {"tokens": tokens}
        loss, (_, aux) = rounds.generator_loss(step.game(TINY), params, state, batch, jax.random.key(1))
        no_clip = step.game(dataclasses.replace(TINY, clip_weight=0.0))
        without_clip = rounds.generator_loss(no_clip, params, state, batch, jax.random.key(1))[0]
        key_z = jax.random.split(jax.random.key(1))[0]
        g_vars = {"params": params, "state": state["generator"]["state"]}
        fake = sampler.draw(step.graphs(TINY)[0], TINY, g_vars, tokens, key_z)
        both = jnp.concatenate([fake, fake[:, ::-1]])  # one call: one power iteration, as in the loss
        clip_d = F.merge(step.graphs(TINY)[1], state["discriminator"]).clips
        return (loss, aux), without_clip, *jnp.split(clip_d(both, jnp.concatenate([tokens, tokens])), 2)

    (loss, aux), loss_without_clip, forwards, backwards = losses_and_clip_logits(params)
    assert np.abs(np.asarray(forwards - backwards)).max() > 1e-4
    # L_G = (frame terms) + c (E[sp(-D_c(G))] + delta E[sp(D_c(rev G) - D_c(G))])
    np.testing.assert_allclose(loss - loss_without_clip, TINY.clip_weight * aux["g_clip_loss"], rtol=1e-4)
    np.testing.assert_allclose(aux["g_direction"], np.mean(softplus(backwards - forwards)), rtol=1e-5)
    expected = np.mean(softplus(-forwards)) + TINY.direction_weight * aux["g_direction"]
    np.testing.assert_allclose(aux["g_clip_loss"], expected, rtol=1e-5)


def test_cell_direction_loss_is_the_cross_entropy_towards_d_clips_ranking_of_the_four_slides():
    state = step.init(RUN, jax.random.key(0), step.make_optimizer(RUN, 10))
    tokens = jnp.asarray(video_captions(4))
    cell = (1 - 2 * MARGIN) * RUN.image_size / (GRID - 1)
    ends = cell * jnp.asarray([[0.0, -1.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 0.0]])  # left, right, up, down (down, right)

    @jax.jit
    def loss_and_by_hand(state):
        g_vars = {"params": state["generator"]["params"], "state": state["generator"]["state"]}
        game, batch = step.game(RUN), {"tokens": tokens}
        loss, (_, aux) = rounds.generator_loss(game, g_vars["params"], state, batch, jax.random.key(1))
        fake = sampler.draw(step.graphs(RUN)[0], RUN, g_vars, tokens, jax.random.split(jax.random.key(1))[0])
        slides = [
            jnp.stack([translate(fake[:, 0], jnp.broadcast_to(end * t / 3, (4, 2))) for t in range(4)], axis=1)
            for end in ends
        ]  # 4 x [B, T, H, W, 3]: direction k of every clip
        in_order = jnp.stack(slides, axis=1).reshape(-1, *fake.shape[1:])  # row b 4 + k, as the loss asks
        clips, clip_tokens = jnp.concatenate([fake, in_order]), jnp.concatenate([tokens, jnp.repeat(tokens, 4, 0)])
        scores = F.merge(step.graphs(RUN)[1], state["discriminator"]).clips(clips, clip_tokens)
        logits = F.merge(step.graphs(RUN)[0], g_vars).direction_logits(tokens)  # [B, 4]
        return loss, aux, scores[:4], scores[4:].reshape(4, 4), logits

    loss, aux, forwards, slide_scores, logits = loss_and_by_hand(state)
    p = np.exp(slide_scores - slide_scores.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    log_q = np.asarray(logits) - np.log(np.exp(np.asarray(logits, np.float64)).sum(1, keepdims=True))
    np.testing.assert_allclose(aux["g_direction"], np.mean(-np.sum(p * log_q, axis=1)), rtol=1e-5)
    # L_G = c (E[sp(-D_c(G))] + delta CE): D_frame is not asked when the frames are kept
    np.testing.assert_allclose(loss, np.mean(softplus(-forwards)) + aux["g_direction"], rtol=1e-5)
