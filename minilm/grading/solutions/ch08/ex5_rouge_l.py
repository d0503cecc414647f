"""Reference solution: chapters/08_pretraining_finetuning/exercises/ex5_rouge_l.py."""


def rouge_l(hypothesis, reference):
    h, r = list(hypothesis), list(reference)
    prev = [0] * (len(r) + 1)  # row i-1 of the table; row 0 is an empty prefix
    for i in range(1, len(h) + 1):
        row = [0] * (len(r) + 1)
        for j in range(1, len(r) + 1):
            if h[i - 1] == r[j - 1]:
                row[j] = prev[j - 1] + 1
            else:
                row[j] = max(prev[j], row[j - 1])
        prev = row
    lcs = prev[len(r)]
    precision = lcs / len(h) if h else 0.0
    recall = lcs / len(r) if r else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return float(precision), float(recall), float(f1)
