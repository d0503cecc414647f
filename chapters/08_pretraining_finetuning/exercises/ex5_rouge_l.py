"""Exercise 5 (5 points): ROUGE-L by the longest common subsequence.

ROUGE-L scores a summary (the *hypothesis*, a list of tokens) against a
reference summary (another list of tokens) by their **longest common
subsequence** (LCS): the longest list of tokens that appears in both in the
same order, not necessarily side by side. For

    hypothesis  the cat sat on the mat
    reference   the cat on a mat

the LCS is ``the cat on mat`` (length 4). Then

    precision = LCS / len(hypothesis)      recall = LCS / len(reference)
    F1 = 2 * precision * recall / (precision + recall)

here 4/6, 4/5 and 8/11. A precision or recall with an empty denominator is 0,
and F1 is 0 when precision + recall is 0.

Find the LCS length by dynamic programming: ``L[i][j]``, the LCS length of the
first ``i`` hypothesis tokens and the first ``j`` reference tokens, is
``L[i-1][j-1] + 1`` when token ``i`` of one equals token ``j`` of the other,
and ``max(L[i-1][j], L[i][j-1])`` otherwise. Trying every subsequence takes
exponential time; the table takes ``len(hypothesis) * len(reference)`` steps,
and a check gives you lists of 400 tokens.

Return ``(precision, recall, f1)`` as Python floats; leave the lists as they were.

Checked against ``minilm.metrics.rouge_l`` (which you may not call) on random
token lists: the LCS through precision and recall (2 points), F1 (1 point),
empty lists (1 point), and 400-token lists within the time limit (1 point).

    python -m minilm grade chapters/08_pretraining_finetuning/exercises/ex5_rouge_l.py
"""


def rouge_l(hypothesis, reference):
    """(precision, recall, F1) of ROUGE-L for two lists of tokens."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write rouge_l")
    ### END YOUR SOLUTION
