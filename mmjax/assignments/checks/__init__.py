"""The public graded tests, one file per assignment: ``test_*(student)`` functions (see ``testing.py``)."""
