"""The student's side of grading: the process that loads one submission and
answers the grader's calls with data (:mod:`.worker`), the data-only message
format both sides speak (:mod:`.wire`), and the probes that differentiate or
wrap a student's code there (:mod:`.probes`).

Nothing here imports :mod:`minilm.grading`: the graders and the reference
solutions never enter the student's process.
"""
