# Exercise 1
from mmjax.metrics.judge.inference import judge_labels
from mmjax.utils.selfcheck import check

ex1_prompt = "a small blue square above a large yellow triangle"
ex1_images = [model.generate_image(ex1_prompt, seed=s) for s in range(8)]
ex1_distinct = len({image.tobytes() for image in ex1_images})
assert check(ex1_distinct, expected=8, tol=0, name="distinct pictures")
# "By eye", done by the judge: the column the vertical pair shares in each picture.
ex1_labels = judge_labels(judge, np.stack([np.asarray(image) for image in ex1_images]))
ex1_columns = sorted(set(ex1_labels["col"][:, 0].tolist()))
print(f"the pair's column over 8 seeds: {ex1_columns} (real pictures use all of 0, 1, 2)")
assert (ex1_labels["num_objects"] == 2).all()
assert check(len(ex1_columns), expected=3, tol=0, name="columns of the pair")

# Exercise 2
try:
    model.generate_image("A cat sitting on the table.")
    raise AssertionError("an unknown sentence should be refused")
except ValueError as error:
    ex2_message = str(error)
    print(ex2_message)
assert "'cat'" in ex2_message and "'table'" in ex2_message
assert "on -> above" in ex2_message
assert "colours: red, green, blue, yellow, magenta, cyan" in ex2_message

# Exercise 3
from mmjax.data.audio import sonify


def ex3_spectra(split: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude spectra of the occupied slot and the colours of the first ``count`` one-object scenes."""
    spectra, colours, index = [], [], 0
    while len(spectra) < count:
        scene = sample_scene(0, split, index)
        index += 1
        if len(scene.objects) == 1:
            obj = scene.objects[0]
            spectra.append(np.abs(np.fft.rfft(sonify(scene).reshape(9, 512)[obj.cell])))
            colours.append(obj.colour)
    return np.stack(spectra), np.array(colours)


ex3_x, ex3_y = ex3_spectra("train", 2000)
ex3_weights = np.linalg.lstsq(ex3_x, np.eye(6)[ex3_y], rcond=None)[0]
ex3_test_x, ex3_test_y = ex3_spectra("test", 500)
colour_accuracy = np.mean(np.argmax(ex3_test_x @ ex3_weights, axis=1) == ex3_test_y)
assert check(colour_accuracy, expected=1.0, tol=0.02, name="colour_accuracy")
