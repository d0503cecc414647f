"""Graders for ex2_mutual_information, against ``minilm.info``."""

from minilm import info
from minilm.grading import assert_close, check, prop

from ._distributions import count_tables

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.info.conditional_entropy", "minilm.info.mutual_information")


@check(points=2)
@prop(joint=count_tables())
def conditional_entropy(student, joint):
    """H(Y | X), X on the rows, from counts with zeros"""
    got = student.conditional_entropy(joint.copy())
    assert_close(got, info.conditional_entropy(joint), "H(Y | X)", atol=1e-9)


@check(points=2)
@prop(joint=count_tables())
def mutual_information(student, joint):
    """I(X; Y) from counts with zeros (and 0 for independent variables)"""
    got = student.mutual_information(joint.copy())
    assert_close(got, info.mutual_information(joint), "I(X; Y)", atol=1e-9)
