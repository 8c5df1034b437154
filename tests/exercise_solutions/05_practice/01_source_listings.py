# Exercise 1
from mmjax.data import attributes as A
from mmjax.utils.selfcheck import check

ex1_images = [model.generate_image("a small blue square above a large yellow triangle", seed=s) for s in range(8)]
columns = [int(np.argmax(np.asarray(img).max(-1).max(0)) // 11) for img in ex1_images]
real_columns = set()
for i in range(256):
    item = example(0, "test", i, ())
    if item["num_objects"] == 2 and A.RELATIONS[int(item["relation"])] in ("above", "below"):
        real_columns.add(int(item["col"][0]))
print(f"the GAN's pairs stand in columns {columns}; real vertical pairs in {sorted(real_columns)}")
assert check(len(real_columns), expected=3, tol=0, name="columns of real pairs")
assert check(len(set(columns)), expected=3, tol=0, name="columns of the GAN's pairs")
assert len({img.tobytes() for img in ex1_images}) == 8

# Exercise 2
wide = picture.resize((256, 128), Image.Resampling.NEAREST)
assert check(np.abs(as_image_array(wide).astype(int) - truth["image"]).max(), expected=0, tol=0, name="max difference")
assert model.generate_text(wide) == caption
wide_bicubic = picture.resize((256, 128))  # PIL's default filter for RGB: bicubic
ex2_bicubic_difference = np.abs(as_image_array(wide_bicubic).astype(int) - truth["image"]).max()
print(f"stretched with bicubic filtering, the pixels differ by up to {ex2_bicubic_difference} of 255")
assert 0 < ex2_bicubic_difference <= 5
assert model.generate_text(wide_bicubic) == caption

# Exercise 3
try:
    model.generate_text(hwc.astype(np.float32))
    raise AssertionError("floats in 0..255 should be refused")
except ValueError as error:
    print(f"0..255 as floats: {error}")
assert model.generate_text(hwc.astype(np.float32) / 255) == caption
try:
    model.generate_text(hwc.astype(np.float32) / 127.5 - 1)
    raise AssertionError("floats in [-1, 1] should be refused")
except ValueError as error:
    ex3_hint = str(error)
    print(f"-1..1 as floats: {ex3_hint}")
assert "(a + 1) / 2" in ex3_hint  # the hint: map [-1, 1] to [0, 1]
