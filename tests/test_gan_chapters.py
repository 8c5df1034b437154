"""The GAN chapters run top to bottom in quick mode and write their figures."""

import pytest


@pytest.mark.parametrize(
    "script, figures",
    [
        ("03_algorithms/gan_01_two_player_loop.py", ["gan_ring_sample_clouds.png", "gan_ring_losses.png"]),
        ("03_algorithms/gan_02_conditional_dcgan.py",
         ["gan_dcgan_losses.png", "gan_dcgan_samples.png", "gan_dcgan_shape_by_colour.png"]),
        ("04_math/gan_01_value_function.py",
         ["gan_optimal_discriminator.png", "gan_saturating_gradients.png", "gan_source_text_vs_correct.png"]),
    ],
)
def test_gan_chapter_runs_in_quick_mode(run_chapter, script, figures):
    out = run_chapter(script) / script.split("/")[0]
    for figure in figures:
        assert (out / figure).stat().st_size > 1000, figure
