"""``mmjax demo``: the source text's two listings with the shipped Shapes models, and a sheet of samples.

    model = load_pretrained("shapes")                      # offline, a few MB
    image = model.generate_image(prompt, seed)             # text -> image
    image.save("output.png")
    caption = model.generate_text("output.png")            # image -> text, read back from the file
    agreement(prompt, caption)                             # does the caption state what the prompt did?

then the same round trip for several prompts x several seeds, drawn on one sheet (``samples.png``).
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

from mmjax.pretrained.agreement import agreement
from mmjax.pretrained.prompts import check_prompt

DEFAULT_PROMPT = "a big red circle at the upper left"
SHEET_PROMPTS = (
    DEFAULT_PROMPT,
    "a small blue square above a large yellow triangle",
    "there is a large green cross in the centre",
    "a tiny magenta triangle to the right of a big cyan circle",
)
SHEET_SEEDS = 4  # columns of the sheet: seeds seed, seed + 1, ...
VIEW_SIZE = 256  # output.png is enlarged 8x (NEAREST) so the 32 x 32 picture can be seen; it reads back exactly


def _agreement_line(prompt: str, caption: str) -> tuple[bool | None, str]:
    try:
        result = agreement(prompt, caption)
    except ValueError as error:  # the prompt's words are known but it is not a Shapes caption
        return None, f"not measured: the prompt states no facts the caption parser reads ({error})"
    return result.agrees, ("agrees with the prompt" if result.agrees else f"disagrees: {result.detail}")


def write_sheet(images, prompts: list[str], seeds: list[int], captions: list[str], agrees: list, path) -> Path:
    """Pictures ``[P, S, H, W, 3]`` of ``prompts`` (rows) x ``seeds`` (columns), each with the caption read
    back under it, green where it agrees with the prompt, red where not."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mmjax.utils.figures import save

    rows, cols = len(prompts), len(seeds)
    fig, axes = plt.subplots(rows, cols, figsize=(2.1 * cols, 2.5 * rows), squeeze=False)
    for r in range(rows):
        for c in range(cols):
            ax, index = axes[r, c], r * cols + c
            ax.imshow(images[r][c], interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            colour = {True: "tab:green", False: "tab:red", None: "black"}[agrees[index]]
            text = f"seed {seeds[c]}: {captions[index]}"
            ax.set_xlabel("\n".join(textwrap.wrap(text, 28)), fontsize=6.5, color=colour)
        axes[r, 0].set_title(f'prompt: "{prompts[r]}"', fontsize=8, loc="left")
    fig.suptitle(
        "text -> image -> text with the shipped Shapes models\n"
        "rows: prompts, columns: seeds; under each picture the caption read back (green: agrees with the prompt)",
        fontsize=8,
    )
    return save(fig, path, dpi=110)


def shipped_reads_partial() -> bool:
    """Whether the shipped text-to-image model was trained on partial captions (only its stored config is read,
    through the checks every weights file gets)."""
    from mmjax.text2image import export
    from mmjax.utils.npz_checkpoint import read_metadata

    return read_metadata(export.default_path())["config"].get("partial_captions", 0.0) > 0


def run_demo(prompt: str | None = None, out="output.png", sheet="samples.png", seed: int = 0, echo=print) -> dict:
    """Both directions and the sheet; prints what it does and how long each part took. Returns the results."""
    start = time.perf_counter()
    # a friendly error before any loading, read as the shipped model reads prompts
    prompt = check_prompt(DEFAULT_PROMPT if prompt is None else prompt, shipped_reads_partial())
    timings = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = now - since
        return now

    from mmjax.pretrained import load_pretrained

    model = load_pretrained("shapes")
    now = lap("load (imports JAX, reads both .npz files)", start)

    image = model.generate_image(prompt, seed, size=VIEW_SIZE)
    image.save(out)
    now = lap("text -> image (first call, incl. compiling)", now)
    caption = model.generate_text(out)
    now = lap("image -> text (first call, incl. compiling)", now)
    agrees, verdict = _agreement_line(prompt, caption)
    echo(f'prompt:  "{prompt}" (seed {seed})')
    echo(f"wrote    {out} ({VIEW_SIZE} x {VIEW_SIZE}, the 32 x 32 picture enlarged)")
    echo(f'caption: "{caption}"')
    echo(f"cycle:   {verdict}")

    prompts = list(dict.fromkeys([prompt, *SHEET_PROMPTS]))[: len(SHEET_PROMPTS)]
    seeds = [(seed + i) % 2**32 for i in range(SHEET_SEEDS)]  # keys are 32-bit: the last seed wraps to 0
    grid = [model.generate_images(prompts, s) for s in seeds]  # S x [P, H, W, 3]
    images = [[grid[c][r] for c in range(len(seeds))] for r in range(len(prompts))]  # [P][S]
    captions = model.generate_texts([picture for row in images for picture in row])
    verdicts = [_agreement_line(prompts[i // len(seeds)], text)[0] for i, text in enumerate(captions)]
    write_sheet(images, prompts, seeds, captions, verdicts, sheet)
    lap(f"sheet ({len(prompts)} prompts x {len(seeds)} seeds, drawn and captioned)", now)
    measured = [v for v in verdicts if v is not None]
    echo(f"wrote    {sheet}: {sum(measured)} of {len(measured)} captions agree with their prompt")

    timings["total"] = time.perf_counter() - start
    echo("timings: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()))
    return {"prompt": prompt, "caption": caption, "agrees": agrees, "sheet_agreement": verdicts, "timings": timings}
