"""padded_chunks: every real row once, in order; filler rows repeat the last real row; bad input refused."""

import numpy as np
import pytest

from mmjax.utils.batching import padded_chunks


def test_chunks_cover_every_row_once_and_pad_the_last_with_its_last_row():
    rows = np.arange(7 * 2, dtype=np.int32).reshape(7, 2)  # [7, 2]
    chunks = list(padded_chunks(rows, 3))
    assert [(start, count) for start, _, count in chunks] == [(0, 3), (3, 3), (6, 1)]
    for _, padded, _ in chunks:
        assert padded.shape == (3, 2) and padded.dtype == np.int32
    np.testing.assert_array_equal(np.concatenate([padded[:count] for _, padded, count in chunks]), rows)
    np.testing.assert_array_equal(chunks[2][1], [[12, 13], [12, 13], [12, 13]])  # row 6, then row 6 twice


def test_an_exact_multiple_needs_no_filler():
    rows = np.arange(6)
    chunks = list(padded_chunks(rows, 3))
    assert [count for _, _, count in chunks] == [3, 3]
    np.testing.assert_array_equal(chunks[1][1], [3, 4, 5])


def test_a_chunk_larger_than_the_rows_gives_one_padded_chunk():
    ((start, padded, count),) = padded_chunks(np.array([5, 8]), 4)
    assert (start, count) == (0, 2)
    np.testing.assert_array_equal(padded, [5, 8, 8, 8])


def test_a_dict_of_arrays_is_cut_row_by_row():
    rows = {"a": np.arange(5), "b": np.arange(5) * 10.0}
    chunks = list(padded_chunks(rows, 4))
    assert [(start, count) for start, _, count in chunks] == [(0, 4), (4, 1)]
    np.testing.assert_array_equal(chunks[1][1]["a"], [4, 4, 4, 4])
    np.testing.assert_array_equal(chunks[1][1]["b"], [40.0, 40.0, 40.0, 40.0])


def test_no_rows_is_refused_when_called():
    with pytest.raises(ValueError, match="no rows"):
        padded_chunks(np.zeros((0, 3)), 4)  # raised at the call, before any chunk is asked for


@pytest.mark.parametrize("size", [0, -2])
def test_a_chunk_size_below_one_is_refused(size):
    with pytest.raises(ValueError, match="chunk size must be >= 1"):
        padded_chunks(np.arange(3), size)


@pytest.mark.parametrize("size", [2.0, "4", True])
def test_a_chunk_size_that_is_not_an_integer_is_refused(size):
    with pytest.raises(TypeError, match="chunk size must be an integer"):
        padded_chunks(np.arange(3), size)


def test_dict_arrays_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="same number of rows"):
        padded_chunks({"a": np.arange(3), "b": np.arange(4)}, 2)
