"""Course assignments with an autograder, built from the library's own marked solutions.

``catalog`` names the assignments, ``regions`` stubs the marked solution bodies, ``copies`` writes a
student folder, ``grader`` runs the graded tests of ``checks/`` (and an instructor's hidden ones) in a
worker subprocess with a time limit per test, ``provenance`` and ``guard`` make a graded function that
is taken from the library score 0, ``classroom`` grades many folders, ``exports`` writes the CSV
gradebook and Gradescope's results, ``cli`` is ``mmjax assignment list | new | grade``.
See docs/instructors.md.
"""
