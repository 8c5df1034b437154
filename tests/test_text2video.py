"""The text-to-video GAN: shapes, the motion code, its losses against hand computations, a run through the
loop, export and load, GIF/PNG files, bad input."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image, ImageSequence

from mmjax.data.attributes import GRID
from mmjax.data.captions import MOTION_VERBS, MOTION_WORDS
from mmjax.data.render import MARGIN
from mmjax.data.shapes import example
from mmjax.nn import functional as F
from mmjax.text2image import step as image_step
from mmjax.text2video import export, step
from mmjax.text2video.config import TextToVideoConfig
from mmjax.text2video.data import make_source
from mmjax.text2video.model import frame_times, frame_tokens, slide, translate
from mmjax.text2video.task import TASK
from mmjax.train import loop
from mmjax.train.config import TrainConfig
from mmjax.train.metrics_log import read_metrics
from mmjax.utils import animation

TINY = TextToVideoConfig(
    image_size=16,  # the judge reads frames resized to 32 x 32
    num_frames=4,
    latent_dim=8,
    width=4,
    text_dim=16,
    text_layers=1,
    text_heads=2,
    text_hidden=16,
    motion_hidden=16,
    clip_hidden=16,
    contrastive_dim=8,
    batch_size=4,
    num_train_examples=16,
    num_eval_examples=4,
    # the general path: the frame generator trained from scratch, its caption vector s read by a free slide
    motion="shift",
    motion_reader="frame",
    train_frames=True,
    frames_from="",
)


def video_captions(count: int, split: str = "train") -> np.ndarray:
    return np.stack([example(0, split, i, modalities=("video",))["video_tokens"] for i in range(count)])


def real_batch(config: TextToVideoConfig) -> dict:
    source = make_source(config)
    return {k: np.stack([source[i][k] for i in range(config.batch_size)]) for k in ("video", "video_tokens")}


def variables(config: TextToVideoConfig = TINY, motion: bool = False) -> dict:
    """Both players' ``{"params", "state"}``; with ``motion``, G's motion layer (zero at first) gets random
    weights."""
    state = step.init(config, jax.random.key(0), step.make_optimizer(config, 10))
    players = {name: {"params": state[name]["params"], "state": state[name]["state"]} for name in PLAYERS}
    if motion:
        g = players["generator"]["params"]["motion"]
        layer = g["out"] if config.motion == "code" else g
        layer["kernel"] = 0.1 * jax.random.normal(jax.random.key(7), layer["kernel"].shape)
    return players


PLAYERS = ("generator", "discriminator")
CODE = dataclasses.replace(TINY, motion="code")
RUN = dataclasses.replace(TINY, motion="cell", motion_reader="words", train_frames=False)  # the shipped kind


def in_jit(fn, players: dict, *args, config: TextToVideoConfig = TINY):
    """``fn(generator, discriminator, *args)`` on the modules rebuilt from ``players``, compiled as one program
    (calling NNX modules eagerly compiles every operation on its own)."""
    g_graph, d_graph = step.graphs(config)

    @jax.jit
    def run(players, *args):
        return fn(F.merge(g_graph, players["generator"]), F.merge(d_graph, players["discriminator"]), *args)

    return run(players, *args)


def draw(generator, discriminator, z, tokens):
    return generator(z, tokens)


def test_clips_have_the_configured_shape_and_range_and_both_discriminators_score_them():
    def draw_and_judge(generator, discriminator, z, tokens):
        clips = generator(z, tokens)
        return clips, discriminator.judge(clips[:, 0], tokens, clips, tokens)

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
    frames = np.asarray(step.pick_frames(clips, 3, jax.random.key(0)))[:, 0, 0, 0]  # [3 * 3] frame values
    picked = frames.reshape(3, 3)
    for b in range(3):  # clip b holds the values 5 b .. 5 b + 4
        assert len(set(picked[b])) == 3 and all(5 * b <= v < 5 * b + 5 for v in picked[b])


def test_frame_info_nce_averages_the_image_info_nce_over_frame_slots():
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=(4 * 2, 3)), rng.normal(size=(4 * 2, 3))
    u, v = u / np.linalg.norm(u, axis=1, keepdims=True), v / np.linalg.norm(v, axis=1, keepdims=True)
    slots = [image_step.info_nce(jnp.asarray(u[k::2]), jnp.asarray(v[k::2]), 0.2) for k in range(2)]
    loss, accuracy = step.frame_info_nce(jnp.asarray(u), jnp.asarray(v), 2, 0.2)
    np.testing.assert_allclose(loss, np.mean([s[0] for s in slots]), rtol=1e-5)
    np.testing.assert_allclose(accuracy, np.mean([s[1] for s in slots]), rtol=1e-6)


def softplus(x):
    return np.logaddexp(0.0, np.asarray(x, np.float64))


def test_discriminator_loss_is_the_frame_loss_plus_the_matching_aware_clip_loss():
    config = dataclasses.replace(TINY, clip_weight=0.7, word_weight=0.3)
    state = step.init(config, jax.random.key(0), step.make_optimizer(config, 10))
    batch = real_batch(config)
    real = jnp.asarray(batch["video"], jnp.float32) / 127.5 - 1.0
    tokens = jnp.asarray(batch["video_tokens"])

    @jax.jit
    def loss_and_groups(state, real, tokens, key):
        loss, aux = step.discriminator_loss(config, state["discriminator"]["params"], state, real, tokens, key)
        # The same pairs judged one group at a time (the step judges them in one call).
        key_z, key_frames = jax.random.split(key)
        g = state["generator"]
        fake = step._generate(config, {"params": g["params"], "state": g["state"]}, tokens, key_z)
        real_frames, fake_frames = step.pick_frames(real, 2, key_frames), step.pick_frames(fake, 2, key_frames)
        wrong, frame_tokens = jnp.roll(tokens, 1, axis=0), jnp.repeat(tokens, 2, axis=0)
        d = {"params": state["discriminator"]["params"], "state": state["discriminator"]["state"]}

        def judge(*pairs):
            return F.call(step.graphs(config)[1], d, *pairs, method="judge")[0]

        groups = {
            "real": judge(real_frames, frame_tokens, real, tokens),
            "fake": judge(fake_frames, frame_tokens, fake, tokens),
            "wrong": judge(real_frames, jnp.repeat(wrong, 2, axis=0), real, wrong),
            "reversed": judge(real_frames, frame_tokens, real[:, ::-1], tokens),
        }
        nce = step.frame_info_nce(groups["real"]["frame"]["u"], groups["real"]["frame"]["v"], 2, config.temperature)
        words = image_step.word_loss(groups["real"]["frame"]["words"], frame_tokens) + image_step.word_loss(
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
        with_clip = step.generator_loss(TINY, params, state, tokens, jax.random.key(1))
        no_clip = dataclasses.replace(TINY, clip_weight=0.0)
        without_clip = step.generator_loss(no_clip, params, state, tokens, jax.random.key(1))[0]
        key_z = jax.random.split(jax.random.key(1))[0]
        fake = step._generate(TINY, {"params": params, "state": state["generator"]["state"]}, tokens, key_z)
        both = jnp.concatenate([fake, fake[:, ::-1]])  # one call: one power iteration, as in the loss
        clip_d = F.merge(step.graphs(TINY)[1], state["discriminator"]).clips
        return with_clip, without_clip, *jnp.split(clip_d(both, jnp.concatenate([tokens, tokens])), 2)

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
        loss, aux = step.generator_loss(RUN, g_vars["params"], state, tokens, jax.random.key(1))
        fake = step._generate(RUN, g_vars, tokens, jax.random.split(jax.random.key(1))[0])  # [4, T, H, W, 3]
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


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A 3-step run that evaluates and samples at its end, and its export."""
    folder = tmp_path_factory.mktemp("text2video")
    settings = TrainConfig(steps=3, run_dir=str(folder / "run"), progress=False, eval_every=3, sample_every=3)
    result = loop.train(TASK, RUN, settings, log=lambda message: None)
    export.export(result.state, RUN, folder / "video.npz")
    return result, folder


def test_train_frames_false_keeps_the_frame_generator_and_learns_the_rest(tiny_run):
    result, _ = tiny_run
    first = step.init(RUN, jax.random.split(jax.random.key(0))[0], step.make_optimizer(RUN, 10))["generator"]
    trained = result.state["generator"]["params"]
    jax.tree.map(np.testing.assert_array_equal, trained["frame"], first["params"]["frame"])
    for name in ("motion", "motion_text"):
        moved = jax.tree.map(lambda a, b: float(jnp.abs(a - b).max()), trained[name], first["params"][name])
        assert max(jax.tree.leaves(moved)) > 0


def test_a_few_steps_through_the_loop_log_finite_metrics_evaluate_and_sample(tiny_run):
    _, folder = tiny_run
    records = read_metrics(folder / "run" / "metrics.jsonl")
    facts = ("step", "split", "time")
    train = [{k: v for k, v in r.items() if k not in facts} for r in records if r["split"] == "train"]
    assert train and all(np.isfinite(v) for metrics in train for v in metrics.values())
    for name in ("d_clip_real", "d_clip_reversed", "g_clip_loss", "g_direction"):
        assert name in train[-1]
    assert "nce_accuracy" not in train[-1] and "d_real" not in train[-1]  # frames kept: D_frame not consulted
    (evaluated,) = [{k: v for k, v in r.items() if k not in facts} for r in records if r["split"] == "eval"]
    assert sorted(evaluated) == sorted(step.EVAL_KEYS)
    assert all(0.0 <= v <= 1.0 for v in evaluated.values())
    samples = folder / "run" / "samples" / "step_0000003"
    assert (samples / "text2video_samples.png").is_file() and (samples / "text2video_samples.gif").is_file()


def test_export_then_load_draws_the_same_clips_and_generate_video_writes_them(tiny_run, tmp_path):
    result, folder = tiny_run
    config, g_vars = export.load(folder / "video.npz")
    assert config == RUN
    text = example(0, "test", 0, modalities=("video",))["video_caption"]
    tokens = config.tokenizer().encode_batch([text])  # one shape for every call below: one compilation
    from_state = step.generate_videos(RUN, result.state, tokens, jax.random.key(5))
    from_file = step.generate_videos(config, g_vars, tokens, jax.random.key(5))
    assert from_file.dtype == np.uint8 and from_file.shape == (1, 4, 16, 16, 3)
    np.testing.assert_array_equal(from_state, from_file)
    clip = step.generate_video(text, seed=5, model=(config, g_vars), gif=tmp_path / "c.gif", png=tmp_path / "c.png")
    np.testing.assert_array_equal(clip, from_file[0])
    assert Image.open(tmp_path / "c.png").size == (4 * 64 + 3 * 2, 64)  # 4 frames enlarged 4x, 2-px gaps


def test_mmjax_eval_scores_the_run_and_its_export_alike(tiny_run, tmp_path):
    from mmjax.cli import main

    _, folder = tiny_run
    reports = []
    for checkpoint in (folder / "run", folder / "video.npz"):
        out = tmp_path / "report.json"
        args = ["eval", "text2video", "--checkpoint", str(checkpoint), "--splits", "test", "--num-samples", "16"]
        assert main([*args, "--out", str(out)]) == 0
        reports.append(json.loads(out.read_text()))
    scores = [report["results"]["text2video"]["test"] for report in reports]
    assert reports[0]["kind"] == "video" and reports[0]["checkpoint_step"] == reports[1]["checkpoint_step"] == 3
    assert scores[0] == scores[1]  # the run's moving average is what the file holds
    assert {"coherence_all_correct", "coherence_motion", "coherence_frame_shape"} <= set(scores[0])


def test_generate_video_refuses_bad_captions():
    state = step.init(TINY, jax.random.key(0), step.make_optimizer(TINY, 10))
    model = (TINY, step.sampling_variables(TINY, state))
    with pytest.raises(ValueError, match="not in the vocabulary"):
        step.generate_video("a small red dragon moving left", model=model)
    with pytest.raises(ValueError, match="non-empty caption"):
        step.generate_video("   ", model=model)
    with pytest.raises(ValueError, match="more than max_len"):
        step.generate_video("a " * 30, model=model)


def test_bad_shapes_and_configs_are_clear_errors():
    players, tokens = variables(), jnp.asarray(video_captions(2))
    with pytest.raises(ValueError, match="content code"):
        in_jit(lambda g, d, *a: g(*a), players, jnp.zeros((2, 3)), tokens)
    with pytest.raises(ValueError, match="integer token ids"):
        in_jit(lambda g, d, *a: g(*a), players, jnp.zeros((2, TINY.latent_dim)), tokens.astype(jnp.float32))
    with pytest.raises(ValueError, match=r"clips must have shape \[batch, 4, 16, 16, 3\]"):
        in_jit(lambda g, d, *a: d.clips(*a), players, jnp.zeros((2, 3, 16, 16, 3)), tokens)
    with pytest.raises(ValueError, match="frames_judged"):
        dataclasses.replace(TINY, frames_judged=5)
    with pytest.raises(ValueError, match="num_frames"):
        dataclasses.replace(TINY, num_frames=1)
    with pytest.raises(ValueError, match="clip_weight"):
        dataclasses.replace(TINY, clip_weight=-1.0)
    with pytest.raises(ValueError, match="divisible"):
        dataclasses.replace(TINY, text_heads=3)
    with pytest.raises(ValueError, match="motion must be one of shift, cell, code"):
        dataclasses.replace(TINY, motion="warp")
    with pytest.raises(ValueError, match="motion_reader must be one of frame, words"):
        dataclasses.replace(TINY, motion_reader="both")


def test_a_file_of_another_model_is_refused(tmp_path):
    state = step.init(TINY, jax.random.key(0), step.make_optimizer(TINY, 10))
    export.export(state, TINY, tmp_path / "video.npz")
    stored = np.load(tmp_path / "video.npz")
    arrays = {k: stored[k] for k in stored.files}
    meta = json.loads(str(arrays["__config__"]))
    meta["config"]["width"] = 8
    arrays["__config__"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "other.npz", **arrays)
    with pytest.raises(ValueError, match="does not match the model"):
        export.load(tmp_path / "other.npz")


def test_gif_strip_and_tile_hold_the_frames(tmp_path):
    clip = example(0, "train", 3, modalities=("video",))["video"]  # [8, 32, 32, 3]
    gif = Image.open(animation.save_gif(clip, tmp_path / "clip.gif", fps=4, scale=2))
    frames = np.stack([np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(gif)])
    assert gif.info["duration"] == 250 and gif.info["loop"] == 0
    np.testing.assert_array_equal(frames, animation.enlarge(clip, 2))  # few colours: the palette is exact
    strip = np.asarray(Image.open(animation.save_strip(clip, tmp_path / "clip.png", scale=1, gap=1)))
    assert strip.shape == (32, 8 * 33 - 1, 3)
    np.testing.assert_array_equal(strip[:, 33:65], clip[1])
    grid = animation.tile(np.stack([clip, clip[::-1], clip]), columns=2, gap=1)  # [8, 65, 65, 3]
    assert grid.shape == (8, 65, 65, 3)
    np.testing.assert_array_equal(grid[2, :32, 33:], clip[5])  # clip 1 (reversed) at the top right
    np.testing.assert_array_equal(grid[2, 33:, 33:], 255)  # no fourth clip: the fill
    with pytest.raises(ValueError, match="uint8 frames"):
        animation.save_gif(clip.astype(np.float32), tmp_path / "x.gif")


def test_frames_from_a_text2image_file_starts_the_frame_players_from_it(tmp_path):
    from mmjax.text2image import export as image_export

    image_config = TINY.frame_config()
    image_state = image_step.init(image_config, jax.random.key(1), image_step.make_optimizer(image_config, 10))
    image_export.export(image_state, image_config, tmp_path / "t2i.npz")
    config = dataclasses.replace(TINY, frames_from=str(tmp_path / "t2i.npz"))
    state = step.init(config, jax.random.key(0), step.make_optimizer(config, 10))
    fresh = step.init(TINY, jax.random.key(0), step.make_optimizer(TINY, 10))
    g, d = state["generator"], state["discriminator"]
    jax.tree.map(np.testing.assert_array_equal, g["params"]["frame"], image_state["generator"]["ema"])
    jax.tree.map(np.testing.assert_array_equal, g["ema"]["frame"], image_state["generator"]["ema"])
    jax.tree.map(np.testing.assert_array_equal, d["params"]["frames"], image_state["discriminator"]["params"])
    # what the image GAN has no counterpart of starts fresh
    jax.tree.map(np.testing.assert_array_equal, g["params"]["motion"], fresh["generator"]["params"]["motion"])
    jax.tree.map(np.testing.assert_array_equal, d["params"]["clips"], fresh["discriminator"]["params"]["clips"])
    with pytest.raises(ValueError, match="width"):
        wider = dataclasses.replace(config, width=8)
        step.init(wider, jax.random.key(0), step.make_optimizer(wider, 10))
